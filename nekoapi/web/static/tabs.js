// More than one tab of the same login. The token is kept in localStorage, so every tab of this browser
// is logged in for as long as the server keeps the session. A session has one socket: the server lets
// a new one replace the old (merciful reconnect; the old one hears "connection replaced"). So a new
// tab asks the others first (BroadcastChannel) and, if one plays the room, offers to take it over or
// to watch here: the screencast's pictures (cast.jpg), which need no socket, where the server offers them.
import { $, el } from "./dom.js";
import { on } from "./net.js";
import { state, update } from "./store.js";
import { t } from "./strings.js";

const channel = "BroadcastChannel" in window ? new BroadcastChannel("nekoapi.tabs") : null;
let live = false;
let watching = false;
let timer = 0;

on("system/init", () => { live = true; stopWatching(); });
on("closed", () => { live = false; });
channel?.addEventListener("message", (e) => { if (e.data === "anyone?" && live) channel.postMessage("here"); });

// Whether another tab of this browser has the room's socket now (it answers within 300 ms).
export function anotherTabLive() {
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const heard = (e) => { if (e.data === "here") finish(true); };
    const finish = (answer) => { channel.removeEventListener("message", heard); clearTimeout(timer); resolve(answer); };
    const timer = setTimeout(() => finish(false), 300);
    channel.addEventListener("message", heard);
    channel.postMessage("anyone?");
  });
}

const castUrl = () => `api/room/screen/cast.jpg?token=${encodeURIComponent(state.token)}&at=${Date.now()}`;

async function screencastOffered() {
  try { return (await fetch(castUrl())).ok; } catch { return false; }
}

// The choice, as an alertdialog over the room; `takeOver` connects this tab.
export async function offerChoice(takeOver, why) {
  const canWatch = await screencastOffered();
  const box = $("tab-choice") || el("div", { id: "tab-choice", role: "alertdialog", "aria-labelledby": "tab-choice-text" });
  const take = el("button", { type: "button", text: t("takeOver"), onclick: () => { box.remove(); takeOver(); } });
  box.replaceChildren(el("p", { id: "tab-choice-text", text: t(why) }), take,
    canWatch ? el("button", { type: "button", text: t("watchHere"), onclick: (e) => { e.currentTarget.remove(); watch(); take.focus(); } }) : "");
  $("stage").append(box);
  $("room").hidden = false;
  $("login").hidden = true;
  update({ connection: "closed", reason: t("elsewhere") });
  take.focus();
}

// Watching: the video's place shows the screencast's newest picture, fetched one after the other.
function watch() {
  const video = $("video");
  const img = $("watch") || el("img", { id: "watch", alt: t("screen") });
  video.hidden = true;
  video.after(img);
  const next = () => { if (watching) img.src = castUrl(); };
  img.onload = () => { timer = setTimeout(next, 200); };
  img.onerror = () => { timer = setTimeout(next, 1000); };
  watching = true;
  next();
}

function stopWatching() {
  clearTimeout(timer);
  watching = false;
  $("watch")?.remove();
  $("video").hidden = false;
}

export function whenReplaced(takeOver) {
  on("ended", (reason) => { if (reason === "connection replaced") offerChoice(takeOver, "replaced"); });
}
