// The room's page: log in, open the WebSocket, play the room over WebRTC, send input while hosting.
// Plain script, no build step; the server's CSP allows only this origin's script and style.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { token: "", id: "", ws: null, pc: null, channel: null, host: null, screen: { width: 1280, height: 720 }, sessions: {} };

// --- Neko's data channel protocol (big-endian, u8 op + u16 length) ---
function message(op, format, values) {
  const sizes = { H: 2, h: 2, I: 4, B: 1 };
  const length = 3 + [...format].reduce((n, f) => n + sizes[f], 0);
  const view = new DataView(new ArrayBuffer(length));
  view.setUint8(0, op);
  view.setUint16(1, length);
  let at = 3;
  [...format].forEach((f, i) => {
    const v = values[i];
    if (f === "H") view.setUint16(at, v); else if (f === "h") view.setInt16(at, v);
    else if (f === "I") view.setUint32(at, v); else view.setUint8(at, v);
    at += sizes[f];
  });
  return view.buffer;
}
const OPS = { move: [1, "HH"], scroll: [2, "hhB"], keydown: [3, "I"], keyup: [4, "I"], buttondown: [5, "I"], buttonup: [6, "I"], ping: [7, "II"] };
function send(name, ...values) {
  if (!state.channel || state.channel.readyState !== "open") return;
  const [op, format] = OPS[name];
  state.channel.send(message(op, format, values));
}

// --- WebSocket events ---
function emit(event, payload) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify({ event, payload }));
}

const handlers = {
  "system/init": (p) => {
    state.id = p.session_id;
    state.screen = p.screen_size || state.screen;
    state.host = p.control_host && p.control_host.has_host ? p.control_host.host_id : null;
    state.sessions = p.sessions || {};
    const quality = $("quality");
    quality.replaceChildren(...(p.webrtc.videos || []).map((id) => new Option(id, id)));
    renderSessions();
    emit("signal/request", { video: {}, audio: {} });
  },
  "system/disconnect": (p) => status("disconnected: " + (p && p.message)),
  "screen/updated": (p) => { state.screen = p; },
  "control/host": (p) => { state.host = p.has_host ? p.host_id : null; renderSessions(); },
  "session/created": (p) => { state.sessions[p.id] = p; renderSessions(); },
  "session/deleted": (p) => { delete state.sessions[p.id]; renderSessions(); },
  "session/profile": (p) => { const s = state.sessions[p.id]; if (s) { s.profile = p; renderSessions(); } },
  "session/state": (p) => { const s = state.sessions[p.id]; if (s) { s.state = p; renderSessions(); } },
  "signal/provide": (p) => provide(p),
  // The server's trickled candidates ({candidate: ""} ends an m-line's); queued behind the offer by the browser.
  "signal/candidate": (p) => state.pc && state.pc.addIceCandidate(p).catch((e) => console.warn("candidate", e)),
  "signal/restart": (p) => answer(p.sdp),
  "signal/offer": (p) => answer(p.sdp),
  "signal/close": () => { status("stream closed"); closePeer(); },
  "signal/video": (p) => { $("quality").value = p.id; },
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const base = location.pathname.replace(/[^/]*$/, "");
  state.ws = new WebSocket(`${scheme}//${location.host}${base}api/ws?token=${encodeURIComponent(state.token)}`);
  state.ws.onmessage = (e) => {
    const { event, payload } = JSON.parse(e.data);
    if (handlers[event]) handlers[event](payload);
  };
  state.ws.onclose = () => { status("disconnected"); closePeer(); };
}

// --- WebRTC: the server offers, we answer ---
async function provide(p) {
  closePeer();
  const pc = new RTCPeerConnection({ iceServers: p.iceservers || [] });
  state.pc = pc;
  pc.ontrack = (e) => { const v = $("video"); if (v.srcObject !== e.streams[0]) v.srcObject = e.streams[0]; };
  pc.ondatachannel = (e) => {
    state.channel = e.channel;
    state.channel.binaryType = "arraybuffer";
    state.channel.onmessage = (m) => received(new DataView(m.data));
  };
  pc.onicecandidate = (e) => { if (e.candidate) emit("signal/candidate", e.candidate.toJSON()); };
  pc.onconnectionstatechange = () => status(pc.connectionState);
  await answer(p.sdp);
}

async function answer(sdp) {
  await state.pc.setRemoteDescription({ type: "offer", sdp });
  await state.pc.setLocalDescription(await state.pc.createAnswer());
  emit("signal/answer", { sdp: state.pc.localDescription.sdp });
}

// The video has no pointer in it: the server sends the cursor's image and (to non-hosts) its position.
const cursor = { x: 0, y: 0, xhot: 0, yhot: 0 };
function received(view) {
  const op = view.getUint8(0);
  if (op === 1) {
    cursor.x = view.getUint16(3);
    cursor.y = view.getUint16(5);
  } else if (op === 2) {
    cursor.xhot = view.getUint16(7);
    cursor.yhot = view.getUint16(9);
    const png = new Blob([view.buffer.slice(11)], { type: "image/png" });
    const img = $("cursor");
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(png);
  }
  drawCursor();
}
function drawCursor() {
  const img = $("cursor");
  const video = $("video").getBoundingClientRect();
  const stage = $("stage").getBoundingClientRect();
  img.hidden = hosting() || !img.src;  // the host sees its own pointer
  const scale = video.width / state.screen.width;
  img.style.left = `${video.left - stage.left + (cursor.x - cursor.xhot) * scale}px`;
  img.style.top = `${video.top - stage.top + (cursor.y - cursor.yhot) * scale}px`;
}

function closePeer() {
  if (state.pc) state.pc.close();
  state.pc = null;
  state.channel = null;
}

// --- input, only while hosting ---
const hosting = () => state.host !== null && state.host === state.id;
function position(e) {
  const r = $("video").getBoundingClientRect();
  const x = Math.round(((e.clientX - r.left) / r.width) * state.screen.width);
  const y = Math.round(((e.clientY - r.top) / r.height) * state.screen.height);
  return [Math.max(0, Math.min(x, state.screen.width - 1)), Math.max(0, Math.min(y, state.screen.height - 1))];
}
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
  return code < 0x100 ? code : 0x01000000 + code;  // X keysyms for Unicode
}

function bindInput() {
  const video = $("video");
  video.addEventListener("mousemove", (e) => { if (hosting()) send("move", ...position(e)); });
  video.addEventListener("mousedown", (e) => { if (hosting()) { video.focus(); send("move", ...position(e)); send("buttondown", e.button + 1); } e.preventDefault(); });
  video.addEventListener("mouseup", (e) => { if (hosting()) send("buttonup", e.button + 1); e.preventDefault(); });
  video.addEventListener("contextmenu", (e) => e.preventDefault());
  video.addEventListener("wheel", (e) => {
    if (!hosting()) return;
    e.preventDefault();
    send("scroll", Math.sign(e.deltaX) * -1, Math.sign(e.deltaY) * -1, e.ctrlKey ? 1 : 0);
  }, { passive: false });
  for (const [type, name] of [["keydown", "keydown"], ["keyup", "keyup"]]) {
    video.addEventListener(type, (e) => { const k = keysym(e); if (hosting() && k) { send(name, k); e.preventDefault(); } });
  }
}

// --- the side panel ---
function status(text) { $("status").textContent = text; }
function renderSessions() {
  const items = Object.values(state.sessions).filter((s) => s.state && s.state.is_connected).map((s) => {
    const li = document.createElement("li");
    li.textContent = (s.profile && s.profile.name) || s.id;
    li.classList.toggle("host", s.id === state.host);
    li.classList.toggle("me", s.id === state.id);
    li.classList.toggle("watching", Boolean(s.state.is_watching));
    return li;
  });
  $("sessions").replaceChildren(...items);
  $("control").textContent = hosting() ? "Release control" : "Request control";
  $("video").classList.toggle("hosting", hosting());
  drawCursor();
}

async function login(e) {
  e.preventDefault();
  const form = new FormData($("login"));
  const response = await fetch("api/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { $("login-error").textContent = body.message || "login failed"; return; }
  state.token = body.token;
  $("login").hidden = true;
  $("room").hidden = false;
  connect();
}

$("login").addEventListener("submit", login);
$("control").addEventListener("click", () => emit(hosting() ? "control/release" : "control/request"));
$("sound").addEventListener("click", () => { const v = $("video"); v.muted = !v.muted; $("sound").textContent = v.muted ? "Unmute" : "Mute"; });
$("quality").addEventListener("change", (e) => emit("signal/video", { selector: { type: "exact", id: e.target.value } }));
$("logout").addEventListener("click", async () => {
  await fetch("api/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } });
  location.reload();
});
bindInput();
