// The room's WebSocket (/api/ws, Neko's v3 events) with reconnection, and the REST API.
import { state, update } from "./store.js";

const handlers = {};
// Reasons after which coming back makes no sense: the session is gone or another socket took it.
const FINAL = new Set(["session deleted", "connection replaced", "already connected", "connection disabled", "profile changed"]);
let socket = null;
let backoff = 500;
let finalReason = "";

export function on(event, handler) {
  (handlers[event] ||= []).push(handler);
}

export function emit(event, payload) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ event, payload }));
}

export function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const base = location.pathname.replace(/[^/]*$/, "");
  finalReason = "";
  socket = new WebSocket(`${scheme}//${location.host}${base}api/ws?token=${encodeURIComponent(state.token)}`);
  update({ connection: "connecting" });
  let opened = false;
  socket.onopen = () => {
    backoff = 500;
    opened = true;
    if (state.diagnosis === "websocket") update({ diagnosis: "" });
  };
  socket.onmessage = (e) => {
    const { event, payload } = JSON.parse(e.data);
    for (const handler of handlers[event] || []) handler(payload);
  };
  socket.onclose = async () => {
    socket = null;
    for (const handler of handlers.closed || []) handler();
    // A restarted server may no longer know this token (it refuses on the socket, so ask).
    if (!finalReason && state.token && !(await tokenKnown())) finalReason = "session ended";
    if (finalReason || !state.token) {
      for (const handler of handlers.ended || []) handler(finalReason);
      return update({ connection: "closed", reason: finalReason });
    }
    // The server answers over HTTP but its WebSocket never opened: a proxy in between drops the upgrade.
    if (!opened && (await serverUp())) update({ diagnosis: "websocket" });
    retry();
  };
}

// Exponential back-off, 0.5 s doubling to 8 s, so a restarting server is not hammered; but a server
// that was down (its /health unreachable) and answers again is reconnected to at once.
function retry() {
  const delay = backoff;
  backoff = Math.min(backoff * 2, 8000);
  update({ connection: "retrying", retryIn: Math.ceil(delay / 1000) });
  let wasDown = false;
  let done = false;
  const again = () => {
    if (done) return; // a probe may answer after the timer fired
    done = true;
    clearTimeout(timer);
    clearInterval(probe);
    connect();
  };
  const timer = setTimeout(again, delay);
  const probe = setInterval(async () => {
    const up = await serverUp();
    if (!up) wasDown = true;
    else if (wasDown) again();
  }, 250);
}

const serverUp = () => fetch("health", { cache: "no-store" }).then((r) => r.ok, () => false);

on("system/disconnect", (p) => {
  if (FINAL.has(p?.message)) finalReason = p.message;
  update({ reason: p?.message || "" });
});

async function tokenKnown() {
  try { await api("whoami"); return true; } catch (error) { return error.status !== 401; }
}

export function stop() {
  finalReason = "logged out";
  if (socket) socket.close();
}

// A REST call with the session's token; resolves to the parsed body, throws Error(message) on a refusal.
export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`api/${path}`, { method, headers, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await response.text();
  const data = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : null;
  if (!response.ok) throw Object.assign(new Error(data?.message || `${response.status}`), { status: response.status });
  return data;
}
