// Video and audio over a WebSocket (/api/room/media), when the WebRTC peer fails (diagnosis.js names the
// step and starts this) or when asked for in the settings: the server's packets (12-byte header: kind, flags, codec, reserved, u64 µs) decoded
// with WebCodecs and painted to a canvas in place of the video. Input goes back on the same socket.
import { $, el } from "./dom.js";
import { bindInput } from "./input.js";
import { emit, on } from "./net.js";
import { state, update } from "./store.js";
import { t } from "./strings.js";

const VIDEO_CODECS = { 1: "vp8", 2: "vp09.00.10.08", 3: "av01.0.04M.08", 4: "avc1.42E01F" };
const KIND = { video: 1, audio: 2, data: 3 };
// The server's frames are BT.601, limited range (media/yuv.py); VP8 streams do not say so themselves.
const BT601 = { primaries: "smpte170m", transfer: "smpte170m", matrix: "smpte170m", fullRange: false };
const KEY = "nekoapi.wsmedia"; // "1": the WebSocket for media without trying ICE first
const asked = () => localStorage.getItem(KEY) === "1";
const counted = { frames: 0, bytes: 0, rtt: null };
const PING_EVERY = 2000; // ms: Neko's PING on this socket; its PONG gives the round-trip time
const SPLIT = 2 ** 32 - 1; // Neko's split of a time in ms into hi * (2^32 - 1) + lo
let socket = null;
let video = null; // { decoder, codec }
let sound = null; // { decoder, context, gain, at }
let pinger = 0;

state.viaSocket = asked(); // media.js asks for no WebRTC peer meanwhile
on("system/init", () => { if (asked()) start(); });
on("closed", () => stop());

export function usingSocket() {
  return socket !== null;
}

export function start() {
  if (socket) return;
  if (typeof VideoDecoder === "undefined") return update({ notice: t("socketMediaNeedsHttps") }); // WebCodecs: https only
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
  showCanvas(true);
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
  for (const part of [video, sound]) if (part?.decoder.state !== "closed") part?.decoder.close();
  video = null;
  if (sound) sound.context.close();
  sound = null;
  showCanvas(false);
  if (was) update({ playing: false, channel: null });
}

function received(buffer) {
  const view = new DataView(buffer);
  const kind = view.getUint8(0);
  const chunk = { type: view.getUint8(1) & 1 ? "key" : "delta", timestamp: Number(view.getBigUint64(4)), data: new Uint8Array(buffer, 12) };
  if (kind === KIND.video) decodeVideo(view.getUint8(2), chunk);
  else if (kind === KIND.audio) decodeAudio(chunk);
  else if (kind === KIND.data && chunk.data[0] === 3) pong(new DataView(buffer, 12));
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

function decodeVideo(codec, chunk) {
  if (!video || video.codec !== codec || video.decoder.state === "closed") {
    if (chunk.type !== "key" || !VIDEO_CODECS[codec]) return; // a decoder starts at a keyframe
    const decoder = new VideoDecoder({ output: paint, error: (e) => { console.warn("video decoder", e); video = null; } });
    decoder.configure({ codec: VIDEO_CODECS[codec], optimizeForLatency: true, colorSpace: BT601 });
    video = { decoder, codec };
  }
  video.decoder.decode(new EncodedVideoChunk(chunk));
}

function paint(frame) {
  const canvas = $("screen");
  if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
    Object.assign(canvas, { width: frame.displayWidth, height: frame.displayHeight });
  }
  canvas.getContext("2d").drawImage(frame, 0, 0);
  frame.close();
  counted.frames += 1;
  if (!state.playing) update({ playing: true });
}

function decodeAudio(chunk) {
  if (!sound) {
    const decoder = new AudioDecoder({ output: play, error: (e) => console.warn("audio decoder", e) });
    decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 2 });
    const context = new AudioContext({ sampleRate: 48000 });
    const gain = context.createGain();
    gain.connect(context.destination);
    sound = { decoder, context, gain, at: 0 };
  }
  if (sound.decoder.state === "configured") sound.decoder.decode(new EncodedAudioChunk({ ...chunk, type: "key" }));
}

// Each decoded piece is scheduled right after the previous one; a gap or a late piece starts again just ahead.
function play(data) {
  const { context, gain } = sound;
  const buffer = context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
  for (let c = 0; c < data.numberOfChannels; c++) buffer.copyToChannel(planeOf(data, c), c);
  data.close();
  const element = $("video"); // the sound panel's mute and volume act on the video element
  gain.gain.value = element.muted ? 0 : element.volume;
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(gain);
  const now = context.currentTime;
  if (sound.at < now || sound.at > now + 0.25) sound.at = now + 0.04;
  source.start(sound.at);
  sound.at += buffer.duration;
}

function planeOf(data, channel) {
  const plane = new Float32Array(data.numberOfFrames);
  data.copyTo(plane, { planeIndex: channel, format: "f32-planar" });
  return plane;
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
