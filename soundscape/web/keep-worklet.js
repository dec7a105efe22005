// The kept mix's tap (offline.js): passes audio through unchanged and counts what it
// heard, so the player (and the browser tests) can say the loop played without a
// gap or a click. Posted about every 0.25 s: {frames, silent, maxStep}:
//   frames   frames heard since the source started
//   silent   render quanta (128 frames) that were silence after the first audible
//            one: an underrun or a gap (a loop that plays on never has one at volume > 0)
//   maxStep  the largest sample-to-sample step heard, across quanta and the loop's
//            join included (offline.js compares it with the file's own steps)
const SILENT = 1e-5;   // -100 dBFS: quieter than any quantum of ambient sound

class KeepTap extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frames = 0; this.silent = 0; this.maxStep = 0; this.heard = false;
    this.last = [0, 0]; this.sinceReport = 0;
    this.port.onmessage = (e) => { if (e.data === 'reset') { this.frames = 0; this.silent = 0; this.maxStep = 0; this.heard = false; } };
  }
  process(inputs, outputs) {
    const input = inputs[0], output = outputs[0];
    const n = output[0] ? output[0].length : 128;
    let peak = 0;
    for (let c = 0; c < output.length; c++) {
      const x = input[c] || input[0];
      const y = output[c];
      if (!x) { y.fill(0); continue; }
      y.set(x);
      let prev = this.last[c] || 0;
      for (let i = 0; i < x.length; i++) {
        const v = x[i], step = Math.abs(v - prev);
        if (step > this.maxStep && this.heard) this.maxStep = step;
        const a = Math.abs(v); if (a > peak) peak = a;
        prev = v;
      }
      this.last[c] = prev;
    }
    if (peak > SILENT) this.heard = true;
    else if (this.heard) this.silent += 1;
    if (this.heard) this.frames += n;
    this.sinceReport += n;
    if (this.sinceReport >= sampleRate / 4) {
      this.sinceReport = 0;
      this.port.postMessage({ frames: this.frames, silent: this.silent, maxStep: this.maxStep });
    }
    return true;
  }
}
registerProcessor('keep-tap', KeepTap);
