// Emotes and emoji. An emote goes to everyone else as v3 send/broadcast (subject "emote", body the
// emote's name: Neko's names, so its clients show ours and we show theirs) and floats up over the
// video for a few seconds. The emoji picker puts a character into the chat line. Nothing here builds
// HTML: every name from the wire becomes text or an attribute.
import { $, backToVideo, el } from "./dom.js";
import { emit, on } from "./net.js";
import { nameOf, state } from "./store.js";
import { t } from "./strings.js";

// Neko's emote names and the Unicode character each one draws.
const EMOTES = {
  anger: 0x1f4a2, bomb: 0x1f4a3, sleep: 0x1f4a4, explode: 0x1f4a5, sweat: 0x1f4a6, poo: 0x1f4a9, hundred: 0x1f4af,
  alert: 0x1f6a8, punch: 0x1f44a, wave: 0x1f44b, okay: 0x1f44c, "thumbs-up": 0x1f44d, clap: 0x1f44f, prey: 0x1f64f,
  celebrate: 0x1f389, flame: 0x1f525, goof: 0x1f60b, love: 0x1f60d, cool: 0x1f60e, smerk: 0x1f60f, worry: 0x1f61f,
  ouch: 0x1f62c, cry: 0x1f62d, surprised: 0x1f62e, quiet: 0x1f92b, rage: 0x1f92c, annoy: 0x1f611, steamed: 0x1f624,
  scared: 0x1f628, terrified: 0x1f631, sleepy: 0x1f634, dead: 0x1f635, happy: 0x1f642, "roll-eyes": 0x1f644,
  thinking: 0x1f914, clown: 0x1f921, sick: 0x1f922, rofl: 0x1f923, drule: 0x1f924, sniff: 0x1f927, sus: 0x1f928,
  party: 0x1f973, odd: 0x1f974, hot: 0x1f975, cold: 0x1f976, blush: 0x263a, sad: 0x2639,
};
const RECENT_KEY = "nekoapi.emotes";
const glyph = (name) => String.fromCodePoint(EMOTES[name] ?? 0x2753);
const label = (name) => t(`emote.${name}`) === `emote.${name}` ? name.replace(/-/g, " ") : t(`emote.${name}`);
let recent = (() => { try { return JSON.parse(localStorage.getItem(RECENT_KEY)) || []; } catch { return []; } })()
  .filter((name) => name in EMOTES);
if (!recent.length) recent = ["wave", "thumbs-up", "clap", "love", "rofl"];

// An emote floats over the stage for 3 s: an image to screen readers, "alice: wave".
function float(sender, name) {
  if (typeof name !== "string" || document.visibilityState === "hidden") return;
  const shown = el("span", { class: "emote-float", role: "img", "aria-label": t("emoteFrom", { name: nameOf(sender), emote: label(name) }),
    text: glyph(name) });
  shown.style.left = `${10 + Math.random() * 80}%`;
  $("stage").append(shown);
  setTimeout(() => shown.remove(), 3000);
}

on("send/broadcast", (p) => { if (p?.subject === "emote") float(p.sender, p.body); });

export function sendEmote(name) {
  emit("send/broadcast", { subject: "emote", body: name });
  float(state.id, name); // the server does not echo it to the sender
  recent = [name, ...recent.filter((r) => r !== name)].slice(0, 5);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  renderBar();
}

const button = (name, onclick, role) => el("button", { type: "button", class: "glyph", "aria-label": label(name),
  title: label(name), text: glyph(name), role, onclick });

function renderBar() {
  $("emote-recent").replaceChildren(...recent.map((name) => button(name, () => { sendEmote(name); backToVideo(); })));
}

function toggle(trigger, panel) {
  const open = panel.hidden;
  panel.hidden = !open;
  trigger.setAttribute("aria-expanded", String(open));
  if (open) panel.querySelector("button")?.focus();
}

// A picker: a grid of buttons, closed by Escape (focus back on its trigger).
function picker(id, name, pick) {
  const panel = el("div", { id, role: "group", "aria-label": name, class: "picker", hidden: true },
    ...Object.keys(EMOTES).map((emote) => button(emote, () => pick(emote))));
  panel.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    panel.hidden = true;
    document.querySelector(`[aria-controls="${id}"]`).setAttribute("aria-expanded", "false");
    document.querySelector(`[aria-controls="${id}"]`).focus();
  });
  return panel;
}

function insertEmoji(emote) {
  const box = $("chat-text");
  const at = box.selectionStart ?? box.value.length;
  box.setRangeText(glyph(emote), at, box.selectionEnd ?? at, "end");
  box.focus();
}

export function toggleEmotes() { toggle($("emote-more"), $("emote-all")); }

export function bindEmotes() {
  const more = el("button", { type: "button", id: "emote-more", "aria-expanded": "false", "aria-controls": "emote-all",
    text: t("moreEmotes"), onclick: (e) => toggle(e.currentTarget, $("emote-all")) });
  const all = picker("emote-all", t("allEmotes"), (emote) => { sendEmote(emote); toggleEmotes(); backToVideo(); });
  $("chat-log").before(el("div", { role: "group", "aria-label": t("emotes"), class: "emotes" },
    el("span", { id: "emote-recent" }), more), all);
  const emoji = el("button", { type: "button", id: "emoji-button", "aria-expanded": "false", "aria-controls": "emoji-picker",
    "aria-label": t("emoji"), title: t("emoji"), text: "\u{1f642}", onclick: (e) => toggle(e.currentTarget, $("emoji-picker")) });
  $("chat-text").after(emoji);
  $("chat-form").after(picker("emoji-picker", t("emojiPicker"), insertEmoji));
  renderBar();
}
