// The WebSocket's media decoded with WebCodecs (VideoDecoder, AudioDecoder) and painted to a canvas: the
// lowest delay, on secure pages only (https, localhost), where browsers offer WebCodecs.
const VIDEO_CODECS = { 1: "vp8", 2: "vp09.00.10.08", 3: "av01.0.04M.08", 4: "avc1.42E01F" };
// The server's frames are BT.601, limited range (media/yuv.py); VP8 streams do not say so themselves.
const BT601 = { primaries: "smpte170m", transfer: "smpte170m", matrix: "smpte170m", fullRange: false };

export const available = () => typeof VideoDecoder !== "undefined";

// ``loudness`` gives { muted, volume } for each sound piece (the sound panel's); ``shown`` is called per frame.
export function canvasSink(canvas, loudness, shown) {
  let video = null; // { decoder, codec }
  let sound = null; // { decoder, context, gain, at }

  function paint(frame) {
    if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
      Object.assign(canvas, { width: frame.displayWidth, height: frame.displayHeight });
    }
    canvas.getContext("2d").drawImage(frame, 0, 0);
    frame.close();
    shown();
  }

  // Each decoded piece is scheduled right after the previous one; a gap or a late piece starts again just ahead.
  function play(data) {
    const { context, gain } = sound;
    const buffer = context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
    for (let c = 0; c < data.numberOfChannels; c++) buffer.copyToChannel(planeOf(data, c), c);
    data.close();
    const { muted, volume } = loudness();
    gain.gain.value = muted ? 0 : volume;
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(gain);
    const now = context.currentTime;
    if (sound.at < now || sound.at > now + 0.25) sound.at = now + 0.04;
    source.start(sound.at);
    sound.at += buffer.duration;
  }

  return {
    canvas: true,
    video(codec, chunk) {
      if (!video || video.codec !== codec || video.decoder.state === "closed") {
        if (chunk.type !== "key" || !VIDEO_CODECS[codec]) return; // a decoder starts at a keyframe
        const decoder = new VideoDecoder({ output: paint, error: (e) => { console.warn("video decoder", e); video = null; } });
        decoder.configure({ codec: VIDEO_CODECS[codec], optimizeForLatency: true, colorSpace: BT601 });
        video = { decoder, codec };
      }
      video.decoder.decode(new EncodedVideoChunk(chunk));
    },
    audio(chunk) {
      if (!sound) {
        const decoder = new AudioDecoder({ output: play, error: (e) => console.warn("audio decoder", e) });
        decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: 2 });
        const context = new AudioContext({ sampleRate: 48000 });
        const gain = context.createGain();
        gain.connect(context.destination);
        sound = { decoder, context, gain, at: 0 };
      }
      if (sound.decoder.state === "configured") sound.decoder.decode(new EncodedAudioChunk({ ...chunk, type: "key" }));
    },
    close() {
      for (const part of [video, sound]) if (part?.decoder.state !== "closed") part?.decoder.close();
      if (sound) sound.context.close();
      video = sound = null;
    },
  };
}

function planeOf(data, channel) {
  const plane = new Float32Array(data.numberOfFrames);
  data.copyTo(plane, { planeIndex: channel, format: "f32-planar" });
  return plane;
}
