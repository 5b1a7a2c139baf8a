// The few WebM (Matroska) elements a live stream needs, for Media Source Extensions: an initialisation
// segment (EBML header, a segment of unknown size, its info and one track), then one cluster per frame.
// Each element is its ID, its size as an EBML variable-length integer (here always 8 bytes), its data.
const text = (s) => new TextEncoder().encode(s);

function join(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

function unsigned(n) { // big-endian, as few bytes as the value needs
  const bytes = [];
  do { bytes.unshift(n % 256); n = Math.floor(n / 256); } while (n > 0);
  return Uint8Array.from(bytes);
}

function float(n) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n);
  return new Uint8Array(view.buffer);
}

const UNKNOWN_SIZE = Uint8Array.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
function size(n) { // the 8-byte form: a marker byte, then 7 bytes of the size
  const out = new Uint8Array(8);
  out[0] = 0x01;
  for (let i = 7; i >= 1; i--) { out[i] = n % 256; n = Math.floor(n / 256); }
  return out;
}
const element = (id, ...data) => { const body = join(...data); return join(unsigned(id), size(body.length), body); };

// Opus's identification header (RFC 7845, 5.1): stereo, 48 kHz, no pre-skip, no gain, mapping family 0.
const OPUS_HEAD = join(text("OpusHead"), Uint8Array.of(1, 2, 0, 0, 0x80, 0xbb, 0, 0, 0, 0, 0));

// The server's frames are BT.601, limited range (media/yuv.py), which VP8 streams do not say themselves:
// Colour with matrix, transfer and primaries 6 (SMPTE 170M) and range 1 (broadcast).
const BT601 = element(0x55b0, element(0x55b1, unsigned(6)), element(0x55b9, unsigned(1)), element(0x55ba, unsigned(6)),
  element(0x55bb, unsigned(6)));

// ``codec``: Matroska's codec ID ("V_VP8", "V_VP9", "A_OPUS"); video tracks carry their size, and
// ``hold`` ms: how long a frame lasts unless the next one comes (the track's default duration, in ns).
export function initialisation(codec, width = 0, height = 0, hold = 0) {
  const header = element(0x1a45dfa3, element(0x4286, unsigned(1)), element(0x42f7, unsigned(1)),
    element(0x42f2, unsigned(4)), element(0x42f3, unsigned(8)), element(0x4282, text("webm")),
    element(0x4287, unsigned(4)), element(0x4285, unsigned(2)));
  // Times in µs (a timecode scale of 1000 ns): the server's own.
  const info = element(0x1549a966, element(0x2ad7b1, unsigned(1000)), element(0x4d80, text("nekoapi")), element(0x5741, text("nekoapi")));
  const audio = codec === "A_OPUS";
  const kind = audio
    ? [element(0x63a2, OPUS_HEAD), element(0xe1, element(0xb5, float(48000)), element(0x9f, unsigned(2)))]
    : [element(0x23e383, unsigned(hold * 1e6)), element(0xe0, element(0xb0, unsigned(width)), element(0xba, unsigned(height)), BT601)];
  const track = element(0xae, element(0xd7, unsigned(1)), element(0x73c5, unsigned(1)), element(0x83, unsigned(audio ? 2 : 1)),
    element(0x86, text(codec)), ...kind);
  return join(header, unsigned(0x18538067), UNKNOWN_SIZE, info, element(0x1654ae6b, track));
}

// One frame at ``us`` µs (the cluster's time; the block's own offset is 0), a keyframe or not.
export function cluster(us, key, data) {
  const block = join(Uint8Array.of(0x81, 0, 0, key ? 0x80 : 0), data);
  return element(0x1f43b675, element(0xe7, unsigned(Math.max(0, Math.round(us)))), element(0xa3, block));
}

// A VP8 keyframe's size (RFC 6386, 9.1: a 3-byte tag, the start code 9d 01 2a, then 14-bit width and height).
export function vp8Size(data) {
  if (data.length < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) return null;
  return { width: (data[6] | (data[7] << 8)) & 0x3fff, height: (data[8] | (data[9] << 8)) & 0x3fff };
}
