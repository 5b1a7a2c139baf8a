// The WebSocket's media played through Media Source Extensions in the page's own video element: for
// pages that are not secure contexts (plain http on an address other than localhost), where browsers
// offer no WebCodecs. Each packet becomes a WebM cluster (webm.js) at its own time from the server.
// - A video frame lasts an hour unless the next one comes: an idle desktop leaves no gap in the buffer
//   (at a gap the browser would wait, then drop frames until a keyframe) and the playhead runs on.
// - The video's playhead runs a little ahead of each frame's time at its arrival, so a frame is due as
//   soon as it is decoded. The sound's runs a little behind, so its buffer does not run dry. A playhead
//   further behind than that (the start, a stall) plays faster until it is back.
// - A browser starts to play once a few frames are queued ahead of the playhead, and the server sends
//   only two after a keyframe on an idle desktop: the first keyframe goes in PREROLL times, SPACING
//   apart and ending at its own time (a keyframe decodes to the same picture each time, and the next
//   frame refers to that picture).
// The sound plays in an audio element of its own, so the video never waits for it. VP8 and VP9.
import { cluster, initialisation, vp8Size } from "./webm.js";

const VIDEO = { 1: ["V_VP8", 'video/webm; codecs="vp8"'], 2: ["V_VP9", 'video/webm; codecs="vp9"'] };
const AUDIO = ["A_OPUS", 'audio/webm; codecs="opus"'];
const HOLD = 3600 * 1000; // ms a video frame lasts unless replaced
const PREROLL = 5; // frames Chromium wants queued before it plays (media/base/limits.h's kMaxVideoFrames, 4) and one
const SPACING = 40000; // µs between those copies: each in a display interval of its own
const LEAD = { video: 0.15, audio: -0.2 }; // s the playhead keeps ahead of the newest packet's time at its arrival
const SLACK = 0.1; // s behind its lead before a playhead plays faster
const KEPT = 10; // s of played media kept in the buffer
const QUEUED = 60; // appends waiting before the video skips to the next keyframe

export const available = () => typeof MediaSource !== "undefined" && MediaSource.isTypeSupported(VIDEO[1][1]);
export const plays = (codec) => Boolean(VIDEO[codec]) && MediaSource.isTypeSupported(VIDEO[codec][1]);

// One MediaSource with one SourceBuffer on ``element``; appends queue while it is busy.
function lane(element, mime, first, lead) {
  const source = new MediaSource();
  const state = { buffer: null, queue: [first], skipping: false, base: null, newest: 0, arrived: 0 };
  element.src = URL.createObjectURL(source);
  source.addEventListener("sourceopen", () => {
    URL.revokeObjectURL(element.src);
    source.duration = Infinity; // live
    state.buffer = source.addSourceBuffer(mime);
    state.buffer.addEventListener("updateend", () => { trim(); next(); });
    next();
  });

  function next() {
    const buffer = state.buffer;
    if (!buffer || buffer.updating || !state.queue.length || source.readyState !== "open") return;
    try { buffer.appendBuffer(state.queue.shift()); } catch (e) { console.warn("media source", e); }
  }

  function trim() {
    const buffer = state.buffer;
    if (buffer.updating || !buffer.buffered.length) return;
    steer();
    const start = buffer.buffered.start(0);
    if (element.currentTime - start > 2 * KEPT) buffer.remove(start, element.currentTime - KEPT);
  }

  function steer() {
    const ahead = element.currentTime - state.newest - (performance.now() - state.arrived) / 1000;
    if (ahead < lead - SLACK && element.playbackRate === 1) {
      const rate = ahead < lead - 1 ? 8 : 2; // a long stall (a tab in the background) catches up sooner
      element.playbackRate = rate;
      setTimeout(() => { element.playbackRate = 1; }, ((lead - ahead) * 1000) / (rate - 1));
    }
    if (element.paused) element.play().catch(() => {});
  }

  return {
    // ``timestamp``: the server's, in µs.
    append(timestamp, key, data, copies = 1) {
      if (state.base === null) state.base = timestamp - (copies - 1) * SPACING;
      const us = timestamp - state.base;
      if (state.buffer && state.queue.length >= QUEUED) { state.queue.length = 0; state.skipping = true; }
      if (state.skipping && !key) return;
      state.skipping = false;
      state.newest = us / 1e6;
      state.arrived = performance.now();
      for (let i = copies - 1; i >= 0; i--) state.queue.push(cluster(us - i * SPACING, key, data));
      next();
    },
    close() {
      if (source.readyState === "open") try { source.endOfStream(); } catch { /* closing anyway */ }
      element.removeAttribute("src");
      element.load();
    },
  };
}

// ``loudness`` gives { muted, volume } (the sound panel's, on the video element); ``shown`` is called per frame.
export function elementSink(video, loudness, shown) {
  let picture = null; // { lane, codec, width, height }
  let sound = null; // { lane, element }
  video.srcObject = null;
  const onPlaying = () => shown(true);
  video.addEventListener("playing", onPlaying);

  return {
    canvas: false,
    // False for a codec this sink cannot play.
    video(codec, chunk) {
      if (!plays(codec)) return false;
      const key = chunk.type === "key";
      const size = key && codec === 1 ? vp8Size(chunk.data) : null;
      // A new codec or a new screen size starts a new stream, at a keyframe.
      const fresh = !picture || picture.codec !== codec || (size && (size.width !== picture.width || size.height !== picture.height));
      if (fresh && !key) return true;
      if (fresh) {
        picture?.lane.close();
        const { width, height } = size || { width: 1280, height: 720 };
        const first = initialisation(VIDEO[codec][0], width, height, HOLD);
        picture = { codec, width, height, lane: lane(video, VIDEO[codec][1], first, LEAD.video) };
        picture.lane.append(chunk.timestamp, true, chunk.data, PREROLL);
      } else picture.lane.append(chunk.timestamp, key, chunk.data);
      shown(false);
      return true;
    },
    audio(chunk) {
      if (!sound) {
        const element = Object.assign(new Audio(), { id: "socket-sound", hidden: true });
        document.body.append(element);
        sound = { element, lane: lane(element, AUDIO[1], initialisation(AUDIO[0]), LEAD.audio) };
      }
      Object.assign(sound.element, loudness());
      sound.lane.append(chunk.timestamp, true, chunk.data);
    },
    close() {
      video.removeEventListener("playing", onPlaying);
      picture?.lane.close();
      sound?.lane.close();
      sound?.element.remove();
      picture = sound = null;
    },
  };
}
