// soundscape web player: websocket stream -> WebCodecs Opus (or raw PCM) -> AudioWorklet.
// Protocol: docs/protocol.md. Test hooks live on window.soundscape.
//
// Everything that keeps audio going runs on the audio clock (worklet), on websocket
// events or on plain timers: nothing depends on requestAnimationFrame, so playback
// and the sleep timer carry on in a hidden tab or with the screen off. Only the
// level meter's drawing is skipped while the page is hidden.
//
// A mix (scene + layer gains/mutes + volume) travels in share links
// (?scene=&gains=LAYER:DB,...&mute=LAYER,...&volume=0..1, the same parameters as a
// download, soundscape/mixdown.py), is remembered in localStorage (the last mix, named
// favourites) and is rendered to a file by /api/download. Every mix read from a link or
// from storage goes through sanitizeMix: unknown scenes and layers are dropped, numbers
// clamped, anything else ignored.
//
// Stems: the player plays the broadcast mix until a layer's gain or mute is changed;
// then (mode 'auto', the default) it takes /stems/<scene>, one stream per layer, and
// mixes them itself in
// stems-worklet.js: layer gains apply here at once and cost the server nothing; volume
// and the sleep fade are the master GainNode, as for a local sleep timer. ?mix=server
// asks the server for a personal mix instead (as does a browser without AudioWorklet);
// ?mix=stems takes the stems from the start. Where the server has no personal mix left
// for a ?mix=server player, it falls back to stems too.
import { iconUrl, iconPngs } from './icons.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const HEADER_BYTES = 16;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const MIN_FADE_S = 60;            // the sleep fade never gets shorter, unless the timer is
const SLEEP_STEP_S = 300;         // the -5 min / +5 min buttons
const PEAK_HOLD_MS = 1500, PEAK_FALL_DB_PER_S = 20, METER_FLOOR_DB = -60;
const GAIN_MIN = -40, GAIN_MAX = 12;   // the layer sliders' range (mute is silence)
const MAX_LAYERS = 64, MAX_PARAM = 4096, MAX_FAVS = 50, MAX_NAME = 80;
const LAST_KEY = 'soundscape.last', FAV_KEY = 'soundscape.favourites';
const MIX_PARAMS = ['scene', 'gains', 'mute', 'volume'];
const DL_POLL_MS = 700;
const MIX_TYPES = new Set(['gain', 'mute', 'volume', 'sleep']);   // the server's mix controls

const S = window.soundscape = {
  state: 'idle', underruns: 0, gaps: 0, played: 0, levelDb: -Infinity, peakDb: -Infinity,
  peakHoldDb: -Infinity, fill: 0, codec: null, scene: null, hello: null, mix: null,
  errors: [], reconnects: 0, sink: null, sleepPhase: 'off',
  play: () => play(), pause: () => pause(),
  setLayerGain: (name, db) => setLayer(name, { gain_db: db }),
  setMute: (name, muted) => setLayer(name, { muted }),
  sleep: (after, fade) => startSleep(after, fade), cancelSleep: () => cancelSleep(),
  adjustSleep: (seconds) => adjustSleep(seconds),
  get sleepLeft() { return sleepLeft(); },      // seconds, or null when no timer runs
  firstAudioMs: null, restoredFrom: null, storageError: null, mediaActions: {},
  lastShare: null, shareCopied: null,
  currentMix: () => currentMix(), applyMix: (mix) => applyMix(sanitizeMix(mix)),
  shareUrl: () => shareUrl(), share: () => share(),
  saveFavourite: (name) => saveFavourite(name), playFavourite: (id) => playFavourite(id),
  removeFavourite: (id) => removeFavourite(id), get favourites() { return favs.map((f) => ({ ...f })); },
  download: { state: 'idle' }, startDownload: () => startDownload(),
  mixMode: ['stems', 'server'].includes(params.get('mix')) ? params.get('mix') : 'auto', stems: null,
};

let scenes = [];
let ctx = null, player = null, master = null, sinkEl = null;
let ws = null, decoder = null, wanted = false, attempt = 0, retryTimer = null;
let lastSeq = -1, goodSince = 0, playStartedAt = null;
let stemsNode = null, streamNode = null;   // the two players; `player` is the one in use
let stemNames = [], pendingLayout = null;  // stems in message order; a layout to post
const stemDecoders = new Map();            // stem name -> AudioDecoder (opus)
let shownLayers = [];   // the layer list the sliders show (scene preview or hello)
// re-applied on reconnect; sleepFade is the fade asked for, the one sent is min(fade, left)
const settings = { layers: {}, sleepEndsAt: null, sleepFade: MIN_FADE_S, sleepLocal: S.mixMode === 'stems' };

function setState(state, text) {
  S.state = state;
  const el = $('state'); el.dataset.state = state; el.textContent = text || state;
  updateMediaSession();
}

// ---- storage: localStorage may be missing, full, forbidden or hold junk --------------
const store = {
  get(key, fallback) {
    try {
      const text = window.localStorage.getItem(key);
      return text === null ? fallback : JSON.parse(text);
    } catch (e) { return fallback; }
  },
  set(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); S.storageError = null; return true; }
    catch (e) { S.storageError = String(e && e.name || e); return false; }
  },
};

// ---- scenes --------------------------------------------------------------------
async function loadScenes() {
  try {
    const list = await (await fetch('/api/scenes')).json();
    if (!Array.isArray(list)) throw new Error('not a list');
    scenes = list;
  } catch (e) { setState('error', 'cannot load scenes'); return; }
  const box = $('scenes'); box.innerHTML = '';
  for (const s of scenes) {
    const b = el('button', { type: 'button', className: 'scene-tile', 'data-scene': s.name,
      'aria-pressed': 'false', title: s.description || s.title },
    el('img', { src: iconUrl(s), alt: '', width: '40', height: '40' }),
    el('span', { textContent: s.title }));
    b.addEventListener('click', () => chooseScene(s.name));
    box.appendChild(b);
  }
  // a share link wins over the last mix; the old 'soundscape.scene' key still counts
  const shared = mixFromParams(params);
  const last = shared ? null : sanitizeMix(store.get(LAST_KEY, null));
  const legacy = store.get('soundscape.scene', null);
  S.restoredFrom = shared ? 'link' : last ? 'last' : 'none';
  let mix = shared || last || sanitizeMix({ scene: typeof legacy === 'string' ? legacy : null });
  if (!mix && scenes.length) mix = { scene: scenes[0].name, layers: {}, volume: null };
  if (shared) {   // the link did its job: later reloads restore the last mix instead
    const rest = new URLSearchParams(location.search);
    for (const k of MIX_PARAMS) rest.delete(k);
    const q = rest.toString();
    try { history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash); } catch (e) { /* sandboxed */ }
  }
  if (mix) applyMix(mix);
  loadFavourites();
}
function sceneByName(name) { return scenes.find((x) => x.name === name) || null; }
function currentScene() { return sceneByName(S.scene); }
function sceneTitle() {
  if (S.hello && S.hello.scene === S.scene && S.hello.title) return S.hello.title;
  const s = currentScene();
  return s ? s.title : 'soundscape';
}
function selectScene(name) {
  const s = sceneByName(name);
  S.scene = s ? s.name : null;
  for (const b of document.querySelectorAll('[data-scene]')) {
    b.setAttribute('aria-pressed', String(b.dataset.scene === S.scene));
  }
  $('now-title').textContent = s ? s.title : 'soundscape';
  $('art').src = iconUrl(s);
  $('description').textContent = s ? s.description : '';
  const tags = $('tags'); tags.innerHTML = '';
  for (const t of (s && s.tags) || []) {
    const li = document.createElement('li'); li.textContent = t; tags.appendChild(li);
  }
  if (s && !wanted) buildLayers(s.layers || []);    // preview the layers before playing
  updateMediaSession(); showSleep();
}
function chooseScene(name) {   // the listener picked a scene: its broadcast mix
  if (name === S.scene) return;
  settings.layers = {};
  selectScene(name); saveLast();
  if (ws && ws.readyState === WebSocket.OPEN) send({ type: 'switch', scene: S.scene });
  // a switch goes back to the broadcast mix: a running sleep timer is re-sent on hello
}

// ---- mixes: share links, last mix, favourites ---------------------------------------
function num(x) {   // a finite number from a number or a plain decimal string, else null
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'string' && x.length < 32 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(x.trim()) && Number.isFinite(Number(x))) return Number(x);
  return null;
}
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
/** A clean {scene, layers: {name: {gain_db, muted}}, volume|null} or null: unknown
 * scenes give null, unknown layers and bad values are dropped, gains and volume clamped. */
function sanitizeMix(raw) {
  if (!raw || typeof raw !== 'object') return null;
  const scene = typeof raw.scene === 'string' ? sceneByName(raw.scene) : null;
  if (!scene) return null;
  const names = new Set((scene.layers || []).map((l) => l.name));
  const layers = {};
  if (raw.layers && typeof raw.layers === 'object' && !Array.isArray(raw.layers)) {
    for (const [name, v] of Object.entries(raw.layers).slice(0, MAX_LAYERS)) {
      if (!names.has(name) || !v || typeof v !== 'object') continue;
      const g = num(v.gain_db), gain = g === null ? 0 : Math.round(clamp(g, GAIN_MIN, GAIN_MAX));
      const muted = v.muted === true;
      if (gain !== 0 || muted) layers[name] = { gain_db: gain, muted };
    }
  }
  const v = num(raw.volume);
  return { scene: scene.name, layers, volume: v === null ? null : Math.round(clamp(v, 0, 1) * 100) / 100 };
}
function decodeName(text) { try { return decodeURIComponent(text); } catch (e) { return null; } }
/** The mix a share link asks for (sanitised), or null when it names no known scene. */
function mixFromParams(p) {
  const get = (k) => { const v = p.get(k); return v !== null && v.length <= MAX_PARAM ? v : null; };
  const scene = get('scene');
  if (!scene) return null;
  const layers = {};
  for (const item of (get('gains') || '').split(',').slice(0, MAX_LAYERS)) {
    const at = item.lastIndexOf(':');
    const name = at > 0 ? decodeName(item.slice(0, at)) : null;
    if (name !== null) layers[name] = { gain_db: item.slice(at + 1), muted: false };
  }
  for (const item of (get('mute') || '').split(',').slice(0, MAX_LAYERS)) {
    const name = item ? decodeName(item) : null;
    if (name !== null) layers[name] = { ...(layers[name] || { gain_db: 0 }), muted: true };
  }
  return sanitizeMix({ scene, layers, volume: get('volume') });
}
function currentMix() {
  const layers = {};
  const known = new Set(shownLayers.map((l) => l.name));
  for (const [name, v] of Object.entries(settings.layers)) {
    if (known.has(name) && (v.gain_db || v.muted)) layers[name] = { gain_db: v.gain_db || 0, muted: !!v.muted };
  }
  return { scene: S.scene, layers, volume: Number($('volume').value) };
}
const enc = (t) => encodeURIComponent(t).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
/** scene=&gains=&mute=&volume= for a mix: layer names percent-encoded inside the lists. */
function mixQuery(mix) {
  const gains = Object.entries(mix.layers).filter(([, v]) => v.gain_db)
    .map(([n, v]) => `${encodeURIComponent(n)}:${v.gain_db}`);
  const mutes = Object.entries(mix.layers).filter(([, v]) => v.muted).map(([n]) => encodeURIComponent(n));
  let q = `scene=${encodeURIComponent(mix.scene)}`;
  if (gains.length) q += `&gains=${enc(gains.join(','))}`;
  if (mutes.length) q += `&mute=${enc(mutes.join(','))}`;
  if (mix.volume !== null && mix.volume !== undefined) q += `&volume=${mix.volume}`;
  return q;
}
function shareUrl() { return `${location.origin}${location.pathname}?${mixQuery(currentMix())}`; }
/** Play `mix` (sanitised): scene, layer settings and volume; while streaming only what
 * changed is sent (a scene switch re-sends everything on its hello). */
function applyMix(mix) {
  if (!mix) return;
  const before = settings.layers;
  settings.layers = {};
  for (const [name, v] of Object.entries(mix.layers)) settings.layers[name] = { ...v };
  if (mix.volume !== null && mix.volume !== undefined) setVolume(mix.volume);
  if (mix.scene !== S.scene) {
    selectScene(mix.scene);
    if (ws && ws.readyState === WebSocket.OPEN) send({ type: 'switch', scene: S.scene });
  } else {
    const zero = { gain_db: 0, muted: false };
    for (const name of new Set([...Object.keys(before), ...Object.keys(settings.layers)])) {
      const a = before[name] || zero, b = settings.layers[name] || zero;
      if ((a.gain_db || 0) !== (b.gain_db || 0)) send({ type: 'gain', layer: name, db: b.gain_db || 0 });
      if (!!a.muted !== !!b.muted) send({ type: 'mute', layer: name, muted: !!b.muted });
    }
    buildLayers(shownLayers);
    localGains();
  }
  saveLast();
}
let lastTimer = null;
function saveLast() {
  clearTimeout(lastTimer);
  lastTimer = setTimeout(() => { lastTimer = null; if (S.scene) store.set(LAST_KEY, currentMix()); }, 250);
}
window.addEventListener('pagehide', () => {   // leaving within the debounce: save now
  if (lastTimer !== null && S.scene) { clearTimeout(lastTimer); store.set(LAST_KEY, currentMix()); }
});
async function share() {
  const url = S.lastShare = shareUrl();
  $('share-box').hidden = false;
  $('share-url').value = url;
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(url); copied = true; }
  } catch (e) { /* no permission: the link is shown to copy by hand */ }
  S.shareCopied = copied;
  $('share-note').textContent = copied ? 'Link copied.' : 'Copy this link:';
  if (!copied) { $('share-url').focus(); $('share-url').select(); }
  return url;
}
$('share').addEventListener('click', () => share());

// favourites: [{id, name, scene, layers, volume}]; entries for scenes this server lacks
// are kept in storage but not listed
let favs = [];
function loadFavourites() {
  const raw = store.get(FAV_KEY, []);
  favs = [];
  for (const f of Array.isArray(raw) ? raw.slice(0, MAX_FAVS) : []) {
    if (!f || typeof f !== 'object' || typeof f.scene !== 'string' || f.scene.length > 200) continue;
    const layers = f.layers && typeof f.layers === 'object' && !Array.isArray(f.layers) ? f.layers : {};
    favs.push({ id: String(f.id || `f${favs.length}`).slice(0, 40), name: String(f.name || f.scene).slice(0, MAX_NAME),
      scene: f.scene, layers, volume: num(f.volume) });
  }
  showFavourites();
}
function saveFavourites() {
  if (!store.set(FAV_KEY, favs)) $('fav-empty').textContent = 'Favourites cannot be saved in this browser (storage full or off).';
}
function saveFavourite(name) {
  const mix = currentMix();
  if (!mix.scene) return null;
  const title = sceneTitle();
  const same = favs.filter((f) => f.scene === mix.scene).length;
  const fav = { id: `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    name: String(name || (same ? `${title} ${same + 1}` : title)).slice(0, MAX_NAME), ...mix };
  favs.unshift(fav);
  favs.length = Math.min(favs.length, MAX_FAVS);
  saveFavourites(); showFavourites();
  return fav.id;
}
function playFavourite(id) {
  const f = favs.find((x) => x.id === id);
  const mix = f && sanitizeMix(f);
  if (!mix) return false;
  applyMix(mix);
  if (!wanted) play();
  return true;
}
function removeFavourite(id) {
  favs = favs.filter((f) => f.id !== id);
  saveFavourites(); showFavourites();
}
function showFavourites() {
  const list = $('favs'); list.innerHTML = '';
  const shown = favs.filter((f) => sceneByName(f.scene));
  $('fav-empty').hidden = shown.length > 0;
  for (const f of shown) {
    const s = sceneByName(f.scene);
    const name = el('input', { type: 'text', value: f.name, maxlength: String(MAX_NAME),
      'aria-label': 'Favourite name', className: 'fav-name' });
    name.addEventListener('change', () => { f.name = name.value.slice(0, MAX_NAME) || s.title; saveFavourites(); });
    const playB = el('button', { type: 'button', className: 'fav-play', 'data-fav': f.id,
      'aria-label': `Play ${f.name}` }, el('img', { src: iconUrl(s), alt: '', width: '28', height: '28' }),
    el('span', { textContent: 'Play' }));
    playB.addEventListener('click', () => playFavourite(f.id));
    const del = el('button', { type: 'button', className: 'fav-remove', 'data-fav-remove': f.id,
      'aria-label': `Remove ${f.name}`, textContent: '✕' });
    del.addEventListener('click', () => removeFavourite(f.id));
    list.appendChild(el('li', {}, playB, name, del));
  }
}
$('fav-save').addEventListener('click', () => saveFavourite());

// ---- media session (lock screen, notification, media keys) ---------------------
const mediaSession = 'mediaSession' in navigator ? navigator.mediaSession : null;
function stepScene(by) {   // next/previous track: the neighbouring scene, still playing
  const i = scenes.findIndex((x) => x.name === S.scene);
  if (i >= 0 && scenes.length > 1) chooseScene(scenes[(i + by + scenes.length) % scenes.length].name);
}
if (mediaSession) {
  for (const [action, fn] of [['play', () => play()], ['pause', () => pause()],
    ['stop', () => pause()], ['nexttrack', () => stepScene(1)], ['previoustrack', () => stepScene(-1)]]) {
    try { mediaSession.setActionHandler(action, fn); S.mediaActions[action] = fn; } catch (e) { /* unsupported action */ }
  }
}
function updateMediaSession() {
  if (!mediaSession) return;
  const s = currentScene(), title = sceneTitle();
  const key = `${title}|${s && s.tags ? s.tags.join(',') : ''}`;
  if (updateMediaSession.key !== key && 'MediaMetadata' in window) {
    updateMediaSession.key = key;
    const meta = { title, artist: 'soundscape',
      album: s && s.tags && s.tags.length ? s.tags.join(' · ') : 'ambient sound' };
    const svg = { src: iconUrl(s), sizes: '512x512', type: 'image/svg+xml' };
    mediaSession.metadata = new MediaMetadata({ ...meta, artwork: [svg] });
    // PNGs too: not every lock screen or notification draws SVG
    iconPngs(s).then((pngs) => {
      if (updateMediaSession.key === key && pngs.length) mediaSession.metadata = new MediaMetadata({ ...meta, artwork: [...pngs, svg] });
    });
  }
  mediaSession.playbackState = wanted ? 'playing' : 'paused';
}

// ---- audio graph ---------------------------------------------------------------
// Output: through an <audio> element fed by a MediaStream where that is reliable
// (Chromium: the element is what gives a media notification, lock-screen controls and
// background playback on Android), otherwise straight to the AudioContext's
// destination. ?sink=element|direct overrides the choice.
function wantElementSink() {
  const forced = params.get('sink');
  if (forced) return forced === 'element';
  return 'userAgentData' in navigator && typeof MediaStreamAudioDestinationNode !== 'undefined';
}
async function startSink() {
  const el = document.createElement('audio');
  const dest = ctx.createMediaStreamDestination();
  master.connect(dest);
  el.srcObject = dest.stream;
  let timer = null;
  try {
    await Promise.race([el.play(), new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('audio element did not start')), 1500);
    })]);
    sinkEl = el; S.sink = 'element';
    // the OS (headset unplugged, another app) may pause the element: follow it
    el.addEventListener('pause', () => { if (wanted) pause(); });
  } catch (e) {
    el.pause(); el.srcObject = null; master.disconnect(dest);
  } finally { clearTimeout(timer); }
}
async function ensureAudio() {
  if (ctx) {
    if (ctx.state !== 'running') await ctx.resume();
    if (sinkEl && sinkEl.paused) await sinkEl.play().catch(() => {});
    return;
  }
  ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'playback' });
  ctx.addEventListener('statechange', () => {      // e.g. iOS interruptions
    if (wanted && ctx.state !== 'running' && ctx.state !== 'closed') ctx.resume().catch(() => {});
  });
  master = ctx.createGain();
  master.gain.value = Number($('volume').value);
  if (wantElementSink()) await startSink();
  if (!sinkEl) { master.connect(ctx.destination); S.sink = 'context'; }
  await ctx.audioWorklet.addModule('worklet.js');
  streamNode = player = new AudioWorkletNode(ctx, 'stream-player', {
    numberOfInputs: 0, outputChannelCount: [2],
    processorOptions: { targetSeconds: Number(params.get('jitter') || 0.25) },
  });
  player.connect(master);
  const node = player;
  player.port.onmessage = (e) => { if (node === player) onStats(e.data); };
  if (S.mixMode === 'stems') await makeStemsNode();
  if (ctx.state !== 'running') await ctx.resume();
}
async function makeStemsNode() {
  if (stemsNode) return;
  await ctx.audioWorklet.addModule('stems-worklet.js');
  stemsNode = new AudioWorkletNode(ctx, 'stems-mixer', {
    numberOfInputs: 0, outputChannelCount: [2],
    processorOptions: { targetSeconds: Number(params.get('jitter') || 0.25), ceilingDb: -1 },
  });
  stemsNode.connect(master);
  stemsNode.port.onmessage = (e) => { if (player === stemsNode) onStats(e.data); };
  player = stemsNode;
  localGains();
}
function canStems() { return typeof AudioWorkletNode !== 'undefined'; }
/** Mix on this device from now on: reconnect to /stems/ (the server had no personal
 * mix for us, or ?mix=stems). Gains, volume and a sleep timer carry over. */
async function useStems() {
  S.mixMode = 'stems'; settings.sleepLocal = true;
  $('mode').textContent = 'mixed on this device';
  if (!ctx) return;
  await makeStemsNode();
  streamNode.port.postMessage({ type: 'end' });   // play out what it holds meanwhile
  if (ws) { const old = ws; ws = null; old.close(1000, 'mixing stems here'); }
  if (decoder) { try { decoder.close(); } catch (err) { /* closed */ } decoder = null; }
  if (wanted) connect();
}
function onStats(m) {
  if (m.energy !== undefined) {
    S.stems = { energy: m.energy, frames: m.frames, stemEnergy: m.stemEnergy, peakAllDb: m.peakAllDb,
      limited: m.limited, names: m.stems };
  }
  S.underruns = m.underruns; S.played = m.played; S.fill = m.fill;
  const gain = master ? master.gain.value : 1;
  const gainDb = gain > 0 ? 20 * Math.log10(gain) : -Infinity;
  S.levelDb = m.rmsDb + gainDb;
  S.peakDb = m.peakDb + gainDb;
  // peak hold: keep the highest peak for PEAK_HOLD_MS, then let it fall
  const now = performance.now();
  let held = holdPeak.db - Math.max(0, now - holdPeak.at - PEAK_HOLD_MS) * PEAK_FALL_DB_PER_S / 1000;
  if (!(held > S.peakDb)) { holdPeak.db = held = S.peakDb; holdPeak.at = now; }
  S.peakHoldDb = held;
  if (S.state === 'buffering' && m.state === 'playing') {
    if (playStartedAt !== null) { S.firstAudioMs = Math.round(performance.now() - playStartedAt); playStartedAt = null; }
    setState('playing');
  }
  if (!document.hidden) drawMeter(m);
}
const holdPeak = { db: -Infinity, at: 0 };
function meterPct(db) {
  const pct = (db - METER_FLOOR_DB) / -METER_FLOOR_DB * 100;
  return Number.isFinite(pct) ? Math.max(0, Math.min(100, pct)) : 0;
}
const fmtDb = (db) => (Number.isFinite(db) && db > -120 ? db.toFixed(1) : '-∞');
function drawMeter(m) {
  $('meter-bar').style.width = meterPct(S.levelDb) + '%';
  const peak = $('meter-peak');
  const show = Number.isFinite(S.peakHoldDb) && S.peakHoldDb > METER_FLOOR_DB;
  peak.style.opacity = show ? '1' : '0';
  peak.style.left = `calc(${meterPct(S.peakHoldDb)}% - 2px)`;
  $('level').textContent = `${fmtDb(S.levelDb)} dB · pk ${fmtDb(S.peakHoldDb)}`;
  if (m) {
    $('stats').textContent = `${S.codec || ''} · buffer ${(m.fill * 1000).toFixed(0)} ms · `
      + `underruns ${m.underruns} · gaps ${S.gaps} · played ${m.played.toFixed(0)} s`;
  }
}
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return;
  drawMeter(null); showSleep();
  if (wanted && ctx && ctx.state !== 'running') ctx.resume().catch(() => {});
});
function onVolume() {
  const v = Number($('volume').value);
  $('volume').setAttribute('aria-valuetext', `${Math.round(v * 100)} %`);
  if (!master) return;
  if (settings.sleepLocal && settings.sleepEndsAt !== null) localSleep();  // re-plan the fade
  else master.gain.setTargetAtTime(v, ctx.currentTime, 0.05);
}
function setVolume(v) { $('volume').value = String(v); onVolume(); }
$('volume').addEventListener('input', () => { onVolume(); saveLast(); });

// ---- decoding ------------------------------------------------------------------
async function pickCodec() {
  const forced = params.get('codec');
  if (forced) return forced;
  if (window.isSecureContext && 'AudioDecoder' in window) {
    try {
      const r = await AudioDecoder.isConfigSupported(
        { codec: 'opus', sampleRate: 48000, numberOfChannels: 2 });
      if (r.supported) return 'opus';
    } catch (e) { /* fall through */ }
  }
  return 'pcm16';
}
function makeDecoder() {
  if (S.codec !== 'opus') return null;
  const d = new AudioDecoder({
    output: (data) => {
      const ch = [];
      for (let c = 0; c < data.numberOfChannels; c++) {
        const a = new Float32Array(data.numberOfFrames);
        data.copyTo(a, { planeIndex: c, format: 'f32-planar' });
        ch.push(a);
      }
      data.close();
      player.port.postMessage({ type: 'audio', channels: ch }, ch.map((a) => a.buffer));
    },
    error: (e) => { S.errors.push(String(e)); if (ws) ws.close(4000, 'decoder error'); },
  });
  d.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 2 });
  return d;
}
function closeStemDecoders() {
  for (const d of stemDecoders.values()) { try { d.close(); } catch (err) { /* closed */ } }
  stemDecoders.clear();
}
function stemDecoder(name) {   // opus: one decoder per stem, its output placed by frame
  let d = stemDecoders.get(name);
  if (d) return d;
  d = new AudioDecoder({
    output: (data) => {
      const ch = [];
      for (let c = 0; c < data.numberOfChannels; c++) {
        const a = new Float32Array(data.numberOfFrames);
        data.copyTo(a, { planeIndex: c, format: 'f32-planar' });
        ch.push(a);
      }
      const pos = Math.round(data.timestamp * 48000 / 1e6);
      data.close();
      if (stemsNode) stemsNode.port.postMessage({ type: 'audio', stem: name, pos, channels: ch }, ch.map((a) => a.buffer));
    },
    error: (e) => { S.errors.push(String(e)); if (ws) ws.close(4000, 'decoder error'); },
  });
  d.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 2 });
  stemDecoders.set(name, d);
  return d;
}
// one message: every stem's frames of one block (docs/protocol.md, "Stems")
function onStemsAudio(buf) {
  const v = new DataView(buf);
  const count = v.getUint8(1), nstems = v.getUint16(2), seq = v.getUint32(4);
  const position = Number(v.getBigUint64(8));
  if (lastSeq >= 0 && seq !== lastSeq + 1) S.gaps++;
  lastSeq = seq;
  if (pendingLayout) {
    stemNames = pendingLayout; pendingLayout = null;
    stemsNode.port.postMessage({ type: 'layout', names: stemNames, from: position });
    for (const name of [...stemDecoders.keys()]) {
      if (!stemNames.includes(name)) { try { stemDecoders.get(name).close(); } catch (e) { /* closed */ } stemDecoders.delete(name); }
    }
    localGains();
  }
  let at = HEADER_BYTES;
  const fs = S.hello.frame_size;
  for (let k = 0; k < nstems && k < stemNames.length; k++) {
    const name = stemNames[k];
    for (let i = 0; i < count; i++) {
      const len = v.getUint16(at); at += 2;
      const pos = position + i * fs;
      if (S.codec === 'opus') {
        stemDecoder(name).decode(new EncodedAudioChunk({
          type: 'key', timestamp: Math.round(pos * 1e6 / 48000), data: new Uint8Array(buf, at, len),
        }));
      } else {
        const pcm = new Int16Array(buf.slice(at, at + len));
        const n = pcm.length / 2, l = new Float32Array(n), r = new Float32Array(n);
        for (let j = 0; j < n; j++) { l[j] = pcm[2 * j] / 32767; r[j] = pcm[2 * j + 1] / 32767; }
        stemsNode.port.postMessage({ type: 'audio', stem: name, pos, channels: [l, r] }, [l.buffer, r.buffer]);
      }
      at += len;
    }
  }
  if (goodSince && performance.now() - goodSince > 5000) attempt = 0;
}
function onAudio(buf) {
  if (S.mixMode === 'stems') { onStemsAudio(buf); return; }
  const v = new DataView(buf);
  const count = v.getUint8(1), seq = v.getUint32(4);
  const position = Number(v.getBigUint64(8));
  if (lastSeq >= 0 && seq !== lastSeq + 1) S.gaps++;
  lastSeq = seq;
  let at = HEADER_BYTES;
  const fs = S.hello.frame_size;
  for (let i = 0; i < count; i++) {
    const len = v.getUint16(at); at += 2;
    if (S.codec === 'opus') {
      decoder.decode(new EncodedAudioChunk({
        type: 'key', timestamp: Math.round((position + i * fs) * 1e6 / 48000),
        data: new Uint8Array(buf, at, len),
      }));
    } else {
      const pcm = new Int16Array(buf.slice(at, at + len));
      const n = pcm.length / 2, l = new Float32Array(n), r = new Float32Array(n);
      for (let k = 0; k < n; k++) { l[k] = pcm[2 * k] / 32767; r[k] = pcm[2 * k + 1] / 32767; }
      player.port.postMessage({ type: 'audio', channels: [l, r] }, [l.buffer, r.buffer]);
    }
    at += len;
  }
  if (goodSince && performance.now() - goodSince > 5000) attempt = 0;
}

// ---- connection ----------------------------------------------------------------
function send(msg) {
  if (S.mixMode === 'auto' && (msg.type === 'gain' || msg.type === 'mute')) {
    if (canStems()) { useStems(); return; }   // a mix of one's own: mixed here, for free
    S.mixMode = 'server';
  }
  if (S.mixMode === 'stems' && MIX_TYPES.has(msg.type)) return;   // mixed here, not there
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function connect() {
  clearTimeout(retryTimer);
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  // ?token= from the page URL: a server bound beyond loopback wants it for mix changes
  const token = params.get('token');
  const path = S.mixMode === 'stems' ? 'stems' : 'stream';
  const url = `${proto}://${location.host}/${path}/${encodeURIComponent(S.scene)}?codec=${S.codec}` +
    (token ? `&token=${encodeURIComponent(token)}` : '');
  setState('connecting');
  lastSeq = -1;
  const sock = ws = new WebSocket(url);
  sock.binaryType = 'arraybuffer';
  sock.onmessage = (e) => {
    if (sock !== ws) return;
    if (typeof e.data === 'string') onJson(JSON.parse(e.data)); else onAudio(e.data);
  };
  sock.onclose = (e) => {
    if (sock !== ws) return;
    ws = null;
    if (decoder) { try { decoder.close(); } catch (err) { /* closed */ } decoder = null; }
    closeStemDecoders();
    if (e.code === 4002) { fallAsleep(); return; }
    if (!wanted) return;
    const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] * (0.75 + Math.random() / 2);
    attempt++; S.reconnects++;
    setState('reconnecting', `reconnecting in ${(delay / 1000).toFixed(1)} s`);
    retryTimer = setTimeout(connect, delay);
  };
}
function onJson(m) {
  if (m.type === 'hello') {
    S.hello = m; lastSeq = -1;
    if (m.mode !== 'stems') decoder = decoder || makeDecoder();
    else {   // a (re)connection starts the stems over: layout first, then audio
      $('mode').textContent = 'mixed on this device';
      stemNames = []; pendingLayout = null;
      player.port.postMessage({ type: 'stop' });
    }
    goodSince = performance.now();
    buildLayers(m.layers);
    setState('buffering');
    player.port.postMessage({ type: 'start' });
    reapply();
  } else if (m.type === 'mix') {
    S.mix = m;
    $('mode').textContent = m.mode === 'personal' ? 'personal mix' : 'broadcast mix';
  } else if (m.type === 'scene_updated') {
    buildLayers(m.layers);
  } else if (m.type === 'stems') {   // the stems of the next audio message on
    pendingLayout = Array.isArray(m.stems) ? m.stems.map(String) : [];
    if (Array.isArray(m.layers) && JSON.stringify(m.layers) !== JSON.stringify(shownLayers)) buildLayers(m.layers);
  } else if (m.type === 'sleep' && m.state === 'done') {
    settings.sleepEndsAt = null; showSleep();
    player.port.postMessage({ type: 'end' });
  } else if (m.type === 'error') {
    S.errors.push(m);
    if (m.code === 'personal_limit' && canStems() && S.mixMode !== 'stems') { useStems(); return; }
    if (m.code === 'personal_limit' && settings.sleepEndsAt !== null) localSleep();
    $('stats').textContent = `server: ${m.message}`;
  }
}
function reapply() {
  if (S.mixMode === 'stems') {   // everything is local: gains to the worklet, sleep here
    localGains();
    if (settings.sleepEndsAt !== null) {
      if (sleepLeft() < 1) { fallAsleep(); return; }
      localSleep();
    }
    return;
  }
  for (const [name, s] of Object.entries(settings.layers)) {
    if (s.gain_db) send({ type: 'gain', layer: name, db: s.gain_db });
    if (s.muted) send({ type: 'mute', layer: name, muted: true });
  }
  if (settings.sleepEndsAt !== null) {
    const left = sleepLeft();
    if (left < 1) { fallAsleep(); return; }        // it ran out while we were away
    send({ type: 'sleep', after: left, fade: Math.min(settings.sleepFade, left) });
  }
}
setInterval(() => send({ type: 'stats', underruns: S.underruns }), 5000);

async function play() {
  if (!S.scene) return;
  if (!wanted) playStartedAt = performance.now();   // time to first audio (S.firstAudioMs)
  wanted = true; attempt = 0; setPlayButton();
  await ensureAudio();
  S.codec = S.codec || await pickCodec();
  if (master && !(settings.sleepLocal && settings.sleepEndsAt !== null)) {
    master.gain.cancelScheduledValues(ctx.currentTime);
    master.gain.setTargetAtTime(Number($('volume').value), ctx.currentTime, 0.02);
  }
  if (!wanted) return;                     // paused while starting
  if (ws && ws.readyState <= WebSocket.OPEN) return;   // already connecting or connected
  ws = null;                               // a closing socket: its onclose is ignored
  connect();
}
function pause() {
  wanted = false; clearTimeout(retryTimer); setPlayButton();
  if (ws) ws.close(1000, 'paused');
  if (player) player.port.postMessage({ type: 'stop' });
  if (sinkEl && !sinkEl.paused) sinkEl.pause();
  setState('idle', 'paused');
}
function setPlayButton() {
  $('play').textContent = wanted ? 'Pause' : 'Play';
  $('play').setAttribute('aria-pressed', String(wanted));
  $('play').setAttribute('aria-label', wanted ? 'Pause' : 'Play');
  updateMediaSession();
}
$('play').addEventListener('click', () => (wanted ? pause() : play()));

// ---- layers --------------------------------------------------------------------
const KIND_HINT = { bed: 'continuous texture', event: 'random one-shot sounds' };
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className' || k === 'textContent') e[k] = v; else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}
function buildLayers(layers) {
  shownLayers = Array.isArray(layers) ? layers : [];
  const box = $('layers'); box.innerHTML = '';
  for (const layer of layers) {
    const s = settings.layers[layer.name] || { gain_db: 0, muted: false };
    const kind = layer.kind || '';
    const id = `g-${layer.name}`;
    const slider = el('input', {
      id, 'data-layer': layer.name, type: 'range', min: '-40', max: '12', step: '1',
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
    let timer = null;
    slider.addEventListener('input', () => {
      db.textContent = `${slider.value} dB`;
      slider.setAttribute('aria-valuetext', `${slider.value} dB`);
      // the mix (share, save, download) has the new value at once; the server gets it
      // when the slider rests for 80 ms
      const value = Number(slider.value);
      settings.layers[layer.name] = { gain_db: 0, muted: false, ...settings.layers[layer.name], gain_db: value };
      saveLast();
      localGains();   // stems: at once, on this device
      clearTimeout(timer);
      timer = setTimeout(() => send({ type: 'gain', layer: layer.name, db: value }), 80);
    });
    mute.addEventListener('change', () => setLayer(layer.name, { muted: mute.checked }));
    box.appendChild(row);
  }
}
function setLayer(name, change) {
  const s = settings.layers[name] = { gain_db: 0, muted: false, ...settings.layers[name], ...change };
  if ('gain_db' in change) send({ type: 'gain', layer: name, db: s.gain_db });
  if ('muted' in change) send({ type: 'mute', layer: name, muted: s.muted });
  localGains();
  saveLast();
}
/** Stems: every layer's linear gain (mute: 0) to the mixing worklet; glides there. */
function localGains() {
  if (!stemsNode) return;
  const gains = {};
  for (const l of shownLayers) {
    const s = settings.layers[l.name] || { gain_db: 0, muted: false };
    gains[l.name] = s.muted ? 0 : Math.pow(10, (s.gain_db || 0) / 20);
  }
  stemsNode.port.postMessage({ type: 'gains', gains });
}

// ---- download: the current mix rendered to a file by the server -----------------------
// GET /api/download?<mix>&duration=&format= starts a render (202, a status object);
// GET /api/download/status?id= is polled for progress; the finished file comes from
// GET /api/download/file?id=. A server without the routes answers 404 not_found.
let dlJob = null, dlTimer = null;
function showDownload(state, text, progress) {
  S.download = { ...S.download, state, text };
  $('dl-status').textContent = text || '';
  const bar = $('dl-progress');
  bar.hidden = progress === undefined || progress === null;
  if (!bar.hidden) bar.value = progress;
  const busy = state === 'starting' || state === 'rendering';
  $('dl-start').disabled = busy; $('dl-cancel').hidden = !busy;
  if (state !== 'done') $('dl-link').hidden = true;
}
function tokenQuery() { const t = params.get('token'); return t ? `&token=${encodeURIComponent(t)}` : ''; }
async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  let body = {};
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  return { status: r.status, ok: r.ok, body: body && typeof body === 'object' ? body : {} };
}
async function startDownload() {
  if (!S.scene || dlJob) return;
  const seconds = Number($('dl-duration').value), format = $('dl-format').value;
  showDownload('starting', 'Starting…', 0);
  let r;
  try {
    r = await getJson(`/api/download?${mixQuery(currentMix())}&duration=${seconds}&format=${encodeURIComponent(format)}${tokenQuery()}`);
  } catch (e) { showDownload('error', 'Cannot reach the server.'); return; }
  if (r.status === 404 && r.body.code === 'not_found') {
    showDownload('unavailable', 'This server does not offer downloads.'); return;
  }
  if (!r.ok || typeof r.body.id !== 'string') {
    showDownload('error', String(r.body.message || `Download refused (HTTP ${r.status}).`).slice(0, 300)); return;
  }
  dlJob = r.body.id;
  onDownloadStatus(r.body);
}
function onDownloadStatus(st) {
  S.download = { ...S.download, id: st.id, progress: st.progress };
  if (st.state === 'rendering') {
    const pct = Math.floor((Number(st.progress) || 0) * 100);
    showDownload('rendering', `Rendering ${st.filename || ''}: ${pct} %`, Number(st.progress) || 0);
    clearTimeout(dlTimer);
    dlTimer = setTimeout(pollDownload, DL_POLL_MS);
    return;
  }
  dlJob = null;
  if (st.state === 'done') {
    const mb = st.bytes ? ` (${(st.bytes / 1e6).toFixed(1)} MB)` : '';
    showDownload('done', `Ready: ${st.filename}${mb}`, 1);
    const a = $('dl-link');
    a.href = `/api/download/file?id=${encodeURIComponent(st.id)}${tokenQuery()}`;
    a.download = st.filename || '';
    a.textContent = `Save ${st.filename}`;
    a.hidden = false;
    a.click();   // start the download; the link stays for another try
  } else {
    showDownload(st.state === 'cancelled' ? 'cancelled' : 'error',
      st.state === 'cancelled' ? 'Cancelled.' : `Failed: ${String(st.error || 'unknown error').slice(0, 300)}`);
  }
}
async function pollDownload() {
  if (!dlJob) return;
  try {
    const r = await getJson(`/api/download/status?id=${encodeURIComponent(dlJob)}${tokenQuery()}`);
    if (r.ok) { onDownloadStatus(r.body); return; }
    dlJob = null; showDownload('error', String(r.body.message || `HTTP ${r.status}`).slice(0, 300));
  } catch (e) {   // the server restarts: try again a little later
    dlTimer = setTimeout(pollDownload, DL_POLL_MS * 4);
  }
}
async function cancelDownload() {
  const id = dlJob;
  if (!id) return;
  clearTimeout(dlTimer); dlJob = null;
  try { await getJson(`/api/download/cancel?id=${encodeURIComponent(id)}${tokenQuery()}`); } catch (e) { /* gone */ }
  showDownload('cancelled', 'Cancelled.');
}
function fitDownloadChoices() {   // FLAC of noise is big: the server caps it at 1 h
  const flac = $('dl-format').value === 'flac';
  for (const o of $('dl-duration').options) o.disabled = flac && Number(o.value) > 3600;
  if ($('dl-duration').selectedOptions[0].disabled) $('dl-duration').value = '3600';
}
$('dl-format').addEventListener('change', fitDownloadChoices);
$('dl-start').addEventListener('click', () => startDownload());
$('dl-cancel').addEventListener('click', () => cancelDownload());

// ---- sleep timer ---------------------------------------------------------------
// The server fades the personal mix (`sleep` message, docs/protocol.md); when no
// personal mix is available (personal_limit) the fade runs here on the master gain.
function sleepLeft() {
  return settings.sleepEndsAt === null ? null : Math.max(0, (settings.sleepEndsAt - Date.now()) / 1000);
}
function fadeFor(after) { return Math.min(after, Math.max(MIN_FADE_S, after / 10)); }
function sleepPhase(left = sleepLeft()) {
  if (left === null) return 'off';
  return left <= settings.sleepFade ? 'fading' : 'running';   // sent fade = min(fade, after)
}
function startSleep(after, fade) {
  after = Number(after);
  if (!(after >= 0)) return;
  const wasFading = sleepPhase() === 'fading';
  settings.sleepEndsAt = Date.now() + after * 1000;
  settings.sleepFade = fade === undefined || fade === null ? MIN_FADE_S : Math.max(0, Number(fade));
  const sent = Math.min(settings.sleepFade, after);
  // the server keeps a fade's lowered volume when the end moves later: cancel first
  // (volume glides back), then set the new timer
  if (wasFading && after > sent) send({ type: 'sleep', after: null });
  send({ type: 'sleep', after, fade: sent });
  if (settings.sleepLocal) localSleep();
  showSleep();
}
function adjustSleep(seconds) {
  const left = sleepLeft();
  if (left === null) return;
  // never below a minute by "-5 min" (and never later than it was); the fade stays >= 60 s
  const next = Math.max(Math.min(left, MIN_FADE_S), left + Number(seconds));
  startSleep(next, Math.max(MIN_FADE_S, settings.sleepFade));
}
function cancelSleep() {
  const wasOn = settings.sleepEndsAt !== null;
  settings.sleepEndsAt = null;
  if (wasOn) send({ type: 'sleep', after: null });
  clearLocalSleep();
  showSleep();
}
function fallAsleep() {
  settings.sleepEndsAt = null; clearTimeout(localTimer); localTimer = null;
  const wasWanted = wanted;
  if (wasWanted) pause();
  setState('sleeping', 'asleep'); showSleep();
}
let localTimer = null;
function localSleep() {   // no personal mix available: fade on this device instead
  settings.sleepLocal = true;
  if (!ctx || !master || settings.sleepEndsAt === null) return;
  clearTimeout(localTimer);
  const left = sleepLeft(), fade = Math.min(settings.sleepFade, left);
  const g = master.gain, t = ctx.currentTime, v = Number($('volume').value);
  const start = t + left - fade;
  g.cancelScheduledValues(t);
  g.setValueAtTime(g.value, t);
  if (start > t) { g.linearRampToValueAtTime(v, Math.min(start, t + 0.3)); g.setValueAtTime(v, start); }
  g.linearRampToValueAtTime(0, t + left);
  localTimer = setTimeout(() => { if (settings.sleepEndsAt !== null) fallAsleep(); }, left * 1000 + 200);
}
function clearLocalSleep() {
  clearTimeout(localTimer); localTimer = null;
  if (!settings.sleepLocal || !master) return;
  const g = master.gain, t = ctx.currentTime;
  g.cancelScheduledValues(t); g.setValueAtTime(g.value, t);
  g.setTargetAtTime(Number($('volume').value), t, 0.1);
}
function fmtTime(s) {
  s = Math.ceil(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
function showSleep() {
  const left = sleepLeft(), phase = sleepPhase(left);
  S.sleepPhase = phase;
  $('sleep-cancel').disabled = phase === 'off';
  $('sleep-more').disabled = phase === 'off';
  $('sleep-less').disabled = phase === 'off' || left <= MIN_FADE_S;
  const out = $('sleep-left');
  out.dataset.phase = phase;
  out.textContent = phase === 'off' ? 'off'
    : phase === 'fading' ? `fading out · ${fmtTime(left)}` : `${fmtTime(left)} left`;
  const title = sceneTitle();
  document.title = phase === 'off' ? `${title} · soundscape` : `${fmtTime(left)} · ${title}`;
}
for (const b of document.querySelectorAll('[data-sleep]')) {
  b.addEventListener('click', () => { const after = Number(b.dataset.sleep) * 60; startSleep(after, fadeFor(after)); });
}
$('sleep-start').addEventListener('click', () => {
  const minutes = Number($('sleep-custom').value);
  if (!(minutes > 0)) { $('sleep-custom').focus(); return; }
  const after = Math.min(1440, minutes) * 60;
  startSleep(after, fadeFor(after));
});
$('sleep-custom').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('sleep-start').click(); });
$('sleep-less').addEventListener('click', () => adjustSleep(-SLEEP_STEP_S));
$('sleep-more').addEventListener('click', () => adjustSleep(SLEEP_STEP_S));
$('sleep-cancel').addEventListener('click', () => cancelSleep());
setInterval(showSleep, 1000);   // a timer, not rAF: keeps counting in a hidden tab

showSleep();
loadScenes();
