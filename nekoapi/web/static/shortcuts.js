// Keyboard shortcuts for every action, and one dialog that lists them ("?" or the button). A shortcut
// is one key without Ctrl, Alt or Meta; it does nothing while you type in a field, or while the video
// has the focus and you control the desktop (then every key belongs to the desktop).
import { $, el } from "./dom.js";
import { hosting } from "./store.js";
import { t } from "./strings.js";

const click = (id) => () => { const b = $(id); if (b && b.offsetParent !== null && !b.disabled) b.click(); };
const focus = (id) => () => { const f = $(id); if (f && f.offsetParent !== null) f.focus(); };
const volume = (step) => () => {
  const v = $("video");
  v.volume = Math.max(0, Math.min(1, Math.round((v.volume + step) * 20) / 20));
  v.muted = v.volume === 0;
};

// [key, what it does (a string's name), the action]
const SHORTCUTS = [
  ["c", "scControl", click("control")], ["t", "takeControl", click("take")],
  ["m", "scMute", click("mute")], ["+", "scLouder", volume(0.1)], ["-", "scQuieter", volume(-0.1)],
  ["f", "fullscreen", click("fullscreen")], ["p", "pip", click("pip")], ["k", "microphone", click("microphone")],
  ["/", "scChat", focus("chat-text")], ["e", "moreEmotes", click("emote-more")], ["u", "uploadFiles", click("upload")],
  ["q", "quality", focus("quality")], ["r", "resolution", focus("resolution")], ["b", "broadcastUrl", focus("broadcast-url")],
  ["l", "keyboardLayout", focus("layout")], ["d", "details", click("details-button")], ["v", "scVideo", focus("video")],
  ["?", "shortcuts", () => open()],
];

function typing(target) {
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)
    || (target.id === "video" && hosting());
}

function onKey(e) {
  if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented || typing(e.target)) return;
  if ($("room").hidden || document.querySelector("dialog[open]")) return;
  const found = SHORTCUTS.find(([key]) => key === e.key);
  if (!found) return;
  e.preventDefault();
  found[2]();
}

let returnTo = null;
function open() {
  returnTo = document.activeElement;
  $("shortcuts").showModal();
}

export function bindShortcuts() {
  const rows = SHORTCUTS.map(([key, what]) => el("tr", {}, el("td", {}, el("kbd", { text: key })), el("td", { text: t(what) })));
  const dialog = el("dialog", { id: "shortcuts", "aria-labelledby": "shortcuts-title" },
    el("h2", { id: "shortcuts-title", text: t("shortcuts") }),
    el("p", { text: t("shortcutsHint") }),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: t("scKey") }), el("th", { text: t("scAction") }))),
      el("tbody", {}, ...rows)),
    el("button", { type: "button", text: t("close"), onclick: () => dialog.close() }));
  dialog.addEventListener("close", () => returnTo?.focus?.());
  document.body.append(dialog);
  $("logout").before(el("button", { id: "shortcuts-button", type: "button", text: t("shortcuts"), "aria-haspopup": "dialog",
    onclick: open }));
  document.addEventListener("keydown", onKey);
}
