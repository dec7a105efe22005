// AudioWorklet: jitter buffer + playout for the soundscape stream (the player's
// broadcast or personal mix, and the studio). The main thread posts decoded planar
// float32 audio ({type: 'audio', channels}); this processor plays it on the audio
// clock by the rules of playout.js.
import { Playout } from './playout.js';

class StreamPlayer extends Playout {
  constructor(options) {
    super(options);
    this.buf = [new Float32Array(this.capacity), new Float32Array(this.capacity)];
    this.read = 0; this.fill = 0;
  }
  onMessage(m) {
    if (m.type === 'audio') this.push(m.channels); else super.onMessage(m);
  }
  clear() { this.fill = 0; }
  buffered() { return this.fill; }
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
    this.startIfFilled(this.fill);
    if (this.state === 'playing') {
      const avail = Math.min(n, this.fill), tail = avail < n;   // dry: fade out what is left
      for (let i = 0; i < avail; i++) {
        const g = this.envelope(i, avail, tail);
        L[i] = this.buf[0][this.read] * g; R[i] = this.buf[1][this.read] * g;
        if (++this.read === this.capacity) this.read = 0;
      }
      this.fill -= avail;
      this.ran(avail, n);
    }
    this.meter(L, R, n);
    return true;
  }
}
registerProcessor('stream-player', StreamPlayer);
