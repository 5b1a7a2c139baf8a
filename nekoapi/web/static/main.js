// The page's entry: log in (the token kept in localStorage for as long as the server keeps the session,
// so a reload or another tab stays logged in), then open the room and let every panel render from the store.
import "./room.js";
import "./status.js";
import "./diagnosis.js";
import { bindAutomation } from "./automation.js";
import { bindBroadcast } from "./broadcast.js";
import { bindChat } from "./chat.js";
import { bindClipboard } from "./clipboard.js";
import { bindControl } from "./control.js";
import { bindDetails } from "./details.js";
import { $ } from "./dom.js";
import { bindDrop } from "./drop.js";
import { bindEmotes } from "./emotes.js";
import { bindFiles } from "./files.js";
import { bindInput } from "./input.js";
import { drawCursor } from "./media.js";
import "./members.js";
import { bindMicrophone } from "./microphone.js";
import { api, connect, emit, on, stop } from "./net.js";
import { bindQuality } from "./quality.js";
import { bindRecording } from "./recording.js";
import { bindSettings } from "./settings.js";
import { bindSheets } from "./sheets.js";
import { bindShortcuts } from "./shortcuts.js";
import { bindSound } from "./sound.js";
import { state, subscribe, update } from "./store.js";
import { t, translate } from "./strings.js";
import { bindTouch } from "./touch.js";
import { anotherTabLive, offerChoice, whenReplaced } from "./tabs.js";
import { bindSocketMedia } from "./wsmedia.js";

const KEY = "nekoapi.token";

function enter(token) {
  localStorage.setItem(KEY, token);
  update({ token });
  $("login").hidden = true;
  $("room").hidden = false;
  connect();
}

async function login(e) {
  e.preventDefault();
  const form = new FormData($("login"));
  const response = await fetch("api/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { $("login-error").textContent = body.message || t("loginFailed"); return; }
  enter(body.token);
}

// A token kept from before a reload is used if the server still knows it; else the login form shows.
async function resume() {
  const token = localStorage.getItem(KEY);
  if (!token) return;
  state.token = token;
  try { await api("whoami"); } catch (error) {
    // Refused: the server forgot it. Unreachable: the socket's reconnection waits for the server.
    if (error.status) { localStorage.removeItem(KEY); state.token = ""; return; }
  }
  if (await anotherTabLive()) offerChoice(() => enter(token), "otherTab");
  else enter(token);
}

async function logout() {
  localStorage.removeItem(KEY);
  await api("logout", { method: "POST" }).catch(() => {});
  stop();
  location.reload();
}

// The server forgot this session (a restart without a kept store): back to the login form, saying why.
on("ended", (reason) => {
  if (reason !== "session ended") return;
  localStorage.removeItem(KEY);
  update({ token: "" });
  $("room").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = t("sessionEnded");
});

// Another tab logged in (this one shows the form): offer the same choice as at start. Another tab
// logged out: so did this one.
window.addEventListener("storage", (e) => {
  if (e.key !== KEY) return;
  if (e.newValue && !state.token) {
    update({ token: e.newValue });
    offerChoice(() => enter(e.newValue), "otherTab");
  } else if (!e.newValue && state.token) {
    stop();
    location.reload();
  }
});

translate();
document.title = t("title");
$("login").addEventListener("submit", login);
// The button comes disabled: a form sent before this module ran would put the password in the URL.
$("login").querySelector("[type=submit]").disabled = false;
$("logout").addEventListener("click", logout);
bindControl();
bindChat();
bindAutomation();
bindSound();
bindQuality();
bindFiles();
bindRecording();
bindClipboard();
bindDetails();
bindInput($("video"));
bindTouch($("video"));
bindSheets();
bindEmotes();
bindBroadcast();
bindMicrophone();
bindDrop();
bindSettings();
bindSocketMedia();
bindShortcuts();
whenReplaced(() => enter(state.token));
subscribe(drawCursor);
// For the console and the browser tests: the store and the socket's emit.
window.nekoRoom = { state, emit };
resume();
