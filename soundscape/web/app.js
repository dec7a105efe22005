// soundscape web player: websocket stream -> WebCodecs Opus (or raw PCM) -> AudioWorklet.
// Protocol: docs/protocol.md. Test hooks live on window.soundscape.
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const HEADER_BYTES = 16;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

const S = window.soundscape = {
  state: 'idle', underruns: 0, gaps: 0, played: 0, levelDb: -Infinity, fill: 0,
  codec: null, scene: null, hello: null, mix: null, errors: [], reconnects: 0,
  play: () => play(), pause: () => pause(),
  setLayerGain: (name, db) => setLayer(name, { gain_db: db }),
  setMute: (name, muted) => setLayer(name, { muted }),
  sleep: (after, fade) => startSleep(after, fade), cancelSleep: () => cancelSleep(),
};

let scenes = [];
let ctx = null, player = null, master = null;
let ws = null, decoder = null, wanted = false, attempt = 0, retryTimer = null;
let lastSeq = -1, goodSince = 0;
const settings = { layers: {}, sleepEndsAt: null, sleepFade: 60 };   // re-applied on reconnect

function setState(state, text) {
  S.state = state;
  const el = $('state'); el.dataset.state = state; el.textContent = text || state;
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
function showScene() {
  const s = scenes.find((x) => x.name === $('scene').value);
  $('description').textContent = s ? s.description : '';
  S.scene = s ? s.name : null;
}
$('scene').addEventListener('change', () => {
  showScene(); localStorage.setItem('soundscape.scene', S.scene);
  settings.layers = {};
  if (ws && ws.readyState === WebSocket.OPEN) send({ type: 'switch', scene: S.scene });
});

// ---- audio graph ---------------------------------------------------------------
async function ensureAudio() {
  if (ctx) { if (ctx.state !== 'running') await ctx.resume(); return; }
  ctx = new AudioContext({ sampleRate: 48000, latencyHint: 'playback' });
  await ctx.audioWorklet.addModule('worklet.js');
  player = new AudioWorkletNode(ctx, 'stream-player', {
    numberOfInputs: 0, outputChannelCount: [2],
    processorOptions: { targetSeconds: Number(params.get('jitter') || 0.25) },
  });
  master = ctx.createGain();
  master.gain.value = Number($('volume').value);
  player.connect(master).connect(ctx.destination);
  player.port.onmessage = (e) => onStats(e.data);
  if (ctx.state !== 'running') await ctx.resume();
}
function onStats(m) {
  S.underruns = m.underruns; S.played = m.played; S.fill = m.fill;
  const gain = master ? master.gain.value : 1;
  S.levelDb = m.rmsDb + (gain > 0 ? 20 * Math.log10(gain) : -Infinity);
  const pct = Math.max(0, Math.min(100, (S.levelDb + 60) / 60 * 100));
  $('meter-bar').style.width = (Number.isFinite(pct) ? pct : 0) + '%';
  $('level').textContent = Number.isFinite(S.levelDb) ? S.levelDb.toFixed(1) + ' dB' : '-∞ dB';
  $('stats').textContent = `${S.codec || ''} · buffer ${(m.fill * 1000).toFixed(0)} ms · `
    + `underruns ${m.underruns} · gaps ${S.gaps} · played ${m.played.toFixed(0)} s`;
  if (S.state === 'buffering' && m.state === 'playing') setState('playing');
}
$('volume').addEventListener('input', () => {
  if (master) master.gain.setTargetAtTime(Number($('volume').value), ctx.currentTime, 0.05);
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
  const url = `${proto}://${location.host}/stream/${encodeURIComponent(S.scene)}?codec=${S.codec}`;
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
    if (e.code === 4002) { setState('sleeping', 'asleep'); wanted = false; setPlayButton(); return; }
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
    if (m.code === 'personal_limit' && settings.sleepEndsAt) localSleep();
    $('stats').textContent = `server: ${m.message}`;
  }
}
function reapply() {
  for (const [name, s] of Object.entries(settings.layers)) {
    if (s.gain_db) send({ type: 'gain', layer: name, db: s.gain_db });
    if (s.muted) send({ type: 'mute', layer: name, muted: true });
  }
  if (settings.sleepEndsAt) {
    const left = Math.max(0, (settings.sleepEndsAt - Date.now()) / 1000);
    send({ type: 'sleep', after: left, fade: Math.min(settings.sleepFade, left) });
  }
}
setInterval(() => send({ type: 'stats', underruns: S.underruns }), 5000);

async function play() {
  if (!S.scene) return;
  wanted = true; attempt = 0; setPlayButton();
  await ensureAudio();
  S.codec = S.codec || await pickCodec();
  if (master) master.gain.setTargetAtTime(Number($('volume').value), ctx.currentTime, 0.02);
  connect();
}
function pause() {
  wanted = false; clearTimeout(retryTimer); setPlayButton();
  if (ws) ws.close(1000, 'paused');
  if (player) player.port.postMessage({ type: 'stop' });
  setState('idle', 'paused');
}
function setPlayButton() {
  $('play').textContent = wanted ? 'Pause' : 'Play';
  $('play').setAttribute('aria-pressed', String(wanted));
}
$('play').addEventListener('click', () => (wanted ? pause() : play()));

// ---- layers --------------------------------------------------------------------
function buildLayers(layers) {
  const box = $('layers'); box.innerHTML = '';
  for (const layer of layers) {
    const s = settings.layers[layer.name] || { gain_db: 0, muted: false };
    const row = document.createElement('div'); row.className = 'layer';
    row.innerHTML = `<label for="g-${layer.name}">${layer.name}</label>
      <input id="g-${layer.name}" data-layer="${layer.name}" type="range" min="-40" max="12" step="1" value="${s.gain_db}">
      <span class="db">${s.gain_db} dB</span>
      <label><input type="checkbox" data-mute="${layer.name}" ${s.muted ? 'checked' : ''}> mute</label>`;
    const slider = row.querySelector('input[type=range]'); const db = row.querySelector('.db');
    let timer = null;
    slider.addEventListener('input', () => {
      db.textContent = `${slider.value} dB`;
      clearTimeout(timer);
      timer = setTimeout(() => setLayer(layer.name, { gain_db: Number(slider.value) }), 80);
    });
    row.querySelector('input[type=checkbox]').addEventListener('change', (e) =>
      setLayer(layer.name, { muted: e.target.checked }));
    box.appendChild(row);
  }
}
function setLayer(name, change) {
  const s = settings.layers[name] = { gain_db: 0, muted: false, ...settings.layers[name], ...change };
  if ('gain_db' in change) send({ type: 'gain', layer: name, db: s.gain_db });
  if ('muted' in change) send({ type: 'mute', layer: name, muted: s.muted });
}

// ---- sleep timer ---------------------------------------------------------------
$('sleep-choice').addEventListener('change', () => {
  $('sleep-custom').hidden = $('sleep-choice').value !== 'custom';
});
$('sleep-start').addEventListener('click', () => {
  const v = $('sleep-choice').value;
  const minutes = v === 'custom' ? Number($('sleep-custom').value) : Number(v);
  if (!(minutes > 0)) return;
  const after = minutes * 60;
  startSleep(after, Math.min(after, Math.max(60, after / 10)));   // fade >= 60 s
});
$('sleep-cancel').addEventListener('click', () => cancelSleep());
function startSleep(after, fade) {
  settings.sleepEndsAt = Date.now() + after * 1000;
  settings.sleepFade = fade === undefined ? Math.min(after, 60) : fade;
  send({ type: 'sleep', after, fade: settings.sleepFade });
  showSleep();
}
function cancelSleep() {
  settings.sleepEndsAt = null; send({ type: 'sleep', after: null }); showSleep();
  if (master) master.gain.cancelScheduledValues(ctx.currentTime);
}
function localSleep() {   // no personal mix available: fade on this device instead
  const left = (settings.sleepEndsAt - Date.now()) / 1000;
  const t = ctx.currentTime, fade = Math.min(settings.sleepFade, left);
  master.gain.setValueAtTime(master.gain.value, t + left - fade);
  master.gain.linearRampToValueAtTime(0, t + left);
  setTimeout(() => { if (settings.sleepEndsAt) { settings.sleepEndsAt = null; pause(); setState('sleeping', 'asleep'); } },
    left * 1000 + 200);
}
function showSleep() {
  const on = settings.sleepEndsAt !== null;
  $('sleep-cancel').disabled = !on;
  const left = on ? Math.max(0, (settings.sleepEndsAt - Date.now()) / 1000) : 0;
  $('sleep-left').textContent = on ? `${Math.floor(left / 60)}:${String(Math.floor(left % 60)).padStart(2, '0')} left` : '';
}
setInterval(showSleep, 1000);

loadScenes();
