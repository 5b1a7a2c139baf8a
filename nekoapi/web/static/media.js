// The room's video: the server offers over WebRTC, the page answers; input goes out on the data channel
// (Neko's binary protocol) while this session hosts; the desktop's cursor comes back on it.
import { emit, on } from "./net.js";
import { hosting, state, update } from "./store.js";

const video = () => document.getElementById("video");

// While the media come over the WebSocket (wsmedia.js), no WebRTC peer is asked for or answered.
on("system/init", () => { if (!state.viaSocket) emit("signal/request", { video: { auto: true }, audio: {} }); });
on("signal/provide", (p) => { if (!state.viaSocket) provide(p); });
// The server's trickled candidates ({candidate: ""} ends an m-line's); queued behind the offer by the browser.
on("signal/candidate", (p) => state.pc && state.pc.addIceCandidate(p).catch((e) => console.warn("candidate", e)));
on("signal/restart", (p) => answer(p.sdp));
on("signal/offer", (p) => answer(p.sdp));
on("signal/close", () => closePeer());
on("closed", () => closePeer());

async function provide(p) {
  closePeer();
  const pc = new RTCPeerConnection({ iceServers: p.iceservers || [] });
  state.pc = pc;
  pc.ontrack = (e) => { if (video().srcObject !== e.streams[0]) video().srcObject = e.streams[0]; };
  pc.ondatachannel = (e) => {
    state.channel = e.channel;
    e.channel.binaryType = "arraybuffer";
    e.channel.onmessage = (m) => received(new DataView(m.data));
  };
  pc.onicecandidate = (e) => { if (e.candidate) emit("signal/candidate", e.candidate.toJSON()); };
  pc.onconnectionstatechange = () => update({ playing: pc.connectionState === "connected" });
  await answer(p.sdp);
}

async function answer(sdp) {
  await state.pc.setRemoteDescription({ type: "offer", sdp });
  await state.pc.setLocalDescription(await state.pc.createAnswer());
  emit("signal/answer", { sdp: state.pc.localDescription.sdp });
}

function closePeer() {
  if (state.pc) state.pc.close();
  Object.assign(state, { pc: null, channel: null });
  update({ playing: false });
}

// --- Neko's data channel protocol (big-endian, u8 op + u16 length) ---
const SIZES = { H: 2, h: 2, I: 4, B: 1 };
const OPS = { move: [1, "HH"], scroll: [2, "hhB"], keydown: [3, "I"], keyup: [4, "I"], buttondown: [5, "I"], buttonup: [6, "I"] };
export function send(name, ...values) {
  if (!state.channel || state.channel.readyState !== "open") return;
  const [op, format] = OPS[name];
  const view = new DataView(new ArrayBuffer(3 + [...format].reduce((n, f) => n + SIZES[f], 0)));
  view.setUint8(0, op);
  view.setUint16(1, view.byteLength);
  let at = 3;
  [...format].forEach((f, i) => {
    const setter = { H: "setUint16", h: "setInt16", I: "setUint32", B: "setUint8" }[f];
    view[setter](at, values[i]);
    at += SIZES[f];
  });
  state.channel.send(view.buffer);
}

// The video has no pointer in it: the server sends the cursor's image and (to non-hosts) its position.
const cursor = { x: 0, y: 0, xhot: 0, yhot: 0 };
function received(view) {
  const op = view.getUint8(0);
  if (op === 1) Object.assign(cursor, { x: view.getUint16(3), y: view.getUint16(5) });
  else if (op === 2) {
    Object.assign(cursor, { xhot: view.getUint16(7), yhot: view.getUint16(9) });
    const img = document.getElementById("cursor");
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(new Blob([view.buffer.slice(11)], { type: "image/png" }));
  }
  drawCursor();
}

export function drawCursor() {
  const img = document.getElementById("cursor");
  const box = video().getBoundingClientRect();
  const stage = document.getElementById("stage").getBoundingClientRect();
  img.hidden = hosting() || !img.src; // the host sees its own pointer
  const scale = box.width / state.screen.width;
  img.style.left = `${box.left - stage.left + (cursor.x - cursor.xhot) * scale}px`;
  img.style.top = `${box.top - stage.top + (cursor.y - cursor.yhot) * scale}px`;
}
