// soundscape web player: websocket stream -> WebCodecs Opus (or raw PCM) -> AudioWorklet.
// Protocol: docs/protocol.md. Test hooks live on window.soundscape.
//
// Everything that keeps audio going runs on the audio clock (worklet), on websocket
// events or on plain timers: nothing depends on requestAnimationFrame, so playback
// and the sleep timer carry on in a hidden tab or with the screen off. Only the
// level meter's drawing is skipped while the page is hidden.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const HEADER_BYTES = 16;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const MIN_FADE_S = 60;            // the sleep fade never gets shorter, unless the timer is
const SLEEP_STEP_S = 300;         // the -5 min / +5 min buttons
const PEAK_HOLD_MS = 1500, PEAK_FALL_DB_PER_S = 20, METER_FLOOR_DB = -60;

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
};

let scenes = [];
let ctx = null, player = null, master = null, sinkEl = null;
let ws = null, decoder = null, wanted = false, attempt = 0, retryTimer = null;
let lastSeq = -1, goodSince = 0;
// re-applied on reconnect; sleepFade is the fade asked for, the one sent is min(fade, left)
const settings = { layers: {}, sleepEndsAt: null, sleepFade: MIN_FADE_S, sleepLocal: false };

function setState(state, text) {
  S.state = state;
  const el = $('state'); el.dataset.state = state; el.textContent = text || state;
  updateMediaSession();
}

// ---- scenes --------------------------------------------------------------------
async function loadScenes() {
  try {
    scenes = await (await fetch('/api/scenes')).json();
  } catch (e) { setState('error', 'cannot load scenes'); return; }
  const sel = $('scene'); sel.innerHTML = '';
  for (const s of scenes) {
    const o = document.createElement('option'); o.value = s.name; o.textContent = s.title;
    sel.appendChild(o);
  }
  const first = params.get('scene') || localStorage.getItem('soundscape.scene');
  if (first && scenes.some((s) => s.name === first)) sel.value = first;
  showScene();
}
function currentScene() { return scenes.find((x) => x.name === S.scene) || null; }
function sceneTitle() {
  if (S.hello && S.hello.scene === S.scene && S.hello.title) return S.hello.title;
  const s = currentScene();
  return s ? s.title : 'soundscape';
}
function showScene() {
  const s = scenes.find((x) => x.name === $('scene').value);
  S.scene = s ? s.name : null;
  $('description').textContent = s ? s.description : '';
  const tags = $('tags'); tags.innerHTML = '';
  for (const t of (s && s.tags) || []) {
    const li = document.createElement('li'); li.textContent = t; tags.appendChild(li);
  }
  if (s && !wanted) buildLayers(s.layers || []);    // preview the layers before playing
  updateMediaSession(); showSleep();
}
$('scene').addEventListener('change', () => {
  settings.layers = {};
  showScene(); localStorage.setItem('soundscape.scene', S.scene);
  if (ws && ws.readyState === WebSocket.OPEN) send({ type: 'switch', scene: S.scene });
  // a switch goes back to the broadcast mix: a running sleep timer is re-sent on hello
});

// ---- media session (lock screen, notification, media keys) ---------------------
const mediaSession = 'mediaSession' in navigator ? navigator.mediaSession : null;
if (mediaSession) {
  for (const [action, fn] of [['play', () => play()], ['pause', () => pause()],
    ['stop', () => pause()]]) {
    try { mediaSession.setActionHandler(action, fn); } catch (e) { /* unsupported action */ }
  }
}
function updateMediaSession() {
  if (!mediaSession) return;
  const s = currentScene(), title = sceneTitle();
  const key = `${title}|${s && s.tags ? s.tags.join(',') : ''}`;
  if (updateMediaSession.key !== key && 'MediaMetadata' in window) {
    updateMediaSession.key = key;
    mediaSession.metadata = new MediaMetadata({
      title, artist: 'soundscape',
      album: s && s.tags && s.tags.length ? s.tags.join(' · ') : 'ambient sound',
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
  player = new AudioWorkletNode(ctx, 'stream-player', {
    numberOfInputs: 0, outputChannelCount: [2],
    processorOptions: { targetSeconds: Number(params.get('jitter') || 0.25) },
  });
  player.connect(master);
  player.port.onmessage = (e) => onStats(e.data);
  if (ctx.state !== 'running') await ctx.resume();
}
function onStats(m) {
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
  if (S.state === 'buffering' && m.state === 'playing') setState('playing');
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
$('volume').addEventListener('input', () => {
  const v = Number($('volume').value);
  $('volume').setAttribute('aria-valuetext', `${Math.round(v * 100)} %`);
  if (!master) return;
  if (settings.sleepLocal && settings.sleepEndsAt !== null) localSleep();  // re-plan the fade
  else master.gain.setTargetAtTime(v, ctx.currentTime, 0.05);
});

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
function onAudio(buf) {
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
function send(msg) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg)); }

function connect() {
  clearTimeout(retryTimer);
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  // ?token= from the page URL: a server bound beyond loopback wants it for mix changes
  const token = params.get('token');
  const url = `${proto}://${location.host}/stream/${encodeURIComponent(S.scene)}?codec=${S.codec}` +
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
    S.hello = m; lastSeq = -1; decoder = decoder || makeDecoder();
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
  } else if (m.type === 'sleep' && m.state === 'done') {
    settings.sleepEndsAt = null; showSleep();
    player.port.postMessage({ type: 'end' });
  } else if (m.type === 'error') {
    S.errors.push(m);
    if (m.code === 'personal_limit' && settings.sleepEndsAt !== null) localSleep();
    $('stats').textContent = `server: ${m.message}`;
  }
}
function reapply() {
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
      el('label', { for: id }, layer.name,
        el('span', { className: 'kind', title: KIND_HINT[kind] || '', textContent: kind })),
      slider, db, el('label', { className: 'mute' }, mute, 'mute'));
    let timer = null;
    slider.addEventListener('input', () => {
      db.textContent = `${slider.value} dB`;
      slider.setAttribute('aria-valuetext', `${slider.value} dB`);
      clearTimeout(timer);
      timer = setTimeout(() => setLayer(layer.name, { gain_db: Number(slider.value) }), 80);
    });
    mute.addEventListener('change', () => setLayer(layer.name, { muted: mute.checked }));
    box.appendChild(row);
  }
}
function setLayer(name, change) {
  const s = settings.layers[name] = { gain_db: 0, muted: false, ...settings.layers[name], ...change };
  if ('gain_db' in change) send({ type: 'gain', layer: name, db: s.gain_db });
  if ('muted' in change) send({ type: 'mute', layer: name, muted: s.muted });
}

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
