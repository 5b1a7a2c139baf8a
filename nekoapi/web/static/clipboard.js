// The clipboard both ways while hosting: the desktop's (clipboard/updated) into a text box and, where
// the browser allows it, into the system clipboard; the text box's changes (and the system clipboard's
// text when the video takes focus) out with clipboard/set. Neko's client/src/components/clipboard.vue.
import { $ } from "./dom.js";
import { emit, on } from "./net.js";
import { hosting, state, subscribe, update } from "./store.js";

on("clipboard/updated", (p) => {
  update({ clipboard: p.text || "" });
  if (document.hasFocus() && navigator.clipboard?.writeText) navigator.clipboard.writeText(p.text || "").catch(() => {});
});

function send(text) {
  if (!hosting() || text === state.clipboard) return;
  state.clipboard = text;
  emit("clipboard/set", { text });
}

export function renderClipboard(s) {
  const box = $("clipboard");
  box.disabled = !hosting();
  if (document.activeElement !== box && box.value !== s.clipboard) box.value = s.clipboard;
}

export function bindClipboard() {
  $("clipboard").addEventListener("change", (e) => send(e.target.value));
  // Reading the system clipboard needs the user's permission; without it the text box is the way.
  $("video").addEventListener("focus", () => {
    if (hosting() && navigator.clipboard?.readText) navigator.clipboard.readText().then(send, () => {});
  });
}

subscribe(renderClipboard);
