// The player page's DOM (and the media session, the OS's view of it), and nothing
// else: each show* function draws part of the state it is given; bind() and
// bindMediaSession() turn the page's controls and the media keys into calls of the
// actions they are given. No sockets, no audio, no storage.
import { iconUrl, iconPngs } from './icons.js';
import { GAIN_MIN, GAIN_MAX, MAX_NAME } from './mix.js';
import { soundLabel, soundIcon, iconSvg } from './sound-icons.js';

export const $ = (id) => document.getElementById(id);
const METER_FLOOR_DB = -60;
const KIND_HINT = { bed: 'continuous texture', event: 'random one-shot sounds' };
// the default view speaks plain words; the engineering detail goes to the Advanced panel
const STATE_WORDS = { idle: 'Ready', connecting: 'Connecting…', reconnecting: 'Reconnecting…',
  buffering: 'Starting…', playing: 'Playing', sleeping: 'Asleep', error: 'Something went wrong' };
const PLAY_SHAPE = 'M7 4.5v15l13-7.5z', PAUSE_SHAPE = 'M6 4h4.5v16H6zM13.5 4H18v16h-4.5z';

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className' || k === 'textContent') e[k] = v; else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/** The status line under the play button: `text` (plain words) or the status's own
 * words; `detail` (engineering words, e.g. a retry delay) goes to the Advanced panel. */
export function showState(status, text, detail) {
  const out = $('state'); out.dataset.state = status;
  out.textContent = text || STATE_WORDS[status] || status;
  $('status-detail').textContent = detail ? `${status}: ${detail}` : '';
}
export function showPlaying(wanted) {
  $('play-label').textContent = wanted ? 'Pause' : 'Play';
  $('play-shape').setAttribute('d', wanted ? PAUSE_SHAPE : PLAY_SHAPE);
  $('play').setAttribute('aria-pressed', String(wanted));
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

// -- layers (the scene's sounds) --------------------------------------------------------
/** A layer slider's value in words for screen readers: its place on the slider. */
function gainWords(db) {
  if (!db) return 'normal';
  const pct = Math.round((db - GAIN_MIN) / (GAIN_MAX - GAIN_MIN) * 100);
  return `${db < 0 ? 'softer' : 'louder'}, ${pct} %`;
}
/** One card per layer: its icon, its friendly name, a slider and a mute box, set from
 * `settings` (name -> {gain_db, muted}); the Advanced panel's table gets the layer's
 * own name, kind and gain in dB. onGain(name, db) fires as the slider moves,
 * onMute(name, muted). */
export function showLayers(layers, settings, { onGain, onMute }) {
  const box = $('layers'); box.innerHTML = '';
  const table = $('layer-table'); table.innerHTML = '';
  for (const layer of layers) {
    const s = settings[layer.name] || { gain_db: 0, muted: false };
    const kind = layer.kind || '';
    const label = soundLabel(layer);
    const id = `g-${layer.name}`;
    const slider = el('input', {
      id, 'data-layer': layer.name, type: 'range', min: String(GAIN_MIN), max: String(GAIN_MAX), step: '1',
      value: String(s.gain_db), 'aria-valuetext': gainWords(s.gain_db),
    });
    const mute = el('input', { type: 'checkbox', 'data-mute': layer.name, 'aria-label': `Mute ${label}` });
    mute.checked = !!s.muted;
    const card = el('div', { className: 'layer sound', 'data-sound': layer.name, 'data-muted': String(!!s.muted) },
      el('div', { className: 'sound-head' }, iconSvg(soundIcon(layer)),
        el('label', { for: id, className: 'name', textContent: label }),
        el('label', { className: 'mute' }, mute, el('span', { textContent: 'Mute', 'aria-hidden': 'true' }))),
      slider);
    // the Advanced panel: the layer's own name, kind and gain
    const db = el('td', { className: 'db', textContent: `${s.gain_db} dB` });
    const muted = el('td', { className: 'muted', textContent: s.muted ? 'yes' : 'no' });
    table.appendChild(el('tr', { 'data-layer-row': layer.name },
      el('th', { scope: 'row', className: 'raw-name', textContent: layer.name }),
      el('td', { className: 'kind', title: KIND_HINT[kind] || '', textContent: kind }), db, muted));
    slider.addEventListener('input', () => {
      db.textContent = `${slider.value} dB`;
      slider.setAttribute('aria-valuetext', gainWords(Number(slider.value)));
      onGain(layer.name, Number(slider.value));
    });
    mute.addEventListener('change', () => {
      card.dataset.muted = String(mute.checked);
      muted.textContent = mute.checked ? 'yes' : 'no';
      onMute(layer.name, mute.checked);
    });
    box.appendChild(card);
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
  $('fav-empty').textContent = 'Mixes cannot be saved in this browser (its storage is full or switched off).';
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
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** Seconds in words: "1 hour 5 minutes", "25 minutes", "less than a minute". */
export function inWords(seconds) {
  const m = Math.ceil(seconds / 60);
  if (seconds < 60) return 'less than a minute';
  const h = Math.floor(m / 60), rest = m % 60;
  return h ? plural(h, 'hour') + (rest ? ` ${plural(rest, 'minute')}` : '') : plural(m, 'minute');
}
/** left: seconds or null; phase: 'off' | 'running' | 'fading'; canShorten: -5 min
 * allowed. Off: the choices; running: the time left in words and what can be done. */
export function showSleep(left, phase, canShorten, title) {
  const focused = document.activeElement;
  $('sleep-off').hidden = phase !== 'off';
  $('sleep-on').hidden = phase === 'off';
  $('sleep-less').hidden = phase === 'off' || !canShorten;
  // a keyboard user's focus stays in the timer when the control it was on goes away
  if (focused && focused.closest && focused.closest('.sleep') && focused.offsetParent === null) {
    (phase === 'off' ? document.querySelector('[data-sleep]') : $('sleep-more')).focus();
  }
  const out = $('sleep-left');
  out.dataset.phase = phase;
  out.textContent = phase === 'off' ? 'Off'
    : phase === 'fading' ? `Fading out, ${inWords(left)} left` : `${inWords(left)} left`;
  document.title = phase === 'off' ? `${title} · soundscape` : `${fmtTime(left)} · ${title}`;
}

// -- wake-up alarm -------------------------------------------------------------------------
/** The choices of the alarm's sound: every scene, then the saved mixes (value
 * 'scene:NAME' or 'fav:ID'); `current` (a scene name) chosen unless the listener chose. */
export function showAlarmChoices(scenes, favs, current) {
  const sel = $('alarm-sound'), was = sel.value;
  sel.innerHTML = '';
  const group = (label, items) => {
    if (!items.length) return;
    const g = el('optgroup', { label });
    for (const [value, text] of items) g.appendChild(el('option', { value, textContent: text }));
    sel.appendChild(g);
  };
  const names = new Set(scenes.map((s) => s.name));
  group('Scenes', scenes.map((s) => [`scene:${s.name}`, s.title]));
  group('Saved mixes', favs.filter((f) => names.has(f.scene)).map((f) => [`fav:${f.id}`, f.name]));
  const want = [was, `scene:${current}`].find((v) => v && [...sel.options].some((o) => o.value === v));
  if (want) sel.value = want;
}
export function alarmChoice() {
  return { time: $('alarm-time').value, target: $('alarm-sound').value,
    fadeMinutes: Number($('alarm-fade').value), volume: Number($('alarm-volume').value) };
}
function openAlarmForm(open) {
  $('alarm-form').hidden = !open;
  $('alarm-open').setAttribute('aria-expanded', String(open));
  $('alarm-open').textContent = open ? 'Close' : 'Set an alarm';
}
/** view: {phase: 'off'|'set'|'waking', time ('07:00'), name (what plays), fadeMinutes}. */
export function showAlarm(view) {
  const status = $('alarm-status'), cancel = $('alarm-cancel');
  status.dataset.phase = view.phase;
  if (view.phase === 'off') {
    status.textContent = 'No alarm set.';
    cancel.hidden = true; $('alarm-open').hidden = false;
    return;
  }
  openAlarmForm(false);
  $('alarm-open').hidden = true; cancel.hidden = false;
  if (view.phase === 'set') {
    status.textContent = `Wakes you at ${view.time} with ${view.name}, fading in over ${plural(view.fadeMinutes, 'minute')}.`;
    cancel.textContent = 'Cancel alarm';
  } else {
    status.textContent = `Good morning: ${view.name} is fading in.`;
    cancel.textContent = 'Stop';
  }
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
 * setAlarm(choice), cancelAlarm, visible}. */
export function bind(a, sleepStepS) {
  $('play').addEventListener('click', () => a.togglePlay());
  $('volume').addEventListener('input', () => { showVolume(volume()); a.volume(volume()); });
  $('alarm-open').addEventListener('click', () => {
    const open = $('alarm-form').hidden;
    openAlarmForm(open);
    if (open) $('alarm-time').focus();
  });
  $('alarm-volume').addEventListener('input', () => {
    $('alarm-volume').setAttribute('aria-valuetext', `${Math.round(Number($('alarm-volume').value) * 100)} %`);
  });
  $('alarm-set').addEventListener('click', () => {
    if (!$('alarm-time').value || !a.setAlarm(alarmChoice())) {
      $('alarm-status').textContent = 'Choose a time and a sound to wake up to.';
      $('alarm-time').focus();
      return;
    }
    $('alarm-cancel').focus();
  });
  $('alarm-cancel').addEventListener('click', () => { a.cancelAlarm(); $('alarm-open').focus(); });
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
  $('sleep-custom').addEventListener('keydown', (e) => {   // (the key is used up: focus moves on)
    if (e.key === 'Enter') { e.preventDefault(); $('sleep-start').click(); }
  });
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
  // another path (a kept loop, the lock-screen stream) may have shown its own title
  const shown = mediaSession.metadata ? mediaSession.metadata.title : null;
  if ((mediaKey !== key || shown !== title) && 'MediaMetadata' in window) {
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
