// Video and audio over a WebSocket (/api/room/media), when the WebRTC peer fails (diagnosis.js names the
// step and starts this) or when asked for in the settings: the server's packets (12-byte header: kind,
// flags, codec, reserved, u64 µs), decoded with WebCodecs onto a canvas in place of the video on secure
// pages (webcodecs.js), or played by the video element itself through Media Source Extensions on plain
// http (msemedia.js). Input goes back on the same socket.
import { $, el } from "./dom.js";
import { bindInput } from "./input.js";
import * as mse from "./msemedia.js";
import { emit, on } from "./net.js";
import { state, update } from "./store.js";
import { t } from "./strings.js";
import * as webcodecs from "./webcodecs.js";

const KIND = { video: 1, audio: 2, data: 3 };
const KEY = "nekoapi.wsmedia"; // "1": the WebSocket for media without trying ICE first
const asked = () => localStorage.getItem(KEY) === "1";
const counted = { frames: 0, bytes: 0, rtt: null };
const PING_EVERY = 2000; // ms: Neko's PING on this socket; its PONG gives the round-trip time
const SPLIT = 2 ** 32 - 1; // Neko's split of a time in ms into hi * (2^32 - 1) + lo
let socket = null;
let sink = null; // where the packets play: webcodecs.js's canvas or msemedia.js's video element
let pinger = 0;

state.viaSocket = asked(); // media.js asks for no WebRTC peer meanwhile
on("system/init", () => { if (asked()) start(); });
on("closed", () => stop());

export function usingSocket() {
  return socket !== null;
}

// The sound panel's mute and volume act on the video element, whichever plays the sound.
const loudness = () => ({ muted: $("video").muted, volume: $("video").volume });

function shown(playing) {
  counted.frames += playing ? 0 : 1;
  if (!state.playing && (playing || sink?.canvas)) update({ playing: true });
}

function newSink() {
  if (webcodecs.available()) return webcodecs.canvasSink($("screen"), loudness, () => shown(false));
  if (mse.available()) return mse.elementSink($("video"), loudness, shown);
  return null;
}

export function start() {
  if (socket) return;
  sink = newSink();
  if (!sink) return update({ notice: t("socketMediaUnplayable") });
  state.viaSocket = true;
  if (state.pc) state.pc.close();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const base = location.pathname.replace(/[^/]*$/, "");
  socket = new WebSocket(`${scheme}//${location.host}${base}api/room/media?token=${encodeURIComponent(state.token)}`);
  socket.binaryType = "arraybuffer";
  const mine = socket;
  let opened = false;
  // Input (media.js's send) goes on this socket, in the data channel's format.
  socket.onopen = () => {
    opened = true;
    Object.assign(state, { pc: null, channel: { readyState: "open", send: (b) => mine.send(b) } });
    ping(mine);
    pinger = setInterval(() => ping(mine), PING_EVERY);
  };
  socket.onmessage = (e) => { counted.bytes += e.data.byteLength; received(e.data); };
  socket.onclose = () => {
    if (socket !== mine) return;
    if (!opened) update({ notice: t("socketMediaFailed") });
    stop();
  };
  showCanvas(sink.canvas);
}

// One element at a time is the "Room screen": the canvas takes the video's place and its name.
function showCanvas(shown) {
  const [on, off] = shown ? [$("screen"), $("video")] : [$("video"), $("screen")];
  on.hidden = false;
  on.setAttribute("aria-label", t("screen"));
  off.hidden = true;
  off.removeAttribute("aria-label");
}

export function stop() {
  const was = socket;
  socket = null;
  clearInterval(pinger);
  state.viaSocket = asked();
  if (was) was.close();
  sink?.close();
  sink = null;
  showCanvas(false);
  if (was) update({ playing: false, channel: null });
}

function received(buffer) {
  const view = new DataView(buffer);
  const kind = view.getUint8(0);
  const chunk = { type: view.getUint8(1) & 1 ? "key" : "delta", timestamp: Number(view.getBigUint64(4)), data: new Uint8Array(buffer, 12) };
  if (kind === KIND.video && sink.video(view.getUint8(2), chunk) === false) unplayable(view.getUint8(2));
  else if (kind === KIND.audio) sink.audio(chunk);
  else if (kind === KIND.data && chunk.data[0] === 3) pong(new DataView(buffer, 12));
}

// A codec this page cannot play from the socket (H.264 or AV1 through Media Source Extensions): said once.
function unplayable(codec) {
  const notice = t("socketCodecNeedsHttps", { codec: { 3: "AV1", 4: "H.264" }[codec] || String(codec) });
  if (state.notice !== notice) update({ notice });
}

function ping(target) {
  const now = Date.now();
  const view = new DataView(new ArrayBuffer(11));
  view.setUint8(0, 7);
  view.setUint16(1, 11);
  view.setUint32(3, Math.floor(now / SPLIT));
  view.setUint32(7, now % SPLIT);
  if (target.readyState === WebSocket.OPEN) target.send(view.buffer);
}

function pong(view) {
  const sent = view.getUint32(3) * SPLIT + view.getUint32(7);
  counted.rtt = (Date.now() - sent) / 1000;
}

// For the connection details (stats.js): what came since the page loaded.
export function socketReading() {
  return { at: performance.now(), bytes: counted.bytes, frames: counted.frames, lost: 0, got: 0, decode: null,
    path: "WebSocket", rtt: counted.rtt };
}

function choose(e) {
  localStorage.setItem(KEY, e.target.checked ? "1" : "0");
  if (e.target.checked) return start();
  stop();
  emit("signal/request", { video: { auto: true }, audio: {} });
}

export function bindSocketMedia() {
  bindInput($("screen"));
  const box = el("input", { id: "wsmedia", type: "checkbox", onchange: choose });
  box.checked = asked();
  $("settings-title").parentElement.append(el("label", {}, box, ` ${t("useSocketMedia")}`));
}
