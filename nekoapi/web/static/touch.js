// Touch on the video while hosting: a tap clicks, a drag holds the left button, a long press clicks the right
// button, two fingers scroll. The "Keyboard" button focuses a hidden text box, which raises a phone's keyboard;
// what is typed or composed there (IMEs) is sent to the desktop as characters.
import { $, el } from "./dom.js";
import { keysFrom, position, typeText } from "./input.js";
import { send } from "./media.js";
import { hosting, subscribe } from "./store.js";
import { t } from "./strings.js";

const LONG_PRESS_MS = 600;
const SLOP_PX = 10; // a finger that moves less is still a tap
const SCROLL_STEP_PX = 30; // two fingers moved this far scroll one wheel step

let gesture = null; // { kind: "pending" | "drag" | "scroll" | "done", x, y, timer }

const middle = (touches) => ({
  clientX: (touches[0].clientX + touches[1].clientX) / 2, clientY: (touches[0].clientY + touches[1].clientY) / 2,
});

function click(video, at, button) {
  send("move", ...position(video, at));
  send("buttondown", button);
  send("buttonup", button);
}

function start(video, e) {
  if (e.touches.length >= 2) {
    if (gesture?.kind === "drag") send("buttonup", 1);
    clearTimeout(gesture?.timer);
    const mid = middle(e.touches);
    gesture = { kind: "scroll", x: mid.clientX, y: mid.clientY };
    return;
  }
  const at = { clientX: e.touches[0].clientX, clientY: e.touches[0].clientY };
  gesture = { kind: "pending", x: at.clientX, y: at.clientY };
  gesture.timer = setTimeout(() => {
    if (gesture?.kind !== "pending") return;
    gesture.kind = "done";
    click(video, at, 3);
  }, LONG_PRESS_MS);
}

function moved(video, e) {
  const touch = e.touches[0];
  if (gesture.kind === "scroll" && e.touches.length >= 2) {
    const mid = middle(e.touches);
    const dx = Math.trunc((mid.clientX - gesture.x) / SCROLL_STEP_PX);
    const dy = Math.trunc((mid.clientY - gesture.y) / SCROLL_STEP_PX);
    if (!dx && !dy) return;
    gesture.x += dx * SCROLL_STEP_PX;
    gesture.y += dy * SCROLL_STEP_PX;
    send("scroll", dx, dy, 0); // fingers up scroll down, as a phone's own pages do
  } else if (gesture.kind === "pending" && Math.hypot(touch.clientX - gesture.x, touch.clientY - gesture.y) > SLOP_PX) {
    clearTimeout(gesture.timer);
    gesture.kind = "drag";
    send("move", ...position(video, { clientX: gesture.x, clientY: gesture.y }));
    send("buttondown", 1);
    send("move", ...position(video, touch));
  } else if (gesture.kind === "drag") send("move", ...position(video, touch));
}

function ended(video, e) {
  clearTimeout(gesture.timer);
  if (gesture.kind === "pending" && e.type === "touchend") click(video, { clientX: gesture.x, clientY: gesture.y }, 1);
  if (gesture.kind === "drag") {
    send("move", ...position(video, e.changedTouches[0]));
    send("buttonup", 1);
  }
  gesture = e.touches.length ? { kind: "done" } : null;
}

function bindGestures(video) {
  const active = { passive: false };
  video.addEventListener("touchstart", (e) => { if (hosting()) { e.preventDefault(); start(video, e); } }, active);
  video.addEventListener("touchmove", (e) => { if (gesture) { e.preventDefault(); moved(video, e); } }, active);
  for (const name of ["touchend", "touchcancel"]) {
    video.addEventListener(name, (e) => { if (gesture) { e.preventDefault(); ended(video, e); } }, active);
  }
}

// The hidden text box: physical keys as on the video, and text (phone keyboards, IME commits) as characters.
function bindKeyboard() {
  const box = el("input", {
    id: "keys", "aria-label": t("keyboardInput"), autocomplete: "off", autocapitalize: "off", spellcheck: "false",
    tabindex: "-1", // reached through the button, not the tab order
  });
  const button = el("button", { id: "keyboard", type: "button", text: t("keyboard"), hidden: true });
  keysFrom(box);
  box.addEventListener("compositionend", (e) => { typeText(e.data); box.value = ""; });
  box.addEventListener("input", (e) => {
    if (e.isComposing || e.inputType === "insertCompositionText") return; // sent whole at compositionend
    if (e.inputType === "deleteContentBackward") { send("keydown", 0xff08); send("keyup", 0xff08); }
    else if (e.data) typeText(e.data);
    box.value = "";
  });
  button.addEventListener("click", () => box.focus({ preventScroll: true }));
  $("stage").append(box, button);
  subscribe(() => { button.hidden = !hosting(); });
}

export function bindTouch(video) {
  bindGestures(video);
  bindKeyboard();
}
