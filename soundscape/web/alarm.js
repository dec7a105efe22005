// The wake-up alarm: at a chosen time of day, a chosen scene or saved mix starts from
// silence and fades in to a chosen volume over a chosen number of minutes.
//
// The alarm owns its facts (phase, when, what, how loud, how slowly) and its ticker;
// the page hears back through hooks and never writes them. Time comes from a clock
// given to the constructor (or useClock): {now(): ms since the epoch, every(ms, fn):
// a handle, stop(handle)}. The page passes systemClock; a test passes a clock it moves
// by hand. The ticker is a plain interval, not requestAnimationFrame, so it keeps going
// in a hidden tab (where a browser may slow it to about once a minute); it cannot run
// once the page is closed, which the page says in its help text.
//
//   off --set--> set --the time comes--> waking --faded in / interrupted--> off
//    ^             |                        |
//    +---cancel----+--------cancel----------+

export const systemClock = Object.freeze({
  now: () => Date.now(),
  every: (ms, fn) => setInterval(fn, ms),
  stop: (handle) => clearInterval(handle),
});
export const TICK_MS = 1000;         // how often the alarm looks at the clock
const DAY_MS = 24 * 3600 * 1000;

/** 'HH:MM' -> [hours, minutes], or null when it is not a time of day. */
export function parseTime(text) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(String(text || '').trim());
  if (!m) return null;
  const h = Number(m[1]), min = Number(m[2]);
  return h < 24 && min < 60 ? [h, min] : null;
}
/** The next moment (ms since the epoch, local time) after `now` that reads `time`. */
export function nextAt(time, now) {
  const [h, min] = parseTime(time);
  const d = new Date(now);
  d.setHours(h, min, 0, 0);
  let at = d.getTime();
  while (at <= now) {   // the same time tomorrow (a day is not always 24 h: DST)
    d.setDate(d.getDate() + 1);
    at = d.getTime();
    if (at <= now) at = now + DAY_MS;
  }
  return at;
}
/** The gain `ms` into a fade-in of `fadeMs` to `volume`: a straight line from 0. */
export function fadeLevel(volume, fadeMs, ms) {
  if (!(fadeMs > 0)) return volume;
  return volume * Math.min(1, Math.max(0, ms / fadeMs));
}

export class Alarm {
  /**
   * hooks: {wake(target): start playing `target` (from silence: the page asks
   *   level() for its gain); level(gain): the fade's gain now; done(volume): the fade
   *   reached its volume; show(view): draw {phase, time, target, fadeMinutes, volume}}.
   */
  constructor(hooks, clock = systemClock) {
    this.h = hooks; this.clock = clock; this.ticker = null;
    this.phase = 'off'; this.at = null; this.startedAt = null; this.plan = null;
  }
  get waking() { return this.phase === 'waking'; }
  /** Run on `clock` from now on (a test's, or systemClock). */
  useClock(clock) {
    const running = this.ticker !== null;
    this.stopTicking();
    this.clock = clock;
    if (running) this.startTicking();
  }
  /** Wake at `time` ('HH:MM', the next time it comes) with `target` (the page's
   * choice, passed back to wake()), fading in to `volume` (0..1) over `fadeMinutes`.
   * False (and nothing changes) when a value is not usable. */
  set({ time, target, volume, fadeMinutes }) {
    volume = Number(volume); fadeMinutes = Number(fadeMinutes);
    if (!parseTime(time) || !target || !(volume > 0 && volume <= 1) || !(fadeMinutes >= 0 && fadeMinutes <= 120)) return false;
    this.plan = { time, target, volume, fadeMinutes };
    this.at = nextAt(time, this.clock.now());
    this.phase = 'set'; this.startedAt = null;
    this.startTicking();
    this.show();
    return true;
  }
  /** No alarm from now on (a fade under way stops where it is: the page decides what
   * happens to the sound). */
  cancel() {
    this.stopTicking();
    this.phase = 'off'; this.at = null; this.startedAt = null;
    this.show();
  }
  /** The listener took over during the fade (moved the volume, paused): the alarm is
   * over, its gain no longer applies. */
  interrupt() { if (this.waking) this.cancel(); }
  /** The fade's gain now while waking, else null. */
  level() {
    if (!this.waking) return null;
    return fadeLevel(this.plan.volume, this.plan.fadeMinutes * 60000, this.clock.now() - this.startedAt);
  }
  /** ms until the alarm, or null when none is set. */
  left() { return this.phase === 'set' ? Math.max(0, this.at - this.clock.now()) : null; }
  tick() {
    const now = this.clock.now();
    if (this.phase === 'set' && now >= this.at) {
      this.phase = 'waking'; this.startedAt = now;
      this.show();
      this.h.wake(this.plan.target);
    }
    if (!this.waking) return;
    const gain = this.level();
    this.h.level(gain);
    if (gain >= this.plan.volume) {
      this.stopTicking();
      this.phase = 'off'; this.at = null; this.startedAt = null;
      this.h.done(this.plan.volume);
      this.show();
    }
  }
  startTicking() {
    if (this.ticker === null) this.ticker = this.clock.every(TICK_MS, () => this.tick());
  }
  stopTicking() {
    if (this.ticker !== null) this.clock.stop(this.ticker);
    this.ticker = null;
  }
  show() {
    const p = this.plan || {};
    this.h.show({ phase: this.phase, time: p.time, target: p.target, fadeMinutes: p.fadeMinutes, volume: p.volume });
  }
}
