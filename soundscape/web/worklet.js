// AudioWorklet: jitter buffer + playout for the soundscape stream.
// Main thread posts decoded planar float32 audio; this processor plays it on the
// audio clock. It waits until `target` frames are buffered before (re)starting,
// counts an underrun whenever it runs dry while playing, fades in/out over a few ms
// so a stall or a reconnect never clicks, and reports fill, level and underruns.
class StreamPlayer extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions || {};
    this.capacity = Math.round(sampleRate * (o.capacitySeconds || 8));
    this.target = Math.round(sampleRate * (o.targetSeconds || 0.25));
    this.maxFill = Math.round(sampleRate * (o.maxSeconds || 2.0));
    this.buf = [new Float32Array(this.capacity), new Float32Array(this.capacity)];
    this.read = 0; this.fill = 0;
    this.state = 'idle';          // idle | buffering | playing
    this.underruns = 0; this.played = 0; this.dropped = 0; this.ending = false;
    this.fadeIn = 0; this.fadeLen = 256;
    this.sumSq = 0; this.peak = 0; this.count = 0; this.quanta = 0;
    this.port.onmessage = (e) => this.onMessage(e.data);
  }
  onMessage(m) {
    if (m.type === 'audio') this.push(m.channels);
    else if (m.type === 'start') { this.ending = false; if (this.state === 'idle') this.state = 'buffering'; }
    else if (m.type === 'stop') { this.state = 'idle'; this.fill = 0; this.ending = false; }
    else if (m.type === 'end') this.ending = true;   // stream over: play out, then idle
    else if (m.type === 'target') this.target = Math.round(sampleRate * m.seconds);
  }
  push(channels) {
    const n = channels[0].length;
    if (this.fill + n > this.maxFill) {           // too far behind live: skip ahead
      const drop = this.fill + n - this.target;
      const d = Math.min(drop, this.fill);
      this.read = (this.read + d) % this.capacity; this.fill -= d; this.dropped += d;
    }
    let w = (this.read + this.fill) % this.capacity;
    for (let i = 0; i < n; i++) {
      this.buf[0][w] = channels[0][i];
      this.buf[1][w] = channels[channels.length > 1 ? 1 : 0][i];
      if (++w === this.capacity) w = 0;
    }
    this.fill += n;
  }
  process(inputs, outputs) {
    const out = outputs[0]; const L = out[0]; const R = out[1] || out[0];
    const n = L.length;
    if (this.state === 'buffering' && this.fill >= this.target) {
      this.state = 'playing'; this.fadeIn = 0;
    }
    if (this.state === 'playing') {
      const avail = Math.min(n, this.fill);
      const tail = avail < n;                      // running dry: fade out what is left
      for (let i = 0; i < avail; i++) {
        let g = 1;
        if (this.fadeIn < this.fadeLen) g = this.fadeIn++ / this.fadeLen;
        if (tail) g *= 1 - i / avail;
        L[i] = this.buf[0][this.read] * g; R[i] = this.buf[1][this.read] * g;
        if (++this.read === this.capacity) this.read = 0;
      }
      this.fill -= avail; this.played += avail;
      if (tail) {
        if (this.ending) { this.state = 'idle'; this.ending = false; }
        else { this.underruns++; this.state = 'buffering'; }
      }
    }
    for (let i = 0; i < n; i++) {
      const v = Math.abs(L[i]) > Math.abs(R[i]) ? L[i] : R[i];
      this.sumSq += v * v; if (Math.abs(v) > this.peak) this.peak = Math.abs(v);
    }
    this.count += n;
    if (++this.quanta >= 16) {
      const rms = Math.sqrt(this.sumSq / Math.max(1, this.count));
      this.port.postMessage({
        type: 'stats', state: this.state, fill: this.fill / sampleRate,
        underruns: this.underruns, played: this.played / sampleRate,
        dropped: this.dropped / sampleRate,
        rmsDb: rms > 0 ? 20 * Math.log10(rms) : -Infinity,
        peakDb: this.peak > 0 ? 20 * Math.log10(this.peak) : -Infinity,
      });
      this.sumSq = 0; this.peak = 0; this.count = 0; this.quanta = 0;
    }
    return true;
  }
}
registerProcessor('stream-player', StreamPlayer);
