// The media-element path: the scene's live HLS stream (/hls/<scene>/master.m3u8,
// written when the server runs with --hls DIR) played by an <audio> element (natively
// where the browser plays HLS; else hls.js over Media Source, on the Opus rendition,
// or the AAC one where Media Source lacks Opus), for
// browsers that suspend Web Audio when the screen locks or the page is hidden
// (iPhone and iPad Safari). An element playing media keeps going there, and the lock
// screen shows its Media Session metadata and play/pause/stop buttons.
//
// What it plays is the broadcast mix: the listener's layer sliders do not reach it
// (HLS is one stream for everyone); volume and the sleep timer do (element volume,
// where the system allows it: iOS keeps the hardware volume only).
//
// Ownership: a MediaPath owns its <audio> element, its hls.js instance and, while it
// plays, the Media Session action handlers (given back to the page's on stop). The
// page chooses it (chosen(): the listener's option, else automatic on iOS-like
// systems) and calls play(scene)/pause()/stop(); hooks tell the page what happens.
import { iconUrl } from './icons.js';

const OPTION_KEY = 'soundscape.mediaPath';   // 'auto' (default) | 'on' | 'off'
const TICK_MS = 250;
const WAIT_MS = 15000;   // for a stream the server has not written yet
const ACTIONS = ['play', 'pause', 'stop'];

/** Browsers where Web Audio stops with the screen locked: iPhone, iPad (which says
 * it is a Mac, but has a touch screen), iPod. */
export function iosLike(nav = navigator) {
  return /iPad|iPhone|iPod/.test(nav.userAgent || '')
    || ((nav.platform === 'MacIntel' || /Macintosh/.test(nav.userAgent || '')) && nav.maxTouchPoints > 1);
}
export function mediaOption() {
  try { return ['on', 'off'].includes(localStorage.getItem(OPTION_KEY)) ? localStorage.getItem(OPTION_KEY) : 'auto'; } catch (e) { return 'auto'; }
}
export function setMediaOption(value) {
  try { localStorage.setItem(OPTION_KEY, value); } catch (e) { /* private mode: this visit only */ }
}

let hlsLoading = null;
/** window.Hls from vendor/hls.min.js, loaded on first use (null if it cannot load). */
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve) => {
      const s = document.createElement('script');
      s.src = 'vendor/hls.min.js';
      s.onload = () => resolve(window.Hls || null);
      s.onerror = () => { hlsLoading = null; resolve(null); };
      document.head.append(s);
    });
  }
  return hlsLoading;
}

/** hooks: {token, volume() -> 0..1, sleep() -> {endsAt, fade}, onStart(), onState(state,
 * text) ('connecting' | 'playing' | 'paused' | 'idle' | 'error' | 'unavailable'),
 * onAsleep(), restoreActions() (the page's Media Session handlers back)}. */
export class MediaPath {
  constructor(hooks = {}) {
    this.h = { token: null, volume: () => 1, sleep: () => ({ endsAt: null }), onStart: () => {},
      onState: () => {}, onAsleep: () => {}, restoreActions: () => {}, ...hooks };
    this.audio = null; this.hls = null; this.scene = null; this.timer = null;
    this.state = 'idle'; this.error = null; this.engine = null;
    // the handlers this path gives the Media Session while it plays (tests call them)
    this.actions = { play: () => this.resume(), pause: () => this.pause(), stop: () => this.stop() };
  }
  /** Whether the page should play through this path: the option, else iOS-like. */
  chosen() {
    const o = mediaOption();
    return o === 'on' || (o === 'auto' && iosLike());
  }
  get playing() { return this.state === 'playing' || this.state === 'connecting'; }
  get currentTime() { return this.audio ? this.audio.currentTime : 0; }
  setState(state, text) { this.state = state; this.h.onState(state, text); this.session(); }

  /** Play `scene` ({name, title, tags}) from its live HLS stream. */
  async play(scene) {
    this.stop(false);
    this.scene = scene; this.error = null;
    this.setState('connecting', `Connecting to ${scene.title || scene.name}…`);
    this.h.onStart();
    const url = `/hls/${encodeURIComponent(scene.name)}/master.m3u8`;
    // a scene's stream appears a segment after its channel starts: wait a little
    let r = null;
    for (const start = Date.now(); ;) {
      try { r = await fetch(url, { method: 'HEAD', cache: 'no-store' }); } catch (e) { r = null; }
      if (this.scene !== scene) return;   // stopped or another scene meanwhile
      if ((r && r.ok) || Date.now() - start > WAIT_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (!r || !r.ok) {
      this.error = r ? 'this server writes no lock-screen stream (serve with --hls DIR)' : 'cannot reach the server';
      this.setState(r ? 'unavailable' : 'error', this.error);
      return;
    }
    const audio = this.audio = new Audio();
    audio.preload = 'auto';
    audio.volume = this.volumeNow();
    audio.addEventListener('playing', () => { if (this.audio === audio) this.setState('playing'); });
    audio.addEventListener('pause', () => { if (this.audio === audio && this.state === 'playing') this.setState('paused'); });
    audio.addEventListener('error', () => { if (this.audio === audio) this.fail(`the media element: ${audio.error ? audio.error.message || audio.error.code : 'error'}`); });
    // native HLS on iPhone and iPad (and wherever Media Source is missing); elsewhere
    // hls.js: Chromium's own HLS switches between the renditions and fails on the
    // change of codec (seen in Chromium 14x)
    const native = audio.canPlayType('application/vnd.apple.mpegurl') && (iosLike() || !window.MediaSource);
    if (native) {
      this.engine = 'native';
      audio.src = url;
    } else {
      const Hls = await loadHls();
      if (this.audio !== audio) return;
      if (!Hls || !Hls.isSupported()) { this.fail('this browser plays no HLS'); return; }
      this.engine = 'hls.js';
      // one rendition, never switched: Media Source cannot change codec midway
      // (hls.js would move between the AAC and Opus renditions of the master playlist)
      const opus = MediaSource.isTypeSupported('audio/mp4; codecs="opus"');
      const hls = this.hls = new Hls({ liveSyncDurationCount: 2 });
      hls.on(Hls.Events.ERROR, (e, d) => { if (d.fatal && this.hls === hls) this.fail(`${d.type}: ${d.details}`); });
      hls.loadSource(url.replace(/master\.m3u8$/, opus ? 'opus/index.m3u8' : 'aac/index.m3u8'));
      hls.attachMedia(audio);
    }
    for (const action of ACTIONS) {
      try { navigator.mediaSession.setActionHandler(action, this.actions[action]); } catch (e) { /* unsupported */ }
    }
    this.session();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.follow(), TICK_MS);
    try { await audio.play(); } catch (e) {
      if (this.audio === audio) this.fail(`cannot start: ${e.message || e}`);
    }
  }
  /** Play again after a pause: the live edge (a live stream has no past to resume). */
  async resume() {
    if (!this.audio) { if (this.scene) await this.play(this.scene); return; }
    if (this.hls) this.hls.startLoad(-1);
    try { await this.audio.play(); } catch (e) { this.fail(`cannot resume: ${e.message || e}`); }
  }
  pause() {
    if (!this.audio) return;
    this.audio.pause();
    if (this.hls) this.hls.stopLoad();
    this.setState('paused');
  }
  /** Stop and let go of the element, hls.js and the Media Session handlers. */
  stop(report = true) {
    clearInterval(this.timer); this.timer = null;
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    if (this.audio) { this.audio.pause(); this.audio.removeAttribute('src'); this.audio.load(); this.audio = null; }
    const was = this.state !== 'idle';
    this.state = 'idle'; this.engine = null;
    if (was) this.h.restoreActions();
    if (report && was) this.h.onState('idle', 'stopped');
  }
  fail(text) {
    this.error = text;
    const scene = this.scene;
    this.stop(false);
    this.scene = scene;
    this.setState('error', text);
    this.state = 'idle';
  }
  volumeNow() {
    const v = Math.max(0, Math.min(1, Number(this.h.volume()) || 0));
    const { endsAt, fade } = this.h.sleep() || {};
    if (endsAt === null || endsAt === undefined) return v;
    const left = (endsAt - Date.now()) / 1000, span = Math.max(1, Number(fade) || 0);
    return left >= span ? v : v * Math.max(0, left / span);   // the stream's linear fade
  }
  /** Volume and the sleep timer, on a plain timer (runs with the screen locked while
   * the element plays). */
  follow() {
    if (!this.audio) return;
    const { endsAt } = this.h.sleep() || {};
    if (endsAt !== null && endsAt !== undefined && Date.now() >= endsAt) {
      this.stop(); this.h.onAsleep(); return;
    }
    const v = this.volumeNow();
    if (Math.abs(this.audio.volume - v) > 1e-3) this.audio.volume = v;
  }
  /** The lock screen: the scene's title and artwork, and whether it plays. */
  session() {
    if (!('mediaSession' in navigator) || !this.scene || this.state === 'idle') return;
    const ms = navigator.mediaSession;
    const title = this.scene.title || this.scene.name;
    if (!ms.metadata || ms.metadata.title !== title || ms.metadata.album !== 'live') {
      ms.metadata = new MediaMetadata({ title, artist: 'soundscape', album: 'live',
        artwork: [{ src: iconUrl(this.scene), sizes: '512x512', type: 'image/svg+xml' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' }] });
    }
    ms.playbackState = this.state === 'playing' || this.state === 'connecting' ? 'playing' : 'paused';
  }
}

/** The page's play button plays through `media` while it is chosen: a click on
 * `button` (mouse, Enter, Space) is taken before the page's own handler sees it.
 * sceneOf() -> the scene to play ({name, title, tags}) or null. */
export function takePlayButton(media, button, sceneOf) {
  document.addEventListener('click', (e) => {
    if (!button || !button.contains(e.target) || !media.chosen()) return;
    e.stopPropagation(); e.preventDefault();
    if (media.playing) media.stop();
    else { const scene = sceneOf(); if (scene) media.play(scene); }
  }, true);
}
