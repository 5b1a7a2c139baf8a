// Pointer and keyboard from the video to the desktop, only while this session hosts. A key is sent as
// the keysym of the character it gives (the server picks the key and level), modifiers as they are held.
import { send } from "./media.js";
import { hosting, state } from "./store.js";

const SPECIAL = {
  Backspace: 0xff08, Tab: 0xff09, Enter: 0xff0d, Escape: 0xff1b, Delete: 0xffff, Home: 0xff50, ArrowLeft: 0xff51,
  ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54, PageUp: 0xff55, PageDown: 0xff56, End: 0xff57, Insert: 0xff63,
  Shift: 0xffe1, Control: 0xffe3, Alt: 0xffe9, Meta: 0xffeb, CapsLock: 0xffe5, AltGraph: 0xfe03,
};
const RIGHT = { Shift: 0xffe2, Control: 0xffe4, Alt: 0xffea, Meta: 0xffec };
// The modifiers an event reports, and the keysyms that hold each.
const MODIFIERS = [["shiftKey", [0xffe1, 0xffe2]], ["ctrlKey", [0xffe3, 0xffe4]], ["altKey", [0xffe9, 0xffea]], ["metaKey", [0xffeb, 0xffec]]];

// X keysyms: Latin-1 as itself, other characters as Unicode keysyms.
export function charKeysym(char) {
  if (char === "\n") return SPECIAL.Enter;
  const code = char.codePointAt(0);
  return code < 0x20 ? 0 : code < 0x100 ? code : 0x01000000 + code;
}

function keysym(e) {
  if (e.location === 2 && RIGHT[e.key]) return RIGHT[e.key];
  if (SPECIAL[e.key]) return SPECIAL[e.key];
  if (/^F\d{1,2}$/.test(e.key)) return 0xffbd + Number(e.key.slice(1));
  return [...e.key].length === 1 ? charKeysym(e.key) : 0; // "Dead", "Process", "Unidentified": composition's
}

export function position(video, e) {
  const r = video.getBoundingClientRect();
  const x = Math.round(((e.clientX - r.left) / r.width) * state.screen.width);
  const y = Math.round(((e.clientY - r.top) / r.height) * state.screen.height);
  return [Math.max(0, Math.min(x, state.screen.width - 1)), Math.max(0, Math.min(y, state.screen.height - 1))];
}

// Keys held down, by physical key (a key's up may give another character than its down gave, e.g. Shift let go
// first), and pointer buttons held: all released when focus leaves, so nothing sticks on the desktop.
const held = new Map();
const buttons = new Set();

export function releaseAll() {
  for (const k of held.values()) send("keyup", k);
  held.clear();
  for (const b of buttons) send("buttonup", b);
  buttons.clear();
}

// Characters as typed text (IME commits, phone keyboards): each one pressed and released.
export function typeText(text) {
  if (!hosting()) return;
  for (const char of text) {
    const k = charKeysym(char);
    if (k) { send("keydown", k); send("keyup", k); }
  }
}

// A modifier the desktop still holds that the event says is up (let go while focus was elsewhere) is released.
function dropStaleModifiers(e) {
  if (e.getModifierState?.("AltGraph")) return; // AltGr reports Control and Alt on some systems
  for (const [flag, keysyms] of MODIFIERS) {
    if (e[flag]) continue;
    for (const [code, k] of held) if (code !== e.code && keysyms.includes(k)) { send("keyup", k); held.delete(code); }
  }
}

export function keyEvent(e) {
  const down = e.type === "keydown";
  if (!hosting() || e.isComposing) return;
  dropStaleModifiers(e);
  const k = down ? keysym(e) : held.get(e.code) ?? keysym(e);
  if (!k) return;
  if (down) {
    if (held.has(e.code) && held.get(e.code) !== k) send("keyup", held.get(e.code));
    held.set(e.code, k);
  } else held.delete(e.code);
  send(down ? "keydown" : "keyup", k);
  e.preventDefault();
}

// Keys reach the desktop from an element (the video, the on-screen keyboard's input) while it has focus.
export function keysFrom(element) {
  element.addEventListener("keydown", keyEvent);
  element.addEventListener("keyup", keyEvent);
  element.addEventListener("blur", releaseAll);
}

const editing = () => document.activeElement?.matches("input, textarea, select, [contenteditable]");

export function bindInput(video) {
  video.addEventListener("mousemove", (e) => { if (hosting()) send("move", ...position(video, e)); });
  // A mouse over the video takes the keys too, unless someone is typing in a field of the page. After a finger,
  // the browser's hover updates do not: a tap that closes a sheet over the video leaves focus where it was.
  let lastPointer = "mouse";
  window.addEventListener("pointerdown", (e) => { lastPointer = e.pointerType; }, true);
  video.addEventListener("pointerenter", (e) => {
    if (e.pointerType === "mouse" && lastPointer === "mouse" && hosting() && !editing()) video.focus({ preventScroll: true });
  });
  video.addEventListener("mousedown", (e) => {
    if (hosting()) {
      video.focus();
      send("move", ...position(video, e));
      send("buttondown", e.button + 1);
      buttons.add(e.button + 1);
    }
    e.preventDefault();
  });
  // Let go anywhere: a drag that leaves the video ends too.
  window.addEventListener("mouseup", (e) => {
    if (!buttons.delete(e.button + 1)) return;
    send("buttonup", e.button + 1);
    if (e.target === video) e.preventDefault();
  });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.addEventListener("wheel", (e) => {
    if (!hosting()) return;
    e.preventDefault();
    send("scroll", -Math.sign(e.deltaX), -Math.sign(e.deltaY), e.ctrlKey ? 1 : 0);
  }, { passive: false });
  keysFrom(video);
  window.addEventListener("blur", releaseAll);
}
