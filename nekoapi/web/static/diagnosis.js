// Why the video does not play, named by the step that failed, in words a user can act on: the room's
// WebSocket, ICE (no network path to the server's media ports), DTLS (a path, but no encrypted handshake
// over it) or the media themselves (connected, and nothing arrives). A peer gets MEDIA_BOUND to connect
// (twice that for its first packet); then, or as soon as ICE fails, the page names the step and falls
// back to the WebSocket for media.
import { $ } from "./dom.js";
import { on } from "./net.js";
import { state, subscribe, update } from "./store.js";
import { t } from "./strings.js";
import { start as socketMedia, usingSocket } from "./wsmedia.js";

const MEDIA_BOUND = 5000; // ms from the server's offer until the peer must be connected (its first packet: twice that)
const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|fc|fd|fe80)/i;
let timer = 0;
let offered = new Set(); // "UDP 10.0.0.1:59000": the server's candidates, from its offer and its trickle

on("signal/provide", (p) => watch(p.sdp));
on("signal/restart", (p) => watch(p.sdp));
on("signal/candidate", (c) => candidate(c?.candidate || ""));
on("closed", () => clearTimeout(timer));

function watch(sdp) {
  clearTimeout(timer);
  offered = new Set();
  for (const line of sdp.split(/\r?\n/)) if (line.startsWith("a=candidate:")) candidate(line.slice(2));
  if (usingSocket()) return;
  if (state.diagnosis !== "websocket") update({ diagnosis: "" });
  setTimeout(() => { // after media.js has made the peer for this offer, whichever module heard it first
    const pc = state.pc;
    pc?.addEventListener("iceconnectionstatechange", () => { if (pc.iceConnectionState === "failed") check(pc); });
  });
  timer = setTimeout(() => check(state.pc), MEDIA_BOUND);
}

// "candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ..."
function candidate(line) {
  const parts = line.replace(/^candidate:/, "").split(" ");
  if (parts.length >= 8 && parts[7] !== "relay") offered.add(`${parts[2].toUpperCase()} ${parts[4]}:${parts[5]}`);
}

async function check(pc, again = true) {
  if (!pc || pc !== state.pc || usingSocket()) return;
  clearTimeout(timer);
  const step = await failedStep(pc);
  if (!step || pc !== state.pc) return;
  // Connected, nothing yet: a loaded machine may have just finished the handshake. One bound more.
  if (step === "media" && again) { timer = setTimeout(() => check(pc, false), MEDIA_BOUND); return; }
  update({ diagnosis: step });
  socketMedia();
}

async function failedStep(pc) {
  if (!["connected", "completed"].includes(pc.iceConnectionState)) return "ice";
  const dtls = pc.getReceivers().map((r) => r.transport?.state).find(Boolean) ?? pc.sctp?.transport?.state;
  if (dtls !== "connected") return "dtls";
  let packets = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp") packets += s.packetsReceived || 0; });
  return packets > 0 ? "" : "media";
}

function words(s) {
  if (!s.diagnosis) return "";
  const ports = [...offered].join(", ") || t("noCandidates");
  const addresses = [...offered].map((p) => p.split(" ")[1].replace(/:\d+$/, ""));
  let text = t(`failed.${s.diagnosis}`, { ports });
  // The server offered only private addresses to a browser that reached it some other way: a NAT in between.
  if (s.diagnosis === "ice" && addresses.length && addresses.every((a) => PRIVATE.test(a)) && !addresses.includes(location.hostname)) {
    text += ` ${t("failed.behindNat")}`;
  }
  if (s.viaSocket && s.diagnosis !== "websocket") text += ` ${t("failed.socketInstead")}`;
  return text;
}

function render(s) {
  const text = words(s);
  const box = $("diagnosis");
  if (box.textContent !== text) box.textContent = text;
  box.hidden = !text;
}

subscribe(render);
