// The binary audio messages of /stream/<scene>, /stems/<scene> and /studio/ws, read in
// one place (docs/protocol.md; the writer is soundscape/server/protocol.py):
//
//   offset size  field
//   0      1     version (PROTOCOL_VERSION)
//   1      1     n: frames per stem in this message
//   2      2     stems S (0 for a plain audio message)
//   4      4     seq: u32, the block index on the server clock
//   8      8     position: u64, audio frame (sample_rate) of the first sample
//   16     ...   max(S, 1) times n frames: u16 length, then that many bytes (one Opus
//                packet, or little-endian int16 stereo samples, interleaved)
//
// All integers are big-endian except PCM samples. Pure: no DOM, no sockets. A message
// this page cannot read throws WireError, whose message says so in plain words.

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 16;

export class WireError extends Error {
  constructor(message) { super(message); this.name = 'WireError'; this.code = 'bad_audio'; }
}

/** {version, count, nstems, seq, position} of a binary message; WireError if it is
 * too short or of another protocol version. */
export function readHeader(buf) {
  if (!(buf instanceof ArrayBuffer)) throw new WireError('an audio message is not binary data');
  if (buf.byteLength < HEADER_BYTES) {
    throw new WireError(`an audio message of ${buf.byteLength} bytes is too short (the header alone is ${HEADER_BYTES})`);
  }
  const v = new DataView(buf);
  const version = v.getUint8(0);
  if (version !== PROTOCOL_VERSION) {
    throw new WireError(`the server sends audio in protocol version ${version}, this page reads version ${PROTOCOL_VERSION}: reload the page`);
  }
  return { version, count: v.getUint8(1), nstems: v.getUint16(2), seq: v.getUint32(4),
    position: Number(v.getBigUint64(8)) };
}

/** `count` frames (Uint8Array views into `buf`) read from byte `at`, and where they end. */
function readFrames(buf, at, count) {
  const v = new DataView(buf), frames = [];
  for (let i = 0; i < count; i++) {
    if (at + 2 > buf.byteLength) throw new WireError('an audio message ends inside a frame length');
    const len = v.getUint16(at); at += 2;
    if (at + len > buf.byteLength) throw new WireError('an audio message ends inside a frame');
    frames.push(new Uint8Array(buf, at, len)); at += len;
  }
  return [frames, at];
}

/** A plain audio message: {seq, position, frames}. */
export function readAudio(buf) {
  const h = readHeader(buf);
  const [frames] = readFrames(buf, HEADER_BYTES, h.count);
  return { seq: h.seq, position: h.position, frames };
}

/** A stems message: {seq, position, stems}, stems[k] the frames of the k-th stem of
 * the last `stems` text message. */
export function readStems(buf) {
  const h = readHeader(buf);
  const stems = [];
  let at = HEADER_BYTES;
  for (let k = 0; k < h.nstems; k++) {
    const [frames, end] = readFrames(buf, at, h.count);
    stems.push(frames); at = end;
  }
  return { seq: h.seq, position: h.position, stems };
}

/** One pcm16 frame (interleaved stereo, little-endian) as planar [left, right]. */
export function pcm16Channels(frame) {
  const n = frame.byteLength >> 2, v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const l = new Float32Array(n), r = new Float32Array(n);
  for (let k = 0; k < n; k++) { l[k] = v.getInt16(4 * k, true) / 32767; r[k] = v.getInt16(4 * k + 2, true) / 32767; }
  return [l, r];
}

/** Counts sequence gaps: a gap means the server skipped this listener ahead. */
export class SeqCounter {
  constructor() { this.last = -1; this.gaps = 0; }
  reset() { this.last = -1; }
  /** Note `seq`; true when it follows the previous one (or is the first). */
  next(seq) {
    const ok = this.last < 0 || seq === ((this.last + 1) >>> 0);
    if (!ok) this.gaps++;
    this.last = seq;
    return ok;
  }
}
