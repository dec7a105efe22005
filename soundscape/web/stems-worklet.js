// AudioWorklet: mixes a scene's stems (docs/protocol.md, "Stems") on the audio clock.
//
// The main thread posts each stem's decoded audio with its absolute stream frame
// ({type: 'audio', stem, pos, channels}); every stem has its own ring buffer indexed
// by that frame, so stems line up sample for sample whatever order the decoders
// answer in. Playback reads one frame position for all stems: it starts once every
// stem holds `target` frames past it, and counts an underrun when any stem runs dry.
// Per stem a gain (linear, glides over ~20 ms: no click), then a look-ahead limiter
// at `ceiling` (sample peak, default -1 dBFS): the gain on each sample is the mean over
// LOOK frames of minima over LOOK+1 required gains, so no sample passes the ceiling
// and the gain never jumps. Volume and the sleep fade are the GainNode after this node.
// Start, stop, underruns, fades and stats by the rules of playout.js (the same fields as
// worklet.js), plus cumulative energies for tests/meters.
import { Playout } from './playout.js';

const LOOK = Math.round(0.005 * sampleRate);   // 5 ms: the limiter's look-ahead (and delay)

class Stem {
  constructor(capacity, from) {
    this.L = new Float32Array(capacity); this.R = new Float32Array(capacity);
    this.end = from;              // frames before `end` are written (or silence)
    this.from = from;             // silence before this frame (a stem added mid-stream)
    this.until = Infinity;        // a stem left the layout: nothing after this frame
    this.gain = 1; this.target = 1; this.energy = 0;
  }
}

class StemsMixer extends Playout {
  constructor(options) {
    super(options);
    const o = options.processorOptions || {};
    this.ceiling = Math.pow(10, (o.ceilingDb === undefined ? -1 : o.ceilingDb) / 20);
    this.glide = 1 - Math.exp(-1 / (0.02 * sampleRate));   // one-pole, 20 ms
    this.stems = new Map();       // name -> Stem
    this.gains = {};              // name -> linear gain asked for (kept across layouts)
    this.read = null;             // absolute frame played next (null: not started)
    // limiter: delay lines, required gains, a monotonic min deque, a running mean
    this.dl = new Float32Array(LOOK); this.dr = new Float32Array(LOOK);
    this.mins = new Float32Array(LOOK); this.outL = 0; this.outR = 0;
    this.dq = new Int32Array(LOOK + 2); this.dqv = new Float32Array(LOOK + 2);
    this.dqHead = 0; this.dqLen = 0; this.t = 0; this.minSum = LOOK;
    this.mins.fill(1);
    this.reductions = 0; this.peakAll = 0; this.energy = 0; this.frames = 0;
  }
  onMessage(m) {
    if (m.type === 'audio') this.push(m.stem, m.pos, m.channels);
    else if (m.type === 'layout') this.layout(m.names, m.from);
    else if (m.type === 'gains') { for (const [k, v] of Object.entries(m.gains)) this.gains[k] = v; this.applyGains(false); }
    else super.onMessage(m);
  }
  clear() { this.stems.clear(); this.read = null; }
  buffered() { return this.fill(); }
  applyGains(jump) {
    for (const [name, s] of this.stems) {
      s.target = name in this.gains ? this.gains[name] : 1;
      if (jump) s.gain = s.target;
    }
  }
  // the stems from frame `from` on are `names`: new ones are silent before it, gone
  // ones play out what they have up to it
  layout(names, from) {
    const keep = new Set(names);
    for (const [name, s] of this.stems) if (!keep.has(name)) s.until = Math.min(s.until, from);
    for (const name of names) {
      const s = this.stems.get(name);
      if (!s) {
        const fresh = new Stem(this.capacity, from);
        fresh.target = fresh.gain = name in this.gains ? this.gains[name] : 1;
        this.stems.set(name, fresh);
      } else if (s.until !== Infinity && s.until <= from) s.until = Infinity;  // back again
    }
    if (this.read === null) this.read = from;   // the first block of a connection
  }
  push(name, pos, ch) {
    const s = this.stems.get(name);
    if (!s) return;
    const n = ch[0].length, c = this.capacity;
    if (pos > s.end) {              // a gap (a skipped block): silence, not stale audio
      for (let p = Math.max(s.end, pos - c); p < pos; p++) { s.L[p % c] = 0; s.R[p % c] = 0; }
    }
    const R = ch.length > 1 ? ch[1] : ch[0];
    for (let i = 0; i < n; i++) { const w = (pos + i) % c; s.L[w] = ch[0][i]; s.R[w] = R[i]; }
    if (pos + n > s.end) s.end = pos + n;
  }
  // frames every stem holds past the read position
  fill() {
    if (this.read === null || this.stems.size === 0) return 0;
    let end = Infinity;
    for (const s of this.stems.values()) {
      const e = s.until !== Infinity && s.end >= s.until ? Infinity : s.end;
      if (e < end) end = e;
    }
    return end === Infinity ? 0 : Math.max(0, end - this.read);
  }
  // one stereo sample in; the one LOOK frames ago out (in outL, outR), its gain the mean
  // of LOOK minima whose windows all hold that sample's own required gain
  limit(l, r) {
    const t = this.t, i = t % LOOK;
    const a = Math.max(Math.abs(l), Math.abs(r));
    const need = a > this.ceiling ? this.ceiling / a : 1;
    // sliding minimum of the last LOOK+1 required gains (monotonic deque)
    while (this.dqLen > 0 && this.dqv[(this.dqHead + this.dqLen - 1) % (LOOK + 2)] >= need) this.dqLen--;
    const tail = (this.dqHead + this.dqLen) % (LOOK + 2);
    this.dq[tail] = t; this.dqv[tail] = need; this.dqLen++;
    while (this.dq[this.dqHead] <= t - (LOOK + 1)) { this.dqHead = (this.dqHead + 1) % (LOOK + 2); this.dqLen--; }
    const m = this.dqv[this.dqHead];
    const k = t % LOOK;
    this.minSum += m - this.mins[k]; this.mins[k] = m;
    const g = Math.min(1, this.minSum / LOOK);
    const ol = this.dl[i], or = this.dr[i];
    this.dl[i] = l; this.dr[i] = r; this.t = t + 1;
    if (g < 1) this.reductions++;
    const c = this.ceiling;
    this.outL = Math.max(-c, Math.min(c, ol * g)); this.outR = Math.max(-c, Math.min(c, or * g));
  }
  process(inputs, outputs) {
    const out = outputs[0]; const L = out[0]; const R = out[1] || out[0];
    const n = L.length, c = this.capacity;
    let fill = this.fill();
    if (fill > this.maxFill) {      // too far behind live: skip ahead
      const d = fill - this.target;
      this.read += d; this.dropped += d; fill -= d;
    }
    if (this.read !== null) this.startIfFilled(fill);
    let avail = 0;
    if (this.state === 'playing') {
      avail = Math.min(n, fill);
      const tail = avail < n, stems = [...this.stems.values()];
      for (let i = 0; i < avail; i++) {
        const p = this.read + i, w = p % c;
        let l = 0, r = 0;
        for (const s of stems) {
          s.gain += (s.target - s.gain) * this.glide;
          if (p < s.from || p >= s.until) continue;
          const sl = s.L[w], sr = s.R[w];
          s.energy += 0.5 * (sl * sl + sr * sr);
          l += sl * s.gain; r += sr * s.gain;
        }
        const g = this.envelope(i, avail, tail);
        this.limit(l, r);
        L[i] = this.outL * g; R[i] = this.outR * g;
      }
      this.read += avail;
      for (const [name, s] of this.stems) if (this.read >= s.until) this.stems.delete(name);
      this.ran(avail, n);
    }
    for (let i = avail; i < n; i++) { L[i] = 0; R[i] = 0; }
    for (let i = 0; i < n; i++) {
      const a = Math.max(Math.abs(L[i]), Math.abs(R[i]));
      if (a > this.peakAll) this.peakAll = a;
      if (i < avail) this.energy += 0.5 * (L[i] * L[i] + R[i] * R[i]);
    }
    this.frames += avail;
    this.meter(L, R, n);
    return true;
  }
  extraStats() {
    const stemEnergy = {};
    for (const [name, s] of this.stems) stemEnergy[name] = s.energy;
    return {
      energy: this.energy, frames: this.frames, stemEnergy,
      peakAllDb: this.peakAll > 0 ? 20 * Math.log10(this.peakAll) : -Infinity,
      limited: this.reductions / sampleRate, stems: [...this.stems.keys()],
    };
  }
}
registerProcessor('stems-mixer', StemsMixer);
