// AudioWorklet side, shared by worklet.js (one stream) and stems-worklet.js (stems mixed
// here): the jitter buffer's playout rules and the stats both report.
//
// A player waits until `target` frames are buffered before (re)starting, counts an
// underrun whenever it runs dry while playing, fades in/out over a few ms so a stall or
// a reconnect never clicks, and every 16 render quanta posts its stats (state, fill,
// underruns, played, dropped, RMS and peak level of what it played). Messages from the
// page: start, stop, end (play out what is held, then idle), target (seconds); a
// subclass takes 'audio' and its own messages first.
// processorOptions: targetSeconds (0.25), maxSeconds (2: more is skipped, too far behind
// live), capacitySeconds (8: the ring buffers).
export class Playout extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions || {};
    this.capacity = Math.round(sampleRate * (o.capacitySeconds || 8));
    this.target = Math.round(sampleRate * (o.targetSeconds || 0.25));
    this.maxFill = Math.round(sampleRate * (o.maxSeconds || 2.0));
    this.state = 'idle';          // idle | buffering | playing
    this.underruns = 0; this.played = 0; this.dropped = 0; this.ending = false;
    this.fadeIn = 0; this.fadeLen = 256;
    this.sumSq = 0; this.peak = 0; this.count = 0; this.quanta = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }
  onMessage(m) {
    if (m.type === 'start') { this.ending = false; if (this.state === 'idle') this.state = 'buffering'; }
    else if (m.type === 'stop') { this.state = 'idle'; this.ending = false; this.clear(); }
    else if (m.type === 'end') this.ending = true;   // stream over: play out, then idle
    else if (m.type === 'target') this.target = Math.round(sampleRate * m.seconds);
  }
  /** Forget all buffered audio (a stop). */
  clear() {}
  /** Start playing once `fill` frames reach the target. */
  startIfFilled(fill) {
    if (this.state === 'buffering' && fill >= this.target) { this.state = 'playing'; this.fadeIn = 0; }
  }
  /** The gain of sample i of the `avail` played this quantum: a fade in after a start,
   * a fade out when running dry (`tail`). */
  envelope(i, avail, tail) {
    let g = 1;
    if (this.fadeIn < this.fadeLen) g = this.fadeIn++ / this.fadeLen;
    if (tail) g *= 1 - i / avail;
    return g;
  }
  /** After a playing quantum that had `avail` of `n` frames: dry means an underrun, or
   * the end of a stream that was ending. */
  ran(avail, n) {
    this.played += avail;
    if (avail < n) {
      if (this.ending) { this.state = 'idle'; this.ending = false; }
      else { this.underruns++; this.state = 'buffering'; }
    }
  }
  /** Level of one quantum's output; every 16 quanta the stats go to the page, with
   * buffered() (frames) and the subclass's extraStats(). */
  meter(L, R, n) {
    for (let i = 0; i < n; i++) {
      const v = Math.abs(L[i]) > Math.abs(R[i]) ? L[i] : R[i];
      this.sumSq += v * v; if (Math.abs(v) > this.peak) this.peak = Math.abs(v);
    }
    this.count += n;
    if (++this.quanta < 16) return;
    const rms = Math.sqrt(this.sumSq / Math.max(1, this.count));
    this.port.postMessage({
      type: 'stats', state: this.state, fill: this.buffered() / sampleRate,
      underruns: this.underruns, played: this.played / sampleRate,
      dropped: this.dropped / sampleRate,
      rmsDb: rms > 0 ? 20 * Math.log10(rms) : -Infinity,
      peakDb: this.peak > 0 ? 20 * Math.log10(this.peak) : -Infinity,
      ...this.extraStats(),
    });
    this.sumSq = 0; this.peak = 0; this.count = 0; this.quanta = 0;
  }
  buffered() { return 0; }
  extraStats() { return {}; }
}
