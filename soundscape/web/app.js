// soundscape web player: websocket stream -> WebCodecs Opus (or raw PCM) -> AudioWorklet.
// Protocol: docs/protocol.md. Test hooks live on window.soundscape, a thin facade over
// the page's one state object.
//
// The page is five modules around the state object made here:
//   wire.js       the binary audio messages (one reader, version checked)
//   transport.js  the websocket and its reconnect/backoff machine
//   playback.js   the audio graph, decoders and worklets (broadcast and stems)
//   mix.js        sanitised mixes, share links, storage, favourites
//   ui.js         the DOM (sound-icons.js: the sounds' names and icons)
// plus download.js (a mix rendered to a file), sleep.js (the sleep timer) and alarm.js
// (the wake-up alarm). This file decides: it handles the
// server's messages and the listener's actions, writes the state, and asks the
// modules to draw, send and play.
//
// Everything that keeps audio going runs on the audio clock (worklet), on websocket
// events or on plain timers: nothing depends on requestAnimationFrame, so playback
// and the sleep timer carry on in a hidden tab or with the screen off. Only the
// level meter's drawing is skipped while the page is hidden.
//
// Stems: the player plays the broadcast mix until a layer's gain or mute is changed;
// then (mode 'auto', the default) it takes /stems/<scene>, one stream per layer, and
// mixes them itself in stems-worklet.js: layer gains apply here at once and cost the
// server nothing; volume and the sleep fade are the master GainNode, as for a local
// sleep timer. ?mix=server asks the server for a personal mix instead (as does a
// browser without AudioWorklet); ?mix=stems takes the stems from the start. Where the
// server has no personal mix left for a ?mix=server player, it falls back to stems too.
import { SeqCounter } from './wire.js';
import { Transport } from './transport.js';
import { Playback, pickCodec } from './playback.js';
import * as mix from './mix.js';
import * as ui from './ui.js';
import { Download } from './download.js';
import { SleepTimer, MIN_FADE_S, fadeFor } from './sleep.js';
import { registerApp } from './pwa.js';
import { offlinePanel } from './offline.js';
import { MediaPath, takePlayButton } from './media.js';
import { Alarm, systemClock } from './alarm.js';

const params = new URLSearchParams(location.search);
const SLEEP_STEP_S = 300;         // the -5 min / +5 min buttons
const PEAK_HOLD_MS = 1500, PEAK_FALL_DB_PER_S = 20;
const MIX_TYPES = new Set(['gain', 'mute', 'volume', 'sleep']);   // the server's mix controls
const GAIN_SEND_MS = 80;          // a layer slider's value goes to the server once it rests
const STATS_MS = 5000;            // how often the server hears our underrun count
const SLOW_CONNECT_MS = 4000;     // "Connecting…" this long with no word: say we still wait
const ALARM_KEY = 'soundscape.alarm';   // a set alarm, so that a reload keeps it

/** The page's state: written here (and stats by playback), read by every module. */
const mixMode = ['stems', 'server'].includes(params.get('mix')) ? params.get('mix') : 'auto';
const state = {
  status: 'idle', wanted: false,
  scenes: [], scene: null, hello: null, mix: null,
  shownLayers: [],                // the layer list the sliders show (scene preview or hello)
  layers: {},                     // name -> {gain_db, muted}: the listener's layer settings
  volume: ui.volume(),
  codec: null, mixMode, sink: null, seq: new SeqCounter(),
  underruns: 0, played: 0, fill: 0, stems: null, errors: [],
  levelDb: -Infinity, peakDb: -Infinity, peakHoldDb: -Infinity, peakHeldAt: 0,
  playStartedAt: null, firstAudioMs: null,
  heard: false,                   // a message came since play was pressed (else a drop is a first try)
  restarting: false,              // a new connection asked for here (stems), not a drop
  preparing: null,                // the last `preparing` message while waiting for the audio
  // the sleep timer (sleep.js), re-applied on reconnect
  sleep: { endsAt: null, fade: MIN_FADE_S, local: mixMode === 'stems', timer: null },
  sleepPhase: 'off',
  favourites: [], restoredFrom: null, storageError: null, lastShare: null, shareCopied: null,
  download: { state: 'idle' }, mediaActions: {},
};

const store = mix.makeStore((error) => { state.storageError = error; });
const playback = new Playback(state, {
  jitter: Number(params.get('jitter') || 0.25), sink: params.get('sink'), volume: () => currentGain(),
  onStats, onLayout: localGains, onSinkPaused: () => { if (state.wanted) pause(); },
  onDecoderError: (text) => { state.errors.push(text); transport.drop(4000, 'decoder error'); },
  onWireError: unreadable,
});
const transport = new Transport({
  url: streamUrl,
  onText: onServerMessage,
  onBinary: (buf) => { playback.audio(buf); transport.flowing(); },
  onStatus: (status, detail) => {
    if (status === 'connecting') { state.seq.reset(); connecting(); }
    else if (status === 'waiting') setStatus('reconnecting', 'Reconnecting…', `next try in ${(detail / 1000).toFixed(1)} s`);
  },
  onClose: (e) => {
    playback.closeDecoders();
    if (e.code === 4002) { fallAsleep(); return false; }   // the server's sleep timer ended it
    return state.wanted;
  },
});
const download = new Download(state, params.get('token'));
const sleep = new SleepTimer(state, {
  send, playback, fallAsleep, show: (left, phase, canShorten) => ui.showSleep(left, phase, canShorten, sceneTitle()),
});
const showSleep = () => sleep.show();

/** status: the state's code (tests wait on it); text: plain words for the listener
 * (default: the status's own); detail: for the Advanced panel. */
function setStatus(status, text, detail) {
  state.status = status;
  ui.showState(status, text, detail);
  updateMediaSession();
}
/** A connection is being made: the first since play was pressed, or after a drop. */
let slowTimer = null;
function connecting() {
  clearTimeout(slowTimer);
  if (state.restarting) { state.restarting = false; setStatus('buffering'); return; }
  if (state.heard) { setStatus('reconnecting', 'Reconnecting…'); return; }
  setStatus('connecting', 'Connecting…');
  slowTimer = setTimeout(() => {
    if (state.status === 'connecting') setStatus('connecting', 'Connecting… still waiting for the server');
  }, SLOW_CONNECT_MS);
}
function streamUrl() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  // ?token= from the page URL: a server bound beyond loopback wants it for mix changes
  const token = params.get('token');
  const path = state.mixMode === 'stems' ? 'stems' : 'stream';
  return `${proto}://${location.host}/${path}/${encodeURIComponent(state.scene)}?codec=${state.codec}` +
    (token ? `&token=${encodeURIComponent(token)}` : '');
}
/** Audio this page cannot read (another protocol version): say so and stop, since
 * reconnecting would only bring more of it. */
function unreadable(error) {
  state.errors.push({ code: error.code, message: error.message });
  state.wanted = false; ui.showPlaying(false);
  transport.stop(1000, 'unreadable audio');
  playback.stop(); playback.closeDecoders();
  setStatus('error', error.message);   // plain words already (wire.js), ending in what to do
  ui.showStats(error.message);
}

// ---- scenes --------------------------------------------------------------------
async function loadScenes() {
  try {
    const list = await (await fetch('/api/scenes')).json();
    if (!Array.isArray(list)) throw new Error('not a list');
    state.scenes = list;
  } catch (e) { setStatus('error', 'Cannot reach the server: the scenes did not load.', String(e)); return; }
  ui.showScenes(state.scenes, chooseScene);
  const opening = mix.openingMix(params, store, state.scenes);
  state.restoredFrom = opening.from;
  if (opening.from === 'link') {   // the link did its job: later reloads restore the last mix
    const rest = new URLSearchParams(location.search);
    for (const k of mix.MIX_PARAMS) rest.delete(k);
    const q = rest.toString();
    try { history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash); } catch (e) { /* sandboxed */ }
  }
  if (opening.mix) applyMix(opening.mix);
  state.favourites = mix.loadFavourites(store);
  showFavourites();
  const kept = store.get(ALARM_KEY, null);   // an alarm set before a reload (checked by set)
  if (kept && typeof kept === 'object' && typeof kept.target === 'string') alarm.set(kept);
}
const showAlarmChoices = () => ui.showAlarmChoices(state.scenes, state.favourites, state.scene);
const currentScene = () => mix.sceneByName(state.scenes, state.scene);
function sceneTitle() {
  if (state.hello && state.hello.scene === state.scene && state.hello.title) return state.hello.title;
  const s = currentScene();
  return s ? s.title : 'soundscape';
}
function selectScene(name) {
  const s = mix.sceneByName(state.scenes, name);
  state.scene = s ? s.name : null;
  ui.showScene(s);
  if (s && !state.wanted) showLayers(s.layers || []);    // preview the layers before playing
  updateMediaSession(); showSleep();
}
function chooseScene(name) {   // the listener picked a scene: its broadcast mix
  if (name === state.scene) return;
  state.layers = {};
  selectScene(name); saveLast();
  send({ type: 'switch', scene: state.scene });
  // a switch goes back to the broadcast mix: a running sleep timer is re-sent on hello
}

// ---- mixes: share links, last mix, favourites ---------------------------------------
const currentMix = () => mix.currentMix(state);
const shareUrl = () => `${location.origin}${location.pathname}?${mix.mixQuery(currentMix())}`;
/** Play `m` (sanitised): scene, layer settings and volume; while streaming only what
 * changed is sent (a scene switch re-sends everything on its hello). */
function applyMix(m) {
  if (!m) return;
  const before = state.layers;
  state.layers = {};
  for (const [name, v] of Object.entries(m.layers)) state.layers[name] = { ...v };
  if (m.volume !== null && m.volume !== undefined) { ui.showVolume(m.volume); setVolume(m.volume); }
  if (m.scene !== state.scene) {
    selectScene(m.scene);
    send({ type: 'switch', scene: state.scene });
  } else {
    const zero = { gain_db: 0, muted: false };
    for (const name of new Set([...Object.keys(before), ...Object.keys(state.layers)])) {
      const a = before[name] || zero, b = state.layers[name] || zero;
      if ((a.gain_db || 0) !== (b.gain_db || 0)) send({ type: 'gain', layer: name, db: b.gain_db || 0 });
      if (!!a.muted !== !!b.muted) send({ type: 'mute', layer: name, muted: !!b.muted });
    }
    showLayers(state.shownLayers);
    localGains();
  }
  saveLast();
}
let lastTimer = null;
function saveLast() {
  clearTimeout(lastTimer);
  lastTimer = setTimeout(() => { lastTimer = null; if (state.scene) store.set(mix.LAST_KEY, currentMix()); }, 250);
}
window.addEventListener('pagehide', () => {   // leaving within the debounce: save now
  if (lastTimer !== null && state.scene) { clearTimeout(lastTimer); store.set(mix.LAST_KEY, currentMix()); }
});
async function share() {
  const url = state.lastShare = shareUrl();
  ui.showShare(url, null);
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(url); copied = true; }
  } catch (e) { /* no permission: the link is shown to copy by hand */ }
  state.shareCopied = copied;
  ui.showShare(url, copied);
  return url;
}
function saveFavourites() { if (!store.set(mix.FAV_KEY, state.favourites)) ui.showFavouritesUnsaved(); }
function showFavourites() {
  ui.showFavourites(state.favourites, state.scenes, {
    play: playFavourite, remove: removeFavourite,
    rename: (f, name) => { f.name = name; saveFavourites(); showAlarmChoices(); },
  });
  showAlarmChoices();
}
function saveFavourite(name) {
  const m = currentMix();
  if (!m.scene) return null;
  const id = mix.addFavourite(state.favourites, m, name, sceneTitle());
  saveFavourites(); showFavourites();
  return id;
}
function playFavourite(id) {
  const f = state.favourites.find((x) => x.id === id);
  const m = f && mix.sanitizeMix(f, state.scenes);
  if (!m) return false;
  applyMix(m);
  if (!state.wanted) play();
  return true;
}
function removeFavourite(id) {
  state.favourites = state.favourites.filter((f) => f.id !== id);
  saveFavourites(); showFavourites();
}

// ---- media session (lock screen, notification, media keys) ---------------------
function stepScene(by) {   // next/previous track: the neighbouring scene, still playing
  const list = state.scenes, i = list.findIndex((x) => x.name === state.scene);
  if (i >= 0 && list.length > 1) chooseScene(list[(i + by + list.length) % list.length].name);
}
state.mediaActions = ui.bindMediaSession({ play: () => play(), pause: () => pause(),
  stop: () => pause(), nexttrack: () => stepScene(1), previoustrack: () => stepScene(-1) });
const updateMediaSession = () => ui.showMediaSession(currentScene(), sceneTitle(), state.wanted);

// ---- playing -------------------------------------------------------------------------
function onStats(m) {
  if (m.energy !== undefined) {
    state.stems = { energy: m.energy, frames: m.frames, stemEnergy: m.stemEnergy, peakAllDb: m.peakAllDb,
      limited: m.limited, names: m.stems };
  }
  state.underruns = m.underruns; state.played = m.played; state.fill = m.fill;
  const gainDb = playback.gainDb;
  state.levelDb = m.rmsDb + gainDb;
  state.peakDb = m.peakDb + gainDb;
  // peak hold: keep the highest peak for PEAK_HOLD_MS, then let it fall
  const now = performance.now();
  let held = state.peakHoldDb - Math.max(0, now - state.peakHeldAt - PEAK_HOLD_MS) * PEAK_FALL_DB_PER_S / 1000;
  if (!(held > state.peakDb)) { held = state.peakDb; state.peakHeldAt = now; }
  state.peakHoldDb = held;
  if (state.status === 'buffering' && m.state === 'playing') {
    if (state.playStartedAt !== null) { state.firstAudioMs = Math.round(now - state.playStartedAt); state.playStartedAt = null; }
    setStatus('playing');
  }
  if (!document.hidden) ui.showMeter(state, m);
}
/** The master gain wanted now: the alarm's fade while it wakes the listener, else the volume. */
function currentGain() {
  const g = alarm.level();
  return g === null ? state.volume : g;
}
function setVolume(v) {
  state.volume = v;
  if (alarm.waking) return;                                  // the fade has the gain until it ends
  if (state.sleep.local && sleep.running) sleep.fadeHere();  // re-plan the fade
  else playback.glideTo(v, 0.05);
}
async function play() {
  if (!state.scene) return;
  if (!state.wanted) {
    state.playStartedAt = performance.now();   // time to first audio
    state.heard = false; state.preparing = null;
  }
  state.wanted = true; showPlaying();
  if (state.status !== 'playing' && state.status !== 'buffering') setStatus('connecting', 'Connecting…');
  // the graph starts inside the listener's gesture: at the rate of the last hello, or
  // before any at the device's rate (rebuilt on the hello if the stream's differs)
  await playback.ensure(state.hello ? state.hello.sample_rate : null);
  state.codec = state.codec || await pickCodec(params.get('codec'));
  if (!(state.sleep.local && sleep.running)) playback.glideTo(currentGain(), 0.02);
  if (!state.wanted) return;                     // paused while starting
  transport.start();
}
function pause() {
  alarm.interrupt();
  clearTimeout(slowTimer);
  state.wanted = false; showPlaying();
  transport.stop(1000, 'paused');
  playback.stop(); playback.closeDecoders();
  setStatus('idle', 'Paused');
}
function showPlaying() { ui.showPlaying(state.wanted); updateMediaSession(); }
const canStems = () => typeof AudioWorkletNode !== 'undefined';
/** Mix on this device from now on: reconnect to /stems/ (the server had no personal
 * mix for us, or ?mix=stems). Gains, volume and a sleep timer carry over. */
async function useStems() {
  state.mixMode = 'stems'; sleep.fadeHere();   // the sleep fade is ours too from now on
  ui.showMode('mixed on this device');
  await playback.useStems();
  if (transport.status !== 'idle') { state.restarting = true; transport.restart('mixing stems here'); }
}

// ---- the server ----------------------------------------------------------------------
function send(msg) {
  if (state.mixMode === 'auto' && (msg.type === 'gain' || msg.type === 'mute')) {
    if (canStems()) { useStems(); return; }   // a mix of one's own: mixed here, for free
    state.mixMode = 'server';
  }
  if (state.mixMode === 'stems' && MIX_TYPES.has(msg.type)) return;   // mixed here, not there
  transport.send(msg);
}
setInterval(() => send({ type: 'stats', underruns: state.underruns }), STATS_MS);

function onServerMessage(m) {
  state.heard = true; clearTimeout(slowTimer);
  if (m.type === 'preparing') {   // the scene's sounds are being made: say how far
    state.preparing = m;
    const title = m.title || sceneTitle();
    const counts = m.step === 'balancing' ? ': balancing the sounds'   // all made; setting the level
      : Number.isFinite(m.done) && Number.isFinite(m.total) && m.total > 0
        ? `: ${m.done} of ${m.total} sound${m.total === 1 ? '' : 's'}` : '';
    setStatus('preparing', `Preparing ${title}${counts}`);
  } else if (m.type === 'error' && m.code === 'scene_failed') {   // it cannot be made: say why, stay closed
    state.errors.push(m); state.wanted = false; state.preparing = null; showPlaying();
    transport.stop(1000, 'scene not prepared');
    playback.stop(); playback.closeDecoders();
    setStatus('error', `${m.title || sceneTitle()} could not be prepared: ${m.message}`);
  } else if (m.type === 'hello') {
    state.hello = m; state.seq.reset(); state.preparing = null;
    if (m.mode === 'stems') ui.showMode('mixed on this device');
    showLayers(m.layers);
    setStatus('buffering');
    playback.begin(m).then(reapply, (e) => {
      state.errors.push(String(e));
      setStatus('error', 'This browser cannot play this scene.', `cannot play ${m.sample_rate} Hz audio here: ${e.message || e}`);
    });
  } else if (m.type === 'mix') {
    state.mix = m;
    ui.showMode(m.mode === 'personal' ? 'personal mix' : 'broadcast mix');
  } else if (m.type === 'scene_updated') {
    showLayers(m.layers);
  } else if (m.type === 'stems') {   // the stems of the next audio message on
    playback.layout(Array.isArray(m.stems) ? m.stems.map(String) : []);
    if (Array.isArray(m.layers) && JSON.stringify(m.layers) !== JSON.stringify(state.shownLayers)) showLayers(m.layers);
  } else if (m.type === 'sleep' && m.state === 'done') {
    sleep.ended();
    playback.post({ type: 'end' });
  } else if (m.type === 'error') {
    state.errors.push(m);
    if (m.code === 'personal_limit' && canStems() && state.mixMode !== 'stems') { useStems(); return; }
    if (m.code === 'personal_limit' && sleep.running) sleep.fadeHere();
    ui.showStats(`server: ${m.message}`);
  }
}
/** After a hello: the listener's settings again (to the worklet or to the server). */
function reapply() {
  const local = state.mixMode === 'stems';   // everything is local: gains to the worklet
  if (local) localGains();
  else {
    for (const [name, s] of Object.entries(state.layers)) {
      if (s.gain_db) send({ type: 'gain', layer: name, db: s.gain_db });
      if (s.muted) send({ type: 'mute', layer: name, muted: true });
    }
  }
  if (!sleep.reapply(local)) fallAsleep();   // it ran out while we were away
}

// ---- layers --------------------------------------------------------------------
const gainTimers = new Map();
function showLayers(layers) {
  state.shownLayers = Array.isArray(layers) ? layers : [];
  ui.showLayers(state.shownLayers, state.layers, {
    onGain: (name, db) => {
      // the mix (share, save, download) has the new value at once, the stems worklet
      // too; the server gets it when the slider rests
      state.layers[name] = { gain_db: 0, muted: false, ...state.layers[name], gain_db: db };
      saveLast();
      localGains();
      clearTimeout(gainTimers.get(name));
      gainTimers.set(name, setTimeout(() => send({ type: 'gain', layer: name, db }), GAIN_SEND_MS));
    },
    onMute: (name, muted) => setLayer(name, { muted }),
  });
}
function setLayer(name, change) {
  const s = state.layers[name] = { gain_db: 0, muted: false, ...state.layers[name], ...change };
  if ('gain_db' in change) send({ type: 'gain', layer: name, db: s.gain_db });
  if ('muted' in change) send({ type: 'mute', layer: name, muted: s.muted });
  localGains();
  saveLast();
}
/** Stems: every layer's linear gain (mute: 0) to the mixing worklet. */
function localGains() {
  const gains = {};
  for (const l of state.shownLayers) {
    const s = state.layers[l.name] || { gain_db: 0, muted: false };
    gains[l.name] = s.muted ? 0 : Math.pow(10, (s.gain_db || 0) / 20);
  }
  playback.setGains(gains);
}

function fallAsleep() {
  sleep.ended();
  if (state.wanted) pause();
  setStatus('sleeping');
}

// ---- the wake-up alarm ------------------------------------------------------------------
const alarm = new Alarm({
  wake: (target) => wakeUp(target),
  level: (gain) => playback.glideTo(gain, 0.25),
  done: (volume) => { state.volume = volume; ui.showVolume(volume); saveLast(); },
  show: (view) => {
    ui.showAlarm({ ...view, name: alarmTargetName(view.target) });
    if (view.phase === 'set') store.set(ALARM_KEY, alarm.plan);   // kept until it rings or is cancelled
    else if (store.get(ALARM_KEY, null) !== null) store.set(ALARM_KEY, null);
  },
}, systemClock);
function alarmTargetName(target) {
  const [kind, id] = String(target || '').split(/:(.*)/s);
  if (kind === 'fav') { const f = state.favourites.find((x) => x.id === id); return f ? f.name : 'a saved mix'; }
  const s = mix.sceneByName(state.scenes, id);
  return s ? s.title : 'this scene';
}
/** The alarm's time came: its scene or saved mix plays, from silence. */
function wakeUp(target) {
  if (sleep.running) sleep.cancel();
  const [kind, id] = String(target || '').split(/:(.*)/s);
  if (kind === 'fav') {
    const f = state.favourites.find((x) => x.id === id);
    const m = f && mix.sanitizeMix(f, state.scenes);
    if (m) applyMix({ ...m, volume: null });   // the alarm sets the volume
  } else if (kind === 'scene' && mix.sceneByName(state.scenes, id) && id !== state.scene) {
    chooseScene(id);
  }
  if (state.wanted) playback.glideTo(currentGain(), 0.25); else play();
}
function setAlarm(choice) {
  return alarm.set({ ...choice, target: choice.target || (state.scene ? `scene:${state.scene}` : null) });
}

// ---- the page --------------------------------------------------------------------------
ui.bind({
  togglePlay: () => (state.wanted ? pause() : play()),
  volume: (v) => { alarm.interrupt(); setVolume(v); saveLast(); },
  setAlarm, cancelAlarm: () => alarm.cancel(),
  share, saveFavourite: () => saveFavourite(),
  sleep: (after) => sleep.start(after, fadeFor(after)),
  adjustSleep: (seconds) => sleep.adjust(seconds), cancelSleep: () => sleep.cancel(),
  startDownload, cancelDownload: () => download.cancel(),
  visible: () => {
    ui.showMeter(state, null); showSleep();
    if (state.wanted) playback.resumeIfSuspended();
  },
}, SLEEP_STEP_S);
function startDownload() {
  if (!state.scene) return undefined;
  const { seconds, format } = ui.downloadChoice();
  return download.start(mix.mixQuery(currentMix()), seconds, format);
}
setInterval(showSleep, 1000);   // a timer, not rAF: keeps counting in a hidden tab

// window.soundscape: what the browser tests read and call; the state stays here.
const FIELDS = ['underruns', 'played', 'levelDb', 'peakDb', 'peakHoldDb', 'fill', 'codec', 'scene',
  'hello', 'mix', 'errors', 'sink', 'sleepPhase', 'firstAudioMs', 'restoredFrom', 'storageError',
  'mediaActions', 'lastShare', 'shareCopied', 'download', 'mixMode', 'stems', 'preparing'];
const facade = {
  get state() { return state.status; },
  get gaps() { return state.seq.gaps; },
  get reconnects() { return transport.reconnects; },
  get sleepLeft() { return sleep.left(); },      // seconds, or null when no timer runs
  get gain() { return playback.master ? playback.master.gain.value : null; },   // the master gain now
  get alarm() { return { phase: alarm.phase, left: alarm.left(), level: alarm.level(), ...(alarm.plan || {}) }; },
  setAlarm: (choice) => setAlarm(choice), cancelAlarm: () => alarm.cancel(),
  useClock: (clock) => alarm.useClock(clock),   // the alarm's clock (a test's fake one)
  get favourites() { return state.favourites.map((f) => ({ ...f })); },
  play: () => play(), pause: () => pause(),
  setLayerGain: (name, db) => setLayer(name, { gain_db: db }),
  setMute: (name, muted) => setLayer(name, { muted }),
  sleep: (after, fade) => sleep.start(after, fade), cancelSleep: () => sleep.cancel(),
  adjustSleep: (seconds) => sleep.adjust(seconds),
  currentMix, applyMix: (m) => applyMix(mix.sanitizeMix(m, state.scenes)),
  shareUrl, share: () => share(),
  saveFavourite: (name) => saveFavourite(name), playFavourite: (id) => playFavourite(id),
  removeFavourite: (id) => removeFavourite(id), startDownload: () => startDownload(),
};
for (const name of FIELDS) Object.defineProperty(facade, name, { get: () => state[name], enumerable: true });
window.soundscape = facade;

// -- offline and media element (OFFLINE helper) --
// The installable app (pwa.js), kept mixes played with no network (offline.js) and
// the lock-screen path through an <audio> element (media.js); each gives way to the
// others and to the stream.
const media = new MediaPath({
  token: params.get('token'), volume: () => state.volume, sleep: () => state.sleep,
  onStart: () => { if (state.wanted) pause(); if (offline) offline.stop(); },
  onState: (status, text) => { ui.showPlaying(media.playing); ui.showState(status, text); },
  onAsleep: () => { sleep.ended(); ui.showState('sleeping'); },
  restoreActions: () => { ui.bindMediaSession(state.mediaActions); updateMediaSession(); },
});
const offline = offlinePanel(document.getElementById('offline-panel'), {
  query: () => (state.scene ? mix.mixQuery(currentMix()) : null), title: sceneTitle,
  scene: () => state.scene, token: params.get('token'), volume: () => state.volume,
  sleep: () => state.sleep, streaming: () => state.wanted || media.playing,
  pauseStream: () => { if (state.wanted) pause(); media.stop(); },
  asleep: () => sleep.ended(), media,
  restoreActions: () => { ui.bindMediaSession(state.mediaActions); updateMediaSession(); },
});
takePlayButton(media, document.getElementById('play'), currentScene);
facade.offline = offline; facade.media = media;
registerApp().then((r) => { facade.app = r; });
// -- end of the offline and media element block --

showSleep();
loadScenes();
