// Kept mixes: a loop of the listener's mix, rendered by the server (download.js with
// ?loop=1, docs/protocol.md), kept in the browser (Cache Storage) and played with no
// network, over and over without a gap or a click, under the page's volume and sleep
// timer.
//
// Ownership: the cache KEPT_CACHE is written only here (keepMix, removeKept); each
// entry is the file with its facts in the X-Kept header (JSON), so a list and its
// files can never disagree. A KeptPlayer owns its AudioContext and nodes; the page
// talks to it through play()/stop() and the hooks it was given (volume, sleep,
// streaming, onStart, onEnd), which it reads on a plain timer (no rAF: it goes on in a
// hidden tab). offlinePanel() draws #offline-panel and is the only code touching it.
//
// The loop: the file holds the loop between two pads (mixdown.LoopFold): frames
// loop_start .. loop_start + loop_frames are the loop, the pad after it repeats the
// loop's start. A lossy codec makes the repeat a little different from the first
// time, so before playing, the last PAD frames of the loop are blended (linear, the
// two are the same sound) into the PAD frames just before the loop: the loop's last
// frame is then the decoded frame just before its first, and the join is as smooth
// as any other pair of frames. AudioBufferSourceNode loopStart/loopEnd play it.
import { Download } from './download.js';
import { mediaOption, setMediaOption } from './media.js';

export const KEPT_CACHE = 'soundscape-kept';
export const KEEP_LENGTHS = [[60, '1 min'], [300, '5 min'], [600, '10 min']];
const KEPT_PREFIX = '/kept/';
const TICK_MS = 250;          // volume and sleep timer followed this often
const GLIDE_S = 0.05;         // volume changes glide over about this

const hasCaches = () => typeof caches !== 'undefined';

/** Keep `blob` (a loop file) with `meta` ({title, scene, seconds, format, rate,
 * loopStart, loopFrames, filename}); resolves to its id. */
export async function keepMix(blob, meta) {
  if (!hasCaches()) throw new Error('this browser cannot keep files (no Cache Storage)');
  const id = `k${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const facts = { ...meta, id, bytes: blob.size, keptAt: Date.now() };
  const cache = await caches.open(KEPT_CACHE);
  await cache.put(KEPT_PREFIX + id, new Response(blob, { headers: {
    'Content-Type': blob.type || 'application/octet-stream',
    'X-Kept': encodeURIComponent(JSON.stringify(facts)) } }));
  return id;
}

/** The kept mixes, oldest first: [{id, title, scene, seconds, bytes, keptAt, ...}]. */
export async function listKept() {
  if (!hasCaches()) return [];
  const cache = await caches.open(KEPT_CACHE);
  const out = [];
  for (const request of await cache.keys()) {
    const r = await cache.match(request);
    try { out.push(JSON.parse(decodeURIComponent(r.headers.get('X-Kept')))); } catch (e) { /* not ours */ }
  }
  return out.sort((a, b) => a.keptAt - b.keptAt);
}

export async function removeKept(id) {
  if (!hasCaches()) return false;
  return (await caches.open(KEPT_CACHE)).delete(KEPT_PREFIX + id);
}

async function keptFile(id) {
  const r = hasCaches() ? await (await caches.open(KEPT_CACHE)).match(KEPT_PREFIX + id) : null;
  if (!r) throw new Error(`no kept mix ${id}`);
  return { facts: JSON.parse(decodeURIComponent(r.headers.get('X-Kept'))), data: await r.arrayBuffer() };
}

/** Make `buffer` loop seamlessly over frames start .. start + frames (see the top of
 * this file); returns the start actually used (a decoder that dropped or kept a few
 * frames of the file's start moves it). */
export function seamless(buffer, start, frames) {
  start = Math.max(0, Math.min(start, buffer.length - frames));
  const pad = Math.min(start, Math.floor(frames / 8));
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const x = buffer.getChannelData(c);
    const end = start + frames;
    for (let k = 0; k < pad; k++) {   // the loop's last frames -> the frames before its start
      const w = (k + 0.5) / pad;
      x[end - pad + k] = x[end - pad + k] * (1 - w) + x[start - pad + k] * w;
    }
  }
  return start;
}

/** The largest sample-to-sample step inside frames a .. b of `buffer`. */
function maxStep(buffer, a, b) {
  let m = 0;
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const x = buffer.getChannelData(c);
    for (let i = a + 1; i < b; i++) { const s = Math.abs(x[i] - x[i - 1]); if (s > m) m = s; }
  }
  return m;
}

/** Plays one kept mix at a time. hooks: {volume() -> 0..1, sleep() -> {endsAt (ms
 * since the epoch) | null, fade (s)}, streaming() -> bool (the live stream plays:
 * give way), onStart(facts), onEnd(reason: 'stopped' | 'asleep' | 'stream' | 'error')}. */
export class KeptPlayer {
  constructor(hooks = {}) {
    this.h = { volume: () => 1, sleep: () => ({ endsAt: null, fade: 60 }), streaming: () => false,
      onStart: () => {}, onEnd: () => {}, ...hooks };
    this.ctx = null; this.source = null; this.gain = null; this.tap = null;
    this.playing = null;   // the facts of the mix playing, or null
    this.plan = ''; this.timer = null; this.asleepAt = null;
    this.stats = { frames: 0, silent: 0, maxStep: 0, ended: 0, passes: 0, fileMaxStep: 0,
      loopFrames: 0, bufferFrames: 0, loopStart: 0, rate: 0, error: null };
  }
  async ensure(rate) {
    if (this.ctx && this.ctx.sampleRate !== rate) { await this.ctx.close(); this.ctx = null; }
    if (!this.ctx) {
      // the file's rate: no resampling, so the loop's frames stay its frames
      this.ctx = new AudioContext({ sampleRate: rate, latencyHint: 'playback' });
      this.tap = null;
      if (this.ctx.audioWorklet) {
        try {
          await this.ctx.audioWorklet.addModule('keep-worklet.js');
          this.tap = new AudioWorkletNode(this.ctx, 'keep-tap', { outputChannelCount: [2] });
          this.tap.port.onmessage = (e) => this.heard(e.data);
          this.tap.connect(this.ctx.destination);
        } catch (e) { this.tap = null; }
      }
    }
    if (this.ctx.state !== 'running') await this.ctx.resume();
  }
  heard(m) {
    const s = this.stats;
    s.frames = m.frames; s.silent = m.silent; s.maxStep = m.maxStep;
    s.passes = s.loopFrames ? m.frames / s.loopFrames : 0;
  }
  /** Play kept mix `id` from the start of its loop, in a loop, until stop(). */
  async play(id) {
    this.stop('stopped');
    const { facts, data } = await keptFile(id);
    const rate = Number(facts.rate) || 48000;
    await this.ensure(rate);
    const buffer = await this.ctx.decodeAudioData(data);
    const frames = Math.min(Number(facts.loopFrames) || buffer.length, buffer.length);
    const start = seamless(buffer, Number(facts.loopStart) || 0, frames);
    this.stats = { frames: 0, silent: 0, maxStep: 0, ended: 0, passes: 0, error: null,
      fileMaxStep: maxStep(buffer, start, start + frames), loopFrames: frames,
      bufferFrames: buffer.length, loopStart: start, rate: buffer.sampleRate };
    if (this.tap) this.tap.port.postMessage('reset');
    const g = this.gain = this.ctx.createGain();
    g.gain.value = 0;
    g.connect(this.tap || this.ctx.destination);
    const src = this.source = this.ctx.createBufferSource();
    src.buffer = buffer; src.loop = true;
    src.loopStart = start / buffer.sampleRate; src.loopEnd = (start + frames) / buffer.sampleRate;
    src.connect(g);
    src.onended = () => { this.stats.ended += 1; if (this.source === src) this.stop('stopped'); };
    this.playing = facts; this.plan = '';
    src.start(0, start / buffer.sampleRate);
    this.follow();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.follow(), TICK_MS);
    this.h.onStart(facts);
    return facts;
  }
  /** Volume and sleep timer to the gain (planned on the audio clock), and give way to
   * the live stream. */
  follow() {
    if (!this.playing) return;
    if (this.h.streaming()) { this.stop('stream'); return; }
    const volume = Math.max(0, Math.min(1, Number(this.h.volume()) || 0));
    const { endsAt, fade } = this.h.sleep() || {};
    // the timer's end first: the page may clear the timer the moment it ends
    if (this.asleepAt !== null && Date.now() >= this.asleepAt) { this.stop('asleep'); return; }
    const plan = `${volume}|${endsAt}|${fade}`;
    if (plan === this.plan) return;
    this.plan = plan;
    const g = this.gain.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t); g.setValueAtTime(g.value, t);
    this.asleepAt = null;
    if (endsAt === null || endsAt === undefined) { g.setTargetAtTime(volume, t, GLIDE_S); return; }
    const left = (endsAt - Date.now()) / 1000;
    if (left <= 0) { this.stop('asleep'); return; }
    const span = Math.min(Math.max(0, Number(fade) || 0), left), from = t + left - span;
    if (from > t) { g.linearRampToValueAtTime(volume, Math.min(from, t + 0.3)); g.setValueAtTime(volume, from); }
    g.linearRampToValueAtTime(0, t + left);   // the same fade as the stream's (playback.js)
    this.asleepAt = endsAt;
  }
  stop(reason = 'stopped') {
    clearInterval(this.timer); this.timer = null;
    const was = this.playing;
    this.playing = null; this.asleepAt = null;
    if (this.source) {
      const src = this.source, g = this.gain;
      this.source = null; this.gain = null;
      src.onended = null;
      const t = this.ctx.currentTime;   // a short fade: stopping never clicks either
      g.gain.cancelScheduledValues(t); g.gain.setValueAtTime(g.gain.value, t);
      g.gain.linearRampToValueAtTime(0, t + 0.03);
      src.stop(t + 0.04);
      setTimeout(() => { try { g.disconnect(); } catch (e) { /* gone */ } }, 100);
    }
    if (was) this.h.onEnd(reason);
  }
}

let defaultPlayer = null;
/** Play kept mix `id` on one shared player: {volume: number | () => number, sleep:
 * () => {endsAt, fade}, ...KeptPlayer hooks}. Resolves to the player. */
export async function playKept(id, options = {}) {
  const { volume = 1, ...hooks } = options;
  if (!defaultPlayer) defaultPlayer = new KeptPlayer();
  defaultPlayer.h = { ...defaultPlayer.h, ...hooks, volume: typeof volume === 'function' ? volume : () => volume };
  await defaultPlayer.play(id);
  return defaultPlayer;
}

// -- the panel ----------------------------------------------------------------------
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e && !k.includes('-')) e[k] = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
const fmtLength = (s) => (s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** Draw the offline panel into `section` (#offline-panel) and return its controller.
 * page: {query() -> the current mix query | null, title() -> the scene's title,
 * scene() -> its name, token, volume(), sleep(), streaming(), pauseStream(),
 * asleep(), restoreActions() (the page's Media Session handlers back), media (a
 * MediaPath or null)}. */
export function offlinePanel(section, page) {
  const status = el('span', { id: 'keep-status', className: 'dim', role: 'status', 'aria-live': 'polite' });
  const length = el('select', { id: 'keep-length' },
    ...KEEP_LENGTHS.map(([s, label]) => el('option', { value: String(s), selected: s === 300 }, label)));
  const keepButton = el('button', { id: 'keep-start', type: 'button' }, 'Keep for offline');
  const list = el('ul', { id: 'kept-list', className: 'favs', 'aria-label': 'Kept mixes' });
  const empty = el('p', { id: 'kept-empty', className: 'dim' }, 'Nothing kept yet.');
  section.replaceChildren(
    el('h2', { id: 'offline-title' }, 'Offline'),
    el('p', { className: 'dim' }, 'Keep this mix on this device: it plays in a seamless loop with no network.'),
    el('div', { className: 'row' },
      el('span', { className: 'pair' }, el('label', { htmlFor: 'keep-length' }, 'Length'), length),
      keepButton, status),
    empty, list);
  if (page.media) {   // the media-element path (media.js): the listener's choice
    const choice = el('select', { id: 'media-path' },
      el('option', { value: 'auto' }, 'Automatic (on for iPhone and iPad)'),
      el('option', { value: 'on' }, 'Always'), el('option', { value: 'off' }, 'Never'));
    choice.value = mediaOption();
    choice.addEventListener('change', () => {
      setMediaOption(choice.value);
      if (!page.media.chosen()) page.media.stop();
    });
    // an engineering choice: in the page's Advanced panel where it has one
    const where = document.querySelector('#advanced .adv-body') || section;
    where.append(el('div', { className: 'row', id: 'media-path-row' },
      el('span', { className: 'pair' }, el('label', { htmlFor: 'media-path' }, 'Keep playing with the screen locked'), choice)));
  }
  section.setAttribute('aria-labelledby', 'offline-title');
  section.hidden = false;

  const keepState = { download: { state: 'idle' } };
  const facade = { kept: [], keepState, player: null, lastKept: null };
  const player = facade.player = new KeptPlayer({
    volume: page.volume, sleep: page.sleep, streaming: page.streaming,
    onStart: (facts) => { page.pauseStream(); session(facts); draw(); },
    onEnd: (reason) => {
      if (reason === 'asleep') page.asleep();
      if (page.restoreActions) page.restoreActions();
      draw();
    },
  });
  const keeper = new Download(keepState, page.token, {
    show: (state, text, progress) => {   // plain words: no file names or formats here
      const pct = Math.floor((Number(progress) || 0) * 100);
      status.textContent = state === 'done' ? 'Keeping…' : state === 'starting' ? 'Starting…'
        : state === 'rendering' ? `Making the loop: ${pct} %` : text || '';
      keepButton.disabled = state === 'starting' || state === 'rendering';
    },
    offer: (href, filename, st) => keepFile(href, filename, st),
  });
  let pending = null;   // the scene and title of the loop being rendered
  let last = null;      // the id of the last kept mix played (the lock screen's play)
  /** The lock screen and media keys while a kept mix plays (the page's come back on
   * its end: page.restoreActions). */
  function session(facts) {
    last = facts.id;
    if (!('mediaSession' in navigator)) return;
    const ms = navigator.mediaSession;
    if ('MediaMetadata' in window) {
      ms.metadata = new MediaMetadata({ title: facts.title, artist: 'soundscape', album: 'kept for offline',
        artwork: [{ src: 'icon-512.png', sizes: '512x512', type: 'image/png' }] });
    }
    const actions = { play: () => { if (!player.playing && last) facade.play(last); },
      pause: () => player.stop('stopped'), stop: () => player.stop('stopped') };
    for (const [action, fn] of Object.entries(actions)) {
      try { ms.setActionHandler(action, fn); } catch (e) { /* unsupported action */ }
    }
    ms.playbackState = 'playing';
  }
  async function keepFile(href, filename, st) {
    try {
      const r = await fetch(href, { cache: 'no-store' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const blob = await r.blob();
      const meta = { title: pending ? pending.title : filename, scene: pending ? pending.scene : null,
        seconds: st.seconds, format: st.format, rate: Math.round((st.loop_frames || 0) / (st.seconds || 1)) || 48000,
        loopStart: st.loop_start || 0, loopFrames: st.loop_frames || 0, filename };
      facade.lastKept = await keepMix(blob, meta);
      status.textContent = `Kept: ${meta.title}, ${fmtLength(meta.seconds)}.`;
    } catch (e) {
      status.textContent = `Could not keep it: ${String(e && e.message ? e.message : e).slice(0, 200)}`;
    }
    keepButton.disabled = false;
    await refresh();
  }
  keepButton.addEventListener('click', () => keep(Number(length.value)));
  /** Render the current mix (or the mix `query`) as a loop of `seconds` and keep it
   * (volume 1: the page's volume applies when it plays). */
  async function keep(seconds, query = page.query()) {
    if (!query) { status.textContent = 'Choose a scene first.'; return; }
    pending = { scene: page.scene(), title: page.title() };
    const q = query.replace(/(^|&)volume=[^&]*/g, '');
    await keeper.start(`${q}&volume=1`, seconds, 'opus', '&loop=1');
  }
  function draw() {
    empty.hidden = facade.kept.length > 0;
    list.replaceChildren(...facade.kept.map((k) => {
      const on = player.playing && player.playing.id === k.id;
      const play = el('button', { type: 'button', className: 'fav-play', dataset: { keptPlay: k.id },
        'aria-pressed': on ? 'true' : 'false' }, `${on ? 'Stop' : 'Play'} ${k.title} · ${fmtLength(k.seconds)}`);
      play.addEventListener('click', () => (on ? player.stop('stopped') : facade.play(k.id)));
      const remove = el('button', { type: 'button', dataset: { keptRemove: k.id }, 'aria-label': `Remove ${k.title}` }, 'Remove');
      remove.addEventListener('click', async () => {
        if (player.playing && player.playing.id === k.id) player.stop('stopped');
        await removeKept(k.id); await refresh();
      });
      return el('li', {}, play, remove);
    }));
  }
  async function refresh() {
    try { facade.kept = await listKept(); } catch (e) { facade.kept = []; }
    draw();
    return facade.kept;
  }
  facade.keep = keep;
  facade.refresh = refresh;
  facade.play = async (id) => {
    try { await player.play(id); } catch (e) {
      player.stats.error = String(e && e.message ? e.message : e);
      status.textContent = `Cannot play it: ${player.stats.error.slice(0, 200)}`;
    }
    draw();
  };
  facade.stop = () => player.stop('stopped');
  refresh();
  return facade;
}
