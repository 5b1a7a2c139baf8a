// Pointer and keyboard from the video to the desktop, only while this session hosts.
import { send } from "./media.js";
import { hosting, state } from "./store.js";

const SPECIAL = {
  Backspace: 0xff08, Tab: 0xff09, Enter: 0xff0d, Escape: 0xff1b, Delete: 0xffff, Home: 0xff50, ArrowLeft: 0xff51,
  ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54, PageUp: 0xff55, PageDown: 0xff56, End: 0xff57, Insert: 0xff63,
  Shift: 0xffe1, Control: 0xffe3, Alt: 0xffe9, Meta: 0xffeb, CapsLock: 0xffe5, AltGraph: 0xfe03,
};
function keysym(e) {
  if (SPECIAL[e.key]) return SPECIAL[e.key];
  if (/^F\d{1,2}$/.test(e.key)) return 0xffbd + Number(e.key.slice(1));
  if ([...e.key].length !== 1) return 0;
  const code = e.key.codePointAt(0);
  return code < 0x100 ? code : 0x01000000 + code; // X keysyms for Unicode
}

function position(video, e) {
  const r = video.getBoundingClientRect();
  const x = Math.round(((e.clientX - r.left) / r.width) * state.screen.width);
  const y = Math.round(((e.clientY - r.top) / r.height) * state.screen.height);
  return [Math.max(0, Math.min(x, state.screen.width - 1)), Math.max(0, Math.min(y, state.screen.height - 1))];
}

// Keys held down, released when focus leaves so none sticks on the desktop.
const held = new Set();

export function bindInput(video) {
  video.addEventListener("mousemove", (e) => { if (hosting()) send("move", ...position(video, e)); });
  video.addEventListener("mousedown", (e) => {
    if (hosting()) { video.focus(); send("move", ...position(video, e)); send("buttondown", e.button + 1); }
    e.preventDefault();
  });
  video.addEventListener("mouseup", (e) => { if (hosting()) send("buttonup", e.button + 1); e.preventDefault(); });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.addEventListener("wheel", (e) => {
    if (!hosting()) return;
    e.preventDefault();
    send("scroll", -Math.sign(e.deltaX), -Math.sign(e.deltaY), e.ctrlKey ? 1 : 0);
  }, { passive: false });
  video.addEventListener("keydown", (e) => key(e, "keydown"));
  video.addEventListener("keyup", (e) => key(e, "keyup"));
  video.addEventListener("blur", () => { for (const k of held) send("keyup", k); held.clear(); });
}

function key(e, name) {
  const k = keysym(e);
  if (!hosting() || !k) return;
  if (name === "keydown") held.add(k); else held.delete(k);
  send(name, k);
  e.preventDefault();
}
