// The sleep timer: when it ends, how it fades, who fades it.
//
// The server fades the personal mix (`sleep` message, docs/protocol.md); where the mix
// is made on this device (stems) or no personal mix is available (personal_limit) the
// fade runs here, on the master gain (playback.js). The timer's facts live in
// state.sleep ({endsAt (ms since the epoch) | null, fade (seconds asked for; the one
// sent is min(fade, left)), local, timer}) and state.sleepPhase; this module writes
// them, and nothing else does.

export const MIN_FADE_S = 60;     // the fade never gets shorter, unless the timer is
/** The fade for a timer of `after` seconds: a tenth of it, at least a minute. */
export const fadeFor = (after) => Math.min(after, Math.max(MIN_FADE_S, after / 10));

export class SleepTimer {
  /** hooks: {send(message), playback, fallAsleep(), show(left, phase, canShorten)}. */
  constructor(state, hooks) { this.state = state; this.s = state.sleep; this.h = hooks; }
  get running() { return this.s.endsAt !== null; }
  /** Seconds left, or null when no timer runs. */
  left() { return this.s.endsAt === null ? null : Math.max(0, (this.s.endsAt - Date.now()) / 1000); }
  phase(left = this.left()) {
    if (left === null) return 'off';
    return left <= this.s.fade ? 'fading' : 'running';
  }
  start(after, fade) {
    after = Number(after);
    if (!(after >= 0)) return;
    const wasFading = this.phase() === 'fading';
    this.s.endsAt = Date.now() + after * 1000;
    this.s.fade = fade === undefined || fade === null ? MIN_FADE_S : Math.max(0, Number(fade));
    const sent = Math.min(this.s.fade, after);
    // the server keeps a fade's lowered volume when the end moves later: cancel first
    // (volume glides back), then set the new timer
    if (wasFading && after > sent) this.h.send({ type: 'sleep', after: null });
    this.h.send({ type: 'sleep', after, fade: sent });
    if (this.s.local) this.fadeHere();
    this.show();
  }
  /** -5 min / +5 min: never below a minute by "-5 min" (and never later than it was);
   * the fade stays at least a minute. */
  adjust(seconds) {
    const left = this.left();
    if (left === null) return;
    this.start(Math.max(Math.min(left, MIN_FADE_S), left + Number(seconds)), Math.max(MIN_FADE_S, this.s.fade));
  }
  cancel() {
    const wasOn = this.running;
    this.s.endsAt = null;
    if (wasOn) this.h.send({ type: 'sleep', after: null });
    clearTimeout(this.s.timer); this.s.timer = null;
    if (this.s.local) this.h.playback.cancelFade(this.state.volume);
    this.show();
  }
  /** The timer is over (it ran out, or the server ended the stream). */
  ended() {
    this.s.endsAt = null; clearTimeout(this.s.timer); this.s.timer = null;
    this.show();
  }
  /** Fade on this device from now on (and now, if a timer runs). */
  fadeHere() {
    this.s.local = true;
    if (this.s.endsAt === null) return;
    clearTimeout(this.s.timer);
    const left = this.left();
    if (!this.h.playback.fadeOut(this.state.volume, left, Math.min(this.s.fade, left))) return;
    this.s.timer = setTimeout(() => { if (this.running) this.h.fallAsleep(); }, left * 1000 + 200);
  }
  /** After a (re)connection: the timer again, here or to the server; false when it ran
   * out meanwhile (the caller falls asleep). */
  reapply(local) {
    if (!this.running) return true;
    const left = this.left();
    if (left < 1) return false;
    if (local) this.fadeHere();
    else this.h.send({ type: 'sleep', after: left, fade: Math.min(this.s.fade, left) });
    return true;
  }
  show() {
    const left = this.left(), phase = this.state.sleepPhase = this.phase(left);
    this.h.show(left, phase, left !== null && left > MIN_FADE_S);
  }
}
