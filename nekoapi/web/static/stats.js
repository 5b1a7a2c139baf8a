// The connection's numbers from RTCPeerConnection.getStats: the path the media take, round-trip time,
// frames a second, bitrate, packet loss, decode time and the estimated delay, each since the previous sample.
import { state } from "./store.js";
import { socketReading, usingSocket } from "./wsmedia.js";

function pathOf(report, pair) {
  const local = pair && report.get(pair.localCandidateId);
  if (!local) return "";
  if (local.candidateType === "relay") return `relay (${local.relayProtocol || local.protocol})`;
  return `${local.protocol?.toUpperCase()} ${local.candidateType}`;
}

// Each caller gets its own sampler, so each sees the change since its own previous sample.
export function sampler() {
  let previous = null;
  return async () => {
    if (!usingSocket() && !state.pc) return null;
    const now = usingSocket() ? socketReading() : await read(state.pc);
    const before = previous || now;
    previous = now;
    return numbers(before, now);
  };
}

async function read(pc) {
  const report = await pc.getStats();
  let pair = null;
  let video = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
    if (s.type === "inbound-rtp" && s.kind === "video") video = s;
  });
  return { at: performance.now(), bytes: video?.bytesReceived || 0, frames: video?.framesDecoded || 0,
    lost: video?.packetsLost || 0, got: video?.packetsReceived || 0, decode: video?.totalDecodeTime || 0,
    buffered: video?.jitterBufferDelay || 0, emitted: video?.jitterBufferEmittedCount || 0,
    path: pathOf(report, pair), rtt: pair?.currentRoundTripTime };
}

function numbers(before, now) {
  const seconds = Math.max((now.at - before.at) / 1000, 0.001);
  const frames = now.frames - before.frames;
  const packets = now.lost - before.lost + now.got - before.got;
  return {
    path: now.path,
    rtt: now.rtt != null ? Math.round(now.rtt * 1000) : null,
    fps: Math.round(frames / seconds),
    kbps: Math.round(((now.bytes - before.bytes) * 8) / seconds / 1000),
    loss: packets > 0 ? Math.round(((now.lost - before.lost) / packets) * 1000) / 10 : 0,
    decode: frames > 0 && now.decode != null ? Math.round(((now.decode - before.decode) / frames) * 10000) / 10 : null,
    delay: estimatedDelay(before, now, frames),
  };
}

// Glass to glass as far as the page can see it: half the round trip (the way here), the frames' time
// in the jitter buffer and in the decoder, and half a 60 Hz refresh until the screen shows them. The
// server's grab and encode (about 10 ms a frame, in its /metrics) come on top.
function estimatedDelay(before, now, frames) {
  const emitted = (now.emitted || 0) - (before.emitted || 0);
  if (now.rtt == null || now.decode == null || emitted <= 0 || frames <= 0) return null;
  const buffered = (now.buffered - before.buffered) / emitted;
  const decode = (now.decode - before.decode) / frames;
  return Math.round(1000 * (now.rtt / 2 + buffered + decode) + 1000 / 120);
}
