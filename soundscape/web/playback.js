// Playback: the audio graph, the decoders and the two worklets.
//
//   stream player (worklet.js) --\
//                                 >-- master GainNode (volume, local sleep fade) --> sink
//   stems mixer (stems-worklet.js)/
//
// The sink is an <audio> element fed by a MediaStream where that is reliable
// (Chromium: the element is what gives a media notification, lock-screen controls and
// background playback on Android), otherwise the AudioContext's destination;
// ?sink=element|direct overrides the choice.
//
// The graph runs at the stream's rate, taken from the server's `hello`. It is built on
// play, inside the listener's gesture (which some browsers need before they make a
// sound): at the rate of the last hello, or before any hello at the device's own rate,
// and rebuilt when a hello names another rate. Audio messages that arrive while it is
// being built wait in a queue. This module owns the AudioContext, the nodes and the decoders; the page's
// state object only receives what they report (stats, errors).
import { readAudio, readStems, pcm16Channels } from './wire.js';

// Opus decodes at its own fixed clock (RFC 7587): asking whether the browser can decode
// Opus at all needs a rate before any hello, and this is the only one Opus has.
const OPUS_CLOCK = 48000;

/** 'opus' where WebCodecs decodes it (and ?codec= does not say otherwise), else 'pcm16'. */
export async function pickCodec(forced) {
  if (forced) return forced;
  if (window.isSecureContext && 'AudioDecoder' in window) {
    try {
      const r = await AudioDecoder.isConfigSupported({ codec: 'opus', sampleRate: OPUS_CLOCK, numberOfChannels: 2 });
      if (r.supported) return 'opus';
    } catch (e) { /* fall through */ }
  }
  return 'pcm16';
}

/** An Opus decoder at `rate` whose output goes to onAudio(channels, frame) as planar
 * float32, `frame` the stream frame of its first sample (from the chunk timestamps). */
function opusDecoder(rate, onAudio, onError) {
  const d = new AudioDecoder({
    output: (data) => {
      const ch = [];
      for (let c = 0; c < data.numberOfChannels; c++) {
        const a = new Float32Array(data.numberOfFrames);
        data.copyTo(a, { planeIndex: c, format: 'f32-planar' });
        ch.push(a);
      }
      const frame = Math.round(data.timestamp * rate / 1e6);
      data.close();
      onAudio(ch, frame);
    },
    error: onError,
  });
  d.configure({ codec: 'opus', sampleRate: rate, numberOfChannels: 2 });
  return d;
}
function closeQuietly(d) { try { d.close(); } catch (e) { /* closed already */ } }

export class Playback {
  /**
   * state: the page's state object (stats are written to it: underruns, played, fill,
   *   stems, gaps through `seq`).
   * options: {jitter: seconds, sink: 'element'|'direct'|null, volume: () => 0..1,
   *   onStats(m): a worklet's stats; onLayout(): a stems node or layout is new (gains
   *   wanted); onDecoderError(text); onWireError(WireError): audio this page cannot
   *   read (nothing more is played until the next begin); onSinkPaused()}.
   */
  constructor(state, options) {
    this.state = state; this.o = options;
    this.ctx = null; this.master = null; this.sinkEl = null;
    this.streamNode = null; this.stemsNode = null; this.player = null;   // player: the one in use
    this.decoder = null; this.stemDecoders = new Map();
    this.stemNames = []; this.pendingLayout = null;
    this.building = null; this.started = false; this.queue = [];
    this.rate = null; this.frameSize = null;
  }
  /** The graph at `rate` (null: the device's rate, or any rate once built), built or
   * rebuilt for another rate, and running. */
  async ensure(rate) {
    while (this.building) await this.building;
    if (this.ctx && rate !== null && this.ctx.sampleRate !== rate) await this.teardown();
    if (this.ctx) {
      if (this.ctx.state !== 'running') await this.ctx.resume();
      if (this.sinkEl && this.sinkEl.paused) await this.sinkEl.play().catch(() => {});
      return;
    }
    this.building = this.build(rate);
    try { await this.building; } finally { this.building = null; }
  }
  async build(rate) {
    const ctx = this.ctx = new AudioContext(rate === null ? { latencyHint: 'playback' }
      : { sampleRate: rate, latencyHint: 'playback' });
    this.rate = ctx.sampleRate;
    ctx.addEventListener('statechange', () => {      // e.g. iOS interruptions
      if (this.state.wanted && ctx.state !== 'running' && ctx.state !== 'closed') ctx.resume().catch(() => {});
    });
    this.master = ctx.createGain();
    this.master.gain.value = this.o.volume();
    if (this.wantElementSink()) await this.startSink();
    if (!this.sinkEl) { this.master.connect(ctx.destination); this.state.sink = 'context'; }
    await ctx.audioWorklet.addModule('worklet.js');
    const node = this.streamNode = this.player = new AudioWorkletNode(ctx, 'stream-player', {
      numberOfInputs: 0, outputChannelCount: [2], processorOptions: { targetSeconds: this.o.jitter },
    });
    node.connect(this.master);
    node.port.onmessage = (e) => { if (node === this.player) this.o.onStats(e.data); };
    if (this.state.mixMode === 'stems') await this.makeStemsNode();
    if (ctx.state !== 'running') await ctx.resume();
  }
  async teardown() {
    this.closeDecoders();
    if (this.sinkEl) { this.sinkEl.pause(); this.sinkEl.srcObject = null; this.sinkEl = null; }
    const ctx = this.ctx;
    this.ctx = this.master = this.streamNode = this.stemsNode = this.player = null;
    if (ctx) await ctx.close().catch(() => {});
  }
  wantElementSink() {
    if (this.o.sink) return this.o.sink === 'element';
    return 'userAgentData' in navigator && typeof MediaStreamAudioDestinationNode !== 'undefined';
  }
  async startSink() {
    const el = document.createElement('audio');
    const dest = this.ctx.createMediaStreamDestination();
    this.master.connect(dest);
    el.srcObject = dest.stream;
    let timer = null;
    try {
      await Promise.race([el.play(), new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('audio element did not start')), 1500);
      })]);
      this.sinkEl = el; this.state.sink = 'element';
      // the OS (headset unplugged, another app) may pause the element: follow it
      el.addEventListener('pause', () => { if (el === this.sinkEl) this.o.onSinkPaused(); });
    } catch (e) {
      el.pause(); el.srcObject = null; this.master.disconnect(dest);
    } finally { clearTimeout(timer); }
  }
  async makeStemsNode() {
    if (this.stemsNode || !this.ctx) return;
    await this.ctx.audioWorklet.addModule('stems-worklet.js');
    const node = this.stemsNode = new AudioWorkletNode(this.ctx, 'stems-mixer', {
      numberOfInputs: 0, outputChannelCount: [2],
      processorOptions: { targetSeconds: this.o.jitter, ceilingDb: -1 },
    });
    node.connect(this.master);
    node.port.onmessage = (e) => { if (node === this.player) this.o.onStats(e.data); };
    this.player = node;
    this.o.onLayout();
  }
  /** Mix stems on this device from now on; the stream player plays out what it holds. */
  async useStems() {
    if (!this.ctx) return;
    await this.makeStemsNode();
    this.started = false; this.queue = [];    // the stems connection's hello starts them
    this.streamNode.port.postMessage({ type: 'end' });
    this.closeDecoders();
  }
  /** A message to the player in use; `channels` (Float32Arrays) are transferred. */
  post(message, channels = []) {
    if (this.player) this.player.port.postMessage(message, channels.map((a) => a.buffer));
  }
  postStem(name, pos, channels) {
    if (this.stemsNode) this.stemsNode.port.postMessage({ type: 'audio', stem: name, pos, channels }, channels.map((a) => a.buffer));
  }

  // -- the stream ----------------------------------------------------------------------
  /** A (re)connection's hello: the graph at the stream's rate, decoders for it, and a
   * fresh start for the player; audio that arrives meanwhile waits, then plays. */
  async begin(hello) {
    this.started = false; this.queue = [];
    this.frameSize = hello.frame_size;
    if (hello.mode === 'stems') { this.stemNames = []; this.pendingLayout = null; }
    await this.ensure(hello.sample_rate);
    if (hello.mode === 'stems') this.post({ type: 'stop' });   // stems start over: layout, then audio
    else if (this.state.codec === 'opus' && !this.decoder) {
      this.decoder = opusDecoder(this.rate, (ch) => this.post({ type: 'audio', channels: ch }, ch),
        (e) => this.o.onDecoderError(String(e)));
    }
    this.post({ type: 'start' });
    this.started = true;
    const queued = this.queue; this.queue = [];
    for (const buf of queued) this.audio(buf);
  }
  /** The stems of the next stems message on (a `stems` text message). */
  layout(names) { this.pendingLayout = names; }
  closeDecoders() {
    if (this.decoder) { closeQuietly(this.decoder); this.decoder = null; }
    for (const d of this.stemDecoders.values()) closeQuietly(d);
    this.stemDecoders.clear();
  }
  /** One binary message, plain or stems (by the mode in use); WireError if unreadable. */
  audio(buf) {
    if (!this.started) { this.queue.push(buf); return; }
    try {
      if (this.state.mixMode === 'stems') this.stemsAudio(buf); else this.mixAudio(buf);
    } catch (e) {
      if (e.name !== 'WireError') throw e;
      this.started = false; this.queue = [];
      this.o.onWireError(e);
    }
  }
  mixAudio(buf) {
    const m = readAudio(buf);
    this.state.seq.next(m.seq);
    m.frames.forEach((frame, i) => {
      if (this.state.codec === 'opus') this.decodeOpus(this.decoder, frame, m.position + i * this.frameSize);
      else { const ch = pcm16Channels(frame); this.post({ type: 'audio', channels: ch }, ch); }
    });
  }
  stemsAudio(buf) {
    const m = readStems(buf);
    this.state.seq.next(m.seq);
    const node = this.stemsNode;
    if (this.pendingLayout) {
      const names = this.stemNames = this.pendingLayout; this.pendingLayout = null;
      node.port.postMessage({ type: 'layout', names, from: m.position });
      for (const [name, d] of [...this.stemDecoders]) {
        if (!names.includes(name)) { closeQuietly(d); this.stemDecoders.delete(name); }
      }
      this.o.onLayout();
    }
    m.stems.slice(0, this.stemNames.length).forEach((frames, k) => {
      const name = this.stemNames[k];
      frames.forEach((frame, i) => {
        const pos = m.position + i * this.frameSize;
        if (this.state.codec === 'opus') this.decodeOpus(this.stemDecoder(name), frame, pos);
        else this.postStem(name, pos, pcm16Channels(frame));
      });
    });
  }
  decodeOpus(decoder, frame, pos) {
    decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: Math.round(pos * 1e6 / this.rate), data: frame }));
  }
  stemDecoder(name) {   // opus: one decoder per stem, its output placed by frame
    let d = this.stemDecoders.get(name);
    if (!d) {
      d = opusDecoder(this.rate, (channels, pos) => this.postStem(name, pos, channels),
        (e) => this.o.onDecoderError(String(e)));
      this.stemDecoders.set(name, d);
    }
    return d;
  }
  /** Stems: every layer's linear gain to the mixing worklet (it glides there). */
  setGains(gains) { if (this.stemsNode) this.stemsNode.port.postMessage({ type: 'gains', gains }); }

  // -- the master gain: volume and a sleep fade on this device ------------------------------
  get gainDb() {
    const g = this.master ? this.master.gain.value : 1;
    return g > 0 ? 20 * Math.log10(g) : -Infinity;
  }
  glideTo(volume, seconds) {
    if (!this.master) return;
    const g = this.master.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t);
    g.setTargetAtTime(volume, t, seconds);
  }
  /** Hold `volume` until `fade` seconds before `left` runs out, then ramp to silence. */
  fadeOut(volume, left, fade) {
    if (!this.master) return false;
    const g = this.master.gain, t = this.ctx.currentTime, start = t + left - fade;
    g.cancelScheduledValues(t);
    g.setValueAtTime(g.value, t);
    if (start > t) { g.linearRampToValueAtTime(volume, Math.min(start, t + 0.3)); g.setValueAtTime(volume, start); }
    g.linearRampToValueAtTime(0, t + left);
    return true;
  }
  cancelFade(volume) {
    if (!this.master) return;
    const g = this.master.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t); g.setValueAtTime(g.value, t);
    g.setTargetAtTime(volume, t, 0.1);
  }
  /** Paused: the worklet empties, the element sink stops. */
  stop() {
    this.started = false; this.queue = [];
    this.post({ type: 'stop' });
    if (this.sinkEl && !this.sinkEl.paused) this.sinkEl.pause();
  }
  resumeIfSuspended() {
    if (this.ctx && this.ctx.state !== 'running') this.ctx.resume().catch(() => {});
  }
}
