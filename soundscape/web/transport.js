// One websocket that comes back: a reconnect state machine with backoff.
//
//   idle --start--> connecting --open--> open --close--> waiting --timer--> connecting
//     ^                                                      |
//     +---------------- stop (from any state) ---------------+
//
// The transport owns its socket and its retry timer; the page only asks (start, stop,
// restart, send) and hears back through callbacks. Timers, randomness, the clock and
// the socket constructor are injected, so the machine can be driven by hand in a test.
// Text messages arrive parsed (JSON), binary ones as ArrayBuffers.

export const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
export const HEALTHY_MS = 5000;   // audio flowing this long after open: backoff starts over

export class Transport {
  /**
   * url: () => string, asked at every (re)connection.
   * onText(message), onBinary(buffer): what the socket brings.
   * onStatus(status, detail): 'connecting' | 'open' | 'waiting' (detail: delay in ms) |
   *   'idle' (detail: the close event, or null when stopped from here).
   * onClose(event) -> false to stay closed (e.g. the server ended the stream for good).
   */
  constructor({ url, onText, onBinary, onStatus = () => {}, onClose = () => true,
    timers = { set: (f, ms) => setTimeout(f, ms), clear: (t) => clearTimeout(t) },
    random = Math.random, now = () => performance.now(),
    socket = (u) => new WebSocket(u) }) {
    Object.assign(this, { url, onText, onBinary, onStatus, onClose, timers, random, now, socket });
    this.status = 'idle';
    this.ws = null; this.timer = null; this.attempt = 0; this.openedAt = 0; this.reconnects = 0;
  }
  get isOpen() { return this.ws !== null && this.ws.readyState === 1; }

  /** Be connected from now on: connect unless already connecting or connected. */
  start() {
    if (this.status === 'connecting' || this.status === 'open') return;
    this.attempt = 0;
    this.connect();
  }
  /** Be closed from now on: close the socket, forget any retry. */
  stop(code = 1000, reason = '') {
    this.timers.clear(this.timer); this.timer = null;
    const ws = this.ws; this.ws = null;
    if (ws) ws.close(code, reason);
    this.setStatus('idle', null);
  }
  /** A fresh connection now (a new url, e.g. stems instead of the mix). */
  restart(reason = '') {
    const ws = this.ws; this.ws = null;
    if (ws) ws.close(1000, reason);
    this.timers.clear(this.timer); this.timer = null;
    this.connect();
  }
  /** Close the socket as if the network had: the machine reconnects after its backoff. */
  drop(code = 4000, reason = '') { if (this.ws) this.ws.close(code, reason); }
  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }
  /** Call on each audio message: after HEALTHY_MS of a good connection the backoff
   * starts over at its shortest delay. */
  flowing() {
    if (this.attempt && this.now() - this.openedAt > HEALTHY_MS) this.attempt = 0;
  }

  setStatus(status, detail) { this.status = status; this.onStatus(status, detail); }
  connect() {
    this.timers.clear(this.timer); this.timer = null;
    this.setStatus('connecting', null);
    const sock = this.ws = this.socket(this.url());
    sock.binaryType = 'arraybuffer';
    sock.onopen = () => {
      if (sock !== this.ws) return;
      this.openedAt = this.now();
      this.setStatus('open', null);
    };
    sock.onmessage = (e) => {
      if (sock !== this.ws) return;   // a socket being replaced: nothing it says counts
      if (typeof e.data === 'string') this.onText(JSON.parse(e.data)); else this.onBinary(e.data);
    };
    sock.onclose = (e) => {
      if (sock !== this.ws) return;
      this.ws = null;
      if (this.onClose(e) === false) { this.setStatus('idle', e); return; }
      const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
      const delay = base * (0.75 + this.random() / 2);
      this.attempt++; this.reconnects++;
      this.timer = this.timers.set(() => { this.timer = null; this.connect(); }, delay);
      this.setStatus('waiting', delay);
    };
  }
}
