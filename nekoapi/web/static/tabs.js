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
// The tab with the socket marks it in localStorage ("tab id:time", every second) and unmarks it
// when it goes; a hidden tab's timers may run once a minute, so a stale mark is asked about instead.
const MARK = "nekoapi.live";
const TAB = Math.random().toString(36).slice(2);
let live = false;
let beat = 0;
let watching = false;
let timer = 0;

const mark = () => localStorage.setItem(MARK, `${TAB}:${Date.now()}`);
const unmark = () => { if (localStorage.getItem(MARK)?.startsWith(`${TAB}:`)) localStorage.removeItem(MARK); };
on("system/init", () => { live = true; stopWatching(); mark(); clearInterval(beat); beat = setInterval(mark, 1000); });
on("closed", () => { live = false; clearInterval(beat); unmark(); });
window.addEventListener("pagehide", () => { if (live) unmark(); });
channel?.addEventListener("message", (e) => { if (e.data === "anyone?" && live) channel.postMessage("here"); });

// Whether another tab of this browser has the room's socket now: a fresh mark says so at once; with
// a stale one, the tab is asked (BroadcastChannel messages reach hidden tabs without delay).
export function anotherTabLive() {
  const [owner, at] = (localStorage.getItem(MARK) || ":").split(":");
  if (!owner || owner === TAB) return Promise.resolve(false);
  if (Date.now() - Number(at) < 3000) return Promise.resolve(true);
  if (!channel) return Promise.resolve(false);
  return new Promise((resolve) => {
    const heard = (e) => { if (e.data === "here") finish(true); };
    const finish = (answer) => {
      channel.removeEventListener("message", heard);
      clearTimeout(wait);
      if (!answer && localStorage.getItem(MARK) === `${owner}:${at}`) localStorage.removeItem(MARK); // a crashed tab's
      resolve(answer);
    };
    const wait = setTimeout(() => finish(false), 1000);
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
