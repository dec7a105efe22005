// The player page's DOM (and the media session, the OS's view of it), and nothing
// else: each show* function draws part of the state it is given; bind() and
// bindMediaSession() turn the page's controls and the media keys into calls of the
// actions they are given. No sockets, no audio, no storage.
import { iconUrl, iconPngs } from './icons.js';
import { GAIN_MIN, GAIN_MAX, MAX_NAME } from './mix.js';

export const $ = (id) => document.getElementById(id);
const METER_FLOOR_DB = -60;
const KIND_HINT = { bed: 'continuous texture', event: 'random one-shot sounds' };

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className' || k === 'textContent') e[k] = v; else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

export function showState(status, text) {
  const out = $('state'); out.dataset.state = status; out.textContent = text || status;
}
export function showPlaying(wanted) {
  const b = $('play');
  b.textContent = wanted ? 'Pause' : 'Play';
  b.setAttribute('aria-pressed', String(wanted));
  b.setAttribute('aria-label', wanted ? 'Pause' : 'Play');
}
export function showMode(text) { $('mode').textContent = text; }
export function showStats(text) { $('stats').textContent = text; }

export function volume() { return Number($('volume').value); }
export function showVolume(v) {
  $('volume').value = String(v);
  $('volume').setAttribute('aria-valuetext', `${Math.round(v * 100)} %`);
}

// -- scenes -------------------------------------------------------------------------
export function showScenes(scenes, onChoose) {
  const box = $('scenes'); box.innerHTML = '';
  for (const s of scenes) {
    const b = el('button', { type: 'button', className: 'scene-tile', 'data-scene': s.name,
      'aria-pressed': 'false', title: s.description || s.title },
    el('img', { src: iconUrl(s), alt: '', width: '40', height: '40' }),
    el('span', { textContent: s.title }));
    b.addEventListener('click', () => onChoose(s.name));
    box.appendChild(b);
  }
}
export function showScene(scene) {   // a scene object, or null
  for (const b of document.querySelectorAll('[data-scene]')) {
    b.setAttribute('aria-pressed', String(scene !== null && b.dataset.scene === scene.name));
  }
  $('now-title').textContent = scene ? scene.title : 'soundscape';
  $('art').src = iconUrl(scene);
  $('description').textContent = scene ? scene.description : '';
  const tags = $('tags'); tags.innerHTML = '';
  for (const t of (scene && scene.tags) || []) tags.appendChild(el('li', { textContent: t }));
}

// -- layers -------------------------------------------------------------------------
/** One row per layer: a gain slider and a mute box, set from `settings` (name ->
 * {gain_db, muted}). onGain(name, db) fires as the slider moves, onMute(name, muted). */
export function showLayers(layers, settings, { onGain, onMute }) {
  const box = $('layers'); box.innerHTML = '';
  for (const layer of layers) {
    const s = settings[layer.name] || { gain_db: 0, muted: false };
    const kind = layer.kind || '';
    const id = `g-${layer.name}`;
    const slider = el('input', {
      id, 'data-layer': layer.name, type: 'range', min: String(GAIN_MIN), max: String(GAIN_MAX), step: '1',
      value: String(s.gain_db), 'aria-label': `${layer.name}${kind ? ` (${kind})` : ''} level`,
      'aria-valuetext': `${s.gain_db} dB`,
    });
    const db = el('span', { className: 'db', 'aria-hidden': 'true', textContent: `${s.gain_db} dB` });
    const mute = el('input', { type: 'checkbox', 'data-mute': layer.name, 'aria-label': `Mute ${layer.name}` });
    mute.checked = !!s.muted;
    const row = el('div', { className: 'layer' },
      el('label', { for: id, className: 'name' }, layer.name,
        el('span', { className: 'kind', title: KIND_HINT[kind] || '', textContent: kind })),
      slider, db, el('label', { className: 'mute' }, mute, 'mute'));
    slider.addEventListener('input', () => {
      db.textContent = `${slider.value} dB`;
      slider.setAttribute('aria-valuetext', `${slider.value} dB`);
      onGain(layer.name, Number(slider.value));
    });
    mute.addEventListener('change', () => onMute(layer.name, mute.checked));
    box.appendChild(row);
  }
}

// -- favourites and sharing ----------------------------------------------------------------
/** The favourites whose scene is in `scenes`; actions {play(id), remove(id), rename(fav, name)}. */
export function showFavourites(favs, scenes, actions) {
  const list = $('favs'); list.innerHTML = '';
  const byName = new Map(scenes.map((s) => [s.name, s]));
  const shown = favs.filter((f) => byName.has(f.scene));
  $('fav-empty').hidden = shown.length > 0;
  for (const f of shown) {
    const s = byName.get(f.scene);
    const name = el('input', { type: 'text', value: f.name, maxlength: String(MAX_NAME),
      'aria-label': 'Favourite name', className: 'fav-name' });
    name.addEventListener('change', () => actions.rename(f, name.value.slice(0, MAX_NAME) || s.title));
    const playB = el('button', { type: 'button', className: 'fav-play', 'data-fav': f.id,
      'aria-label': `Play ${f.name}` }, el('img', { src: iconUrl(s), alt: '', width: '28', height: '28' }),
    el('span', { textContent: 'Play' }));
    playB.addEventListener('click', () => actions.play(f.id));
    const del = el('button', { type: 'button', className: 'fav-remove', 'data-fav-remove': f.id,
      'aria-label': `Remove ${f.name}`, textContent: '✕' });
    del.addEventListener('click', () => actions.remove(f.id));
    list.appendChild(el('li', {}, playB, name, del));
  }
}
export function showFavouritesUnsaved() {
  $('fav-empty').textContent = 'Favourites cannot be saved in this browser (storage full or off).';
}
export function showShare(url, copied) {
  $('share-box').hidden = false;
  $('share-url').value = url;
  $('share-note').textContent = copied === null ? '' : copied ? 'Link copied.' : 'Copy this link:';
  if (copied === false) { $('share-url').focus(); $('share-url').select(); }
}

// -- level meter ------------------------------------------------------------------------
function meterPct(db) {
  const pct = (db - METER_FLOOR_DB) / -METER_FLOOR_DB * 100;
  return Number.isFinite(pct) ? Math.max(0, Math.min(100, pct)) : 0;
}
const fmtDb = (db) => (Number.isFinite(db) && db > -120 ? db.toFixed(1) : '-∞');
/** The meter from state.levelDb / peakHoldDb; with worklet stats `m`, the footer too. */
export function showMeter(state, m) {
  $('meter-bar').style.width = meterPct(state.levelDb) + '%';
  const peak = $('meter-peak');
  const show = Number.isFinite(state.peakHoldDb) && state.peakHoldDb > METER_FLOOR_DB;
  peak.style.opacity = show ? '1' : '0';
  peak.style.left = `calc(${meterPct(state.peakHoldDb)}% - 2px)`;
  $('level').textContent = `${fmtDb(state.levelDb)} dB · pk ${fmtDb(state.peakHoldDb)}`;
  if (m) {
    showStats(`${state.codec || ''} · buffer ${(m.fill * 1000).toFixed(0)} ms · `
      + `underruns ${m.underruns} · gaps ${state.seq.gaps} · played ${m.played.toFixed(0)} s`);
  }
}

// -- sleep timer ------------------------------------------------------------------------
function fmtTime(s) {
  s = Math.ceil(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
/** left: seconds or null; phase: 'off' | 'running' | 'fading'; canShorten: -5 min allowed. */
export function showSleep(left, phase, canShorten, title) {
  $('sleep-cancel').disabled = phase === 'off';
  $('sleep-more').disabled = phase === 'off';
  $('sleep-less').disabled = phase === 'off' || !canShorten;
  const out = $('sleep-left');
  out.dataset.phase = phase;
  out.textContent = phase === 'off' ? 'off'
    : phase === 'fading' ? `fading out · ${fmtTime(left)}` : `${fmtTime(left)} left`;
  document.title = phase === 'off' ? `${title} · soundscape` : `${fmtTime(left)} · ${title}`;
}

// -- download ---------------------------------------------------------------------------
export function showDownload(state, text, progress) {
  $('dl-status').textContent = text || '';
  const bar = $('dl-progress');
  bar.hidden = progress === undefined || progress === null;
  if (!bar.hidden) bar.value = progress;
  const busy = state === 'starting' || state === 'rendering';
  $('dl-start').disabled = busy; $('dl-cancel').hidden = !busy;
  if (state !== 'done') $('dl-link').hidden = true;
}
/** The finished file: a link, clicked once to start saving it. */
export function offerFile(href, filename) {
  const a = $('dl-link');
  a.href = href; a.download = filename || ''; a.textContent = `Save ${filename}`;
  a.hidden = false;
  a.click();
}
export function downloadChoice() {
  return { seconds: Number($('dl-duration').value), format: $('dl-format').value };
}
function fitDownloadChoices() {   // FLAC of noise is big: the server caps it at 1 h
  const flac = $('dl-format').value === 'flac';
  for (const o of $('dl-duration').options) o.disabled = flac && Number(o.value) > 3600;
  if ($('dl-duration').selectedOptions[0].disabled) $('dl-duration').value = '3600';
}

// -- controls -------------------------------------------------------------------------
/** Wire the page's fixed controls to `a`: {togglePlay, volume(v), share, saveFavourite,
 * sleep(afterSeconds), adjustSleep(seconds), cancelSleep, startDownload, cancelDownload,
 * visible}. */
export function bind(a, sleepStepS) {
  $('play').addEventListener('click', () => a.togglePlay());
  $('volume').addEventListener('input', () => { showVolume(volume()); a.volume(volume()); });
  $('share').addEventListener('click', () => a.share());
  $('fav-save').addEventListener('click', () => a.saveFavourite());
  for (const b of document.querySelectorAll('[data-sleep]')) {
    b.addEventListener('click', () => a.sleep(Number(b.dataset.sleep) * 60));
  }
  $('sleep-start').addEventListener('click', () => {
    const minutes = Number($('sleep-custom').value);
    if (!(minutes > 0)) { $('sleep-custom').focus(); return; }
    a.sleep(Math.min(1440, minutes) * 60);
  });
  $('sleep-custom').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('sleep-start').click(); });
  $('sleep-less').addEventListener('click', () => a.adjustSleep(-sleepStepS));
  $('sleep-more').addEventListener('click', () => a.adjustSleep(sleepStepS));
  $('sleep-cancel').addEventListener('click', () => a.cancelSleep());
  $('dl-format').addEventListener('change', fitDownloadChoices);
  $('dl-start').addEventListener('click', () => a.startDownload());
  $('dl-cancel').addEventListener('click', () => a.cancelDownload());
  document.addEventListener('visibilitychange', () => { if (!document.hidden) a.visible(); });
}

// -- media session (lock screen, notification, media keys) ---------------------------
const mediaSession = 'mediaSession' in navigator ? navigator.mediaSession : null;
/** Media keys to `actions` (name -> function); the ones this browser took. */
export function bindMediaSession(actions) {
  const taken = {};
  if (!mediaSession) return taken;
  for (const [action, fn] of Object.entries(actions)) {
    try { mediaSession.setActionHandler(action, fn); taken[action] = fn; } catch (e) { /* unsupported action */ }
  }
  return taken;
}
let mediaKey = null;   // the metadata shown: set again only when title or tags change
export function showMediaSession(scene, title, playing) {
  if (!mediaSession) return;
  const key = `${title}|${scene && scene.tags ? scene.tags.join(',') : ''}`;
  if (mediaKey !== key && 'MediaMetadata' in window) {
    mediaKey = key;
    const meta = { title, artist: 'soundscape',
      album: scene && scene.tags && scene.tags.length ? scene.tags.join(' · ') : 'ambient sound' };
    const svg = { src: iconUrl(scene), sizes: '512x512', type: 'image/svg+xml' };
    mediaSession.metadata = new MediaMetadata({ ...meta, artwork: [svg] });
    // PNGs too: not every lock screen or notification draws SVG
    iconPngs(scene).then((pngs) => {
      if (mediaKey === key && pngs.length) mediaSession.metadata = new MediaMetadata({ ...meta, artwork: [...pngs, svg] });
    });
  }
  mediaSession.playbackState = playing ? 'playing' : 'paused';
}
