// soundscape studio: edit one scene file while it plays (docs/protocol.md, "Studio").
// Audio: 16-bit PCM blocks over the websocket -> the player's jitter-buffer worklet
// (worklet.js, shared, read-only) -> an AnalyserNode (spectrogram, output level) ->
// speakers. Everything the page shows about the mix comes from the server's meters
// (each layer's momentary loudness in the mix); the output level is measured here,
// on the audio the page actually plays. window.studio exposes the state for tests.
// The audio runs at the rate the server's `studio` hello names; binary messages are
// read by wire.js, as the player's are.
import { readAudio, pcm16Channels } from './wire.js';

const $ = (id) => document.getElementById(id);
const S = window.studio = {
  state: 'connecting', hello: null, layers: [], meters: {}, mix: null, badges: {},
  outputDb: -Infinity, underruns: 0, played: 0, problems: [], version: 0, heard: 0,
  saves: 0, triggered: [], position: 0, timeline: null, errors: [], notices: [],
  overrides: { gains: {}, muted: [], solo: [] }, text: '', latencyMs: null,
};
const params = new URLSearchParams(location.search);
const token = params.get('token');
let ws = null, ctx = null, player = null, analyser = null;
let editTimer = null, suppressInput = false;

// -- connection ------------------------------------------------------------------------
function wsUrl() {
  const q = new URLSearchParams();
  if (params.get('scene')) q.set('scene', params.get('scene'));
  if (token) q.set('token', token);
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/studio/ws?${q}`;
}

function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function connect() {
  ws = new WebSocket(wsUrl());
  ws.binaryType = 'arraybuffer';
  ws.onmessage = (e) => (typeof e.data === 'string' ? onText(JSON.parse(e.data)) : onAudio(e.data));
  ws.onclose = (e) => { setState(`closed (${e.code}${e.reason ? ': ' + e.reason : ''})`); };
  ws.onopen = () => setState('preparing');
}

function setState(s) { S.state = s; $('state').textContent = s; }

function notice(text, isError) {
  S.notices.push(text);
  $('notice').textContent = text;
  $('notice').className = isError ? 'error' : '';
}

// -- audio -----------------------------------------------------------------------------
let helloHeard = null;
const hello = new Promise((resolve) => { helloHeard = resolve; });
async function startAudio() {
  if (ctx) { await ctx.resume(); return; }
  const rate = (await hello).sample_rate;
  if (ctx) { await ctx.resume(); return; }   // a second press while waiting for hello
  ctx = new AudioContext({ sampleRate: rate, latencyHint: 'interactive' });
  await ctx.audioWorklet.addModule('worklet.js');
  player = new AudioWorkletNode(ctx, 'stream-player', {
    numberOfInputs: 0, outputChannelCount: [2],
    processorOptions: { targetSeconds: 0.3, maxSeconds: 1.5, capacitySeconds: 4 },
  });
  analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  analyser.smoothingTimeConstant = 0;
  player.connect(analyser);
  analyser.connect(ctx.destination);
  player.port.onmessage = (e) => {
    const m = e.data;
    if (m.type !== 'stats') return;
    S.underruns = m.underruns; S.played = m.played;
    if (m.state === 'playing' && S.state !== 'playing' && S.hello) setState('playing');
  };
  player.port.postMessage({ type: 'start' });
  await ctx.resume();
  setInterval(measure, 50);
  requestAnimationFrame(drawSpectrogram);
  setInterval(() => send({ type: 'stats', underruns: S.underruns }), 2000);
}

// Output level: mean square of what the analyser saw over the last ~500 ms, in dBFS.
const levelWindow = [];
const td = new Float32Array(2048);
function measure() {
  if (!analyser) return;
  analyser.getFloatTimeDomainData(td);
  let sum = 0;
  for (let i = 0; i < td.length; i++) sum += td[i] * td[i];
  levelWindow.push(sum / td.length);
  if (levelWindow.length > 10) levelWindow.shift();
  const ms = levelWindow.reduce((a, b) => a + b, 0) / levelWindow.length;
  S.outputDb = ms > 0 ? 10 * Math.log10(ms) : -Infinity;
  $('out-level').textContent = `out ${Number.isFinite(S.outputDb) ? S.outputDb.toFixed(1) : '-inf'} dBFS`;
}

let unreadable = false;
function onAudio(buf) {
  if (!player || unreadable) return;
  let message;
  try { message = readAudio(buf); } catch (e) {
    if (e.name !== 'WireError') throw e;
    unreadable = true;                           // say it once, play nothing garbled
    S.errors.push({ code: e.code, message: e.message });
    setState('error'); notice(e.message, true);
    return;
  }
  for (const frame of message.frames) {
    const [l, r] = pcm16Channels(frame);
    player.port.postMessage({ type: 'audio', channels: [l, r] }, [l.buffer, r.buffer]);
  }
}

// -- spectrogram -----------------------------------------------------------------------
const freq = new Uint8Array(1024);
function drawSpectrogram() {
  const c = $('spectrogram'), g = c.getContext('2d');
  if (analyser) {
    analyser.getByteFrequencyData(freq);
    g.drawImage(c, -2, 0);                      // scroll left by two pixels
    const h = c.height, bins = freq.length;
    for (let y = 0; y < h; y++) {
      // log-frequency rows: 20 Hz at the bottom, Nyquist at the top
      const nyquist = ctx.sampleRate / 2;
      const f = 20 * Math.pow(nyquist / 20, (h - y) / h);
      const v = freq[Math.min(bins - 1, Math.round(f / nyquist * bins))];
      g.fillStyle = `hsl(${260 - v}, 80%, ${v / 3}%)`;
      g.fillRect(c.width - 2, y, 2, 1);
    }
  }
  requestAnimationFrame(drawSpectrogram);
}

// -- server messages -------------------------------------------------------------------
function onText(m) {
  switch (m.type) {
    case 'studio':
      S.hello = m; helloHeard(m);
      setText(m.text);
      fillScenes(m.scenes, m.file);
      document.title = `${m.file} - soundscape studio`;
      break;
    case 'applied': {
      const same = sameLayers(S.layers, m.layers);
      S.version = m.version; S.layers = m.layers; S.problems = [];
      if (same) updateStrips(); else renderStrips();
      showProblems([]);
      notice(m.live ? 'applied live (nothing rebuilt)' : `applied (${m.build_ms} ms to build)`);
      break;
    }
    case 'heard':
      S.heard = m.version; S.latencyMs = m.latency_ms;
      if (m.version > 1 && m.version === S.version) {
        notice(`${$('notice').textContent}; heard ${Math.round(m.latency_ms)} ms after it arrived`);
      }
      if (S.state === 'preparing') setState(ctx ? 'playing' : 'ready: press Play');
      break;
    case 'problems':
      S.problems = m.problems; showProblems(m.problems);
      notice('');   // the summary at the top says it
      break;
    case 'text':
      setText(m.text);
      if (m.reason !== 'set') fieldSent.clear();   // the file changed: any value may be sent again
      break;
    case 'meters': showMeters(m); break;
    case 'timeline': S.timeline = m; drawTimeline(); break;
    case 'triggered': S.triggered.push(m); notice(`${m.layer} triggered at ${m.time.toFixed(1)} s`); break;
    case 'overrides': S.overrides = m; renderOverrides(); break;
    case 'saved':
      S.saves++; notice(`saved ${m.path}`); $('save-force').hidden = true; $('reload').hidden = true;
      break;
    case 'disk_changed': notice(m.message, true); $('reload').hidden = false; break;
    case 'upload_ready': uploadBytes(); break;
    case 'uploaded': notice(`added ${m.name} as layer ${m.layer}`); break;
    case 'error':
      S.errors.push(m);
      notice(m.message, true);
      if (m.code === 'changed_on_disk') { $('save-force').hidden = false; $('reload').hidden = false; }
      break;
    default: break;
  }
}

function setText(text) {
  S.text = text;
  const area = $('toml');
  if (area.value === text) return;
  suppressInput = true;
  const pos = area.selectionStart;
  area.value = text;
  area.selectionStart = area.selectionEnd = Math.min(pos, text.length);
  suppressInput = false;
}

function fillScenes(scenes, current) {
  const sel = $('scene');
  sel.textContent = '';
  for (const name of scenes) {
    const o = document.createElement('option');
    o.value = o.textContent = name; o.selected = name === current;
    sel.appendChild(o);
  }
}

// -- strips ----------------------------------------------------------------------------
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// A field shows its value as the TOML writes it (a duration keeps its unit: "2s, 9s");
// a range is its two ends separated by a comma.
function fieldValue(layer, f) {
  const w = layer.written && f in layer.written ? layer.written[f] : layer[f];
  if (w === null || w === undefined) return '';
  return Array.isArray(w) ? w.map(String).join(', ') : String(w);
}
const fieldsOf = (layer) => (layer.kind === 'bed' ? ['gain_db', 'pan', 'width']
  : ['gain_db', 'pan', layer.interval ? 'interval' : 'rate_per_min']);
const sameLayers = (a, b) => a.length === b.length && a.every((l, i) => l.name === b[i].name
  && l.kind === b[i].kind && fieldsOf(l).join() === fieldsOf(b[i]).join());

// New values for the strips' fields (the layers are the same): a field being typed in
// keeps what is typed.
function updateStrips() {
  S.layers.forEach((layer, i) => {
    for (const f of fieldsOf(layer)) {
      const el = document.getElementById(`f-${i}-${f}`);
      if (!el || el === document.activeElement) continue;
      el.value = fieldValue(layer, f);
      if (fieldSent.get(el.dataset.path) !== el.value) fieldSent.delete(el.dataset.path);
    }
  });
}

function renderStrips() {
  const box = $('strips');
  box.textContent = '';
  S.layers.forEach((layer, i) => {
    const el = document.createElement('div');
    el.className = 'strip'; el.dataset.layer = layer.name;
    const src = layer.source.kind === 'files' ? layer.source.files.join(', ')
      : layer.source.kind === 'prompt' ? `"${layer.source.prompt}"` : layer.source.recipe;
    const fields = fieldsOf(layer);
    el.innerHTML = `
      <div class="head"><span class="name">${esc(layer.name)}</span>
        <span class="kind">${layer.kind}</span>
        <span class="source">${esc(layer.source.kind)}: ${esc(src)}</span>
        <span class="badge" data-badge="${esc(layer.name)}"></span></div>
      <div class="head">
        <button type="button" data-solo="${esc(layer.name)}" aria-pressed="false" aria-label="Solo ${esc(layer.name)}">S</button>
        <button type="button" data-mute="${esc(layer.name)}" aria-pressed="false" aria-label="Mute ${esc(layer.name)}">M</button>
        ${layer.kind === 'event' ? `<button type="button" data-trigger="${esc(layer.name)}">Trigger now</button>` : ''}
        <label>audition <input type="range" min="-40" max="12" step="1" value="0" data-audition="${esc(layer.name)}" aria-label="${esc(layer.name)} audition gain (not saved)"></label>
        <span class="lufs" data-lufs="${esc(layer.name)}">-</span></div>
      <div class="meter"><div data-meter="${esc(layer.name)}"></div></div>
      <div class="fields">${fields.map((f) => {
        const path = `layers[${i}].${f}`;
        return `<label for="f-${i}-${f}">${f}</label>
          <input id="f-${i}-${f}" type="text" data-path="${path}" value="${esc(fieldValue(layer, f))}"
            aria-describedby="p-${i}-${f}" autocomplete="off" spellcheck="false">
          <span class="problem" id="p-${i}-${f}" data-problem="${path}"></span>`;
      }).join('')}</div>`;
    box.appendChild(el);
  });
  renderOverrides();
  showProblems(S.problems);
}

function renderOverrides() {
  for (const b of document.querySelectorAll('[data-solo]')) b.setAttribute('aria-pressed', String(S.overrides.solo.includes(b.dataset.solo)));
  for (const b of document.querySelectorAll('[data-mute]')) b.setAttribute('aria-pressed', String(S.overrides.muted.includes(b.dataset.mute)));
  for (const r of document.querySelectorAll('[data-audition]')) {
    const g = S.overrides.gains[r.dataset.audition];
    if (g !== undefined && document.activeElement !== r) r.value = g;
  }
}

const meterPct = (lufs) => Math.max(0, Math.min(100, (lufs + 70) / 70 * 100));
function showMeters(m) {
  S.meters = m.layers; S.mix = m.mix; S.badges = m.badges; S.position = m.position;
  for (const [name, lufs] of Object.entries(m.layers)) {
    const bar = document.querySelector(`[data-meter="${CSS.escape(name)}"]`);
    if (bar) bar.style.width = `${meterPct(lufs)}%`;
    const txt = document.querySelector(`[data-lufs="${CSS.escape(name)}"]`);
    if (txt) txt.textContent = lufs <= -119 ? 'silent' : `${lufs.toFixed(1)} LUFS`;
    const badge = document.querySelector(`[data-badge="${CSS.escape(name)}"]`);
    if (badge) { const b = m.badges[name] || ''; badge.textContent = b; badge.className = `badge ${b}`; }
  }
  $('mix-level').textContent = `${m.mix.toFixed(1)} LUFS (momentary)`;
  $('playhead').textContent = fmtTime(m.position);
}

// Problems: each next to its field (when the form has one) and all of them in the
// summary at the top of the page, which stays in view; a summary item takes you to
// its field, or to its line in the TOML text.
function showProblems(problems) {
  for (const el of document.querySelectorAll('[data-problem]')) el.textContent = '';
  for (const el of document.querySelectorAll('[data-path]')) el.removeAttribute('aria-invalid');
  const list = $('problems');
  list.textContent = '';
  for (const p of problems) {
    const note = p.path && document.querySelector(`[data-problem="${CSS.escape(p.path)}"]`);
    if (note) note.textContent = `${p.path}: ${p.message}`;
    const input = p.path && document.querySelector(`[data-path="${CSS.escape(p.path)}"]`);
    if (input) input.setAttribute('aria-invalid', 'true');
    const li = document.createElement('li');
    const go = document.createElement('button');
    go.type = 'button';
    go.textContent = `${p.line ? `line ${p.line}: ` : ''}${p.path ? p.path + ': ' : ''}${p.message}`;
    go.addEventListener('click', () => (input ? input.focus() : showLine(p.line)));
    li.appendChild(go);
    list.appendChild(li);
  }
  $('problem-count').textContent = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  $('summary').hidden = problems.length === 0;
}

function showLine(line) {
  const area = $('toml');
  if (!line) { area.focus(); return; }
  const lines = area.value.split('\n');
  const at = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(at, at + (lines[line - 1] || '').length);
}

// -- timeline --------------------------------------------------------------------------
function fmtTime(s) {
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, '0')}`;
}
function parseTime(text) {
  const t = text.trim();
  const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(t);
  if (m) return 60 * Number(m[1]) + Number(m[2]);
  return t === '' ? NaN : Number(t);
}
const colors = ['#5ab0ff', '#ffb347', '#7ed957', '#ff6f91', '#c39bd3', '#f4d03f'];
function drawTimeline() {
  const t = S.timeline, c = $('timeline'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (!t) return;
  const x = (time) => ((time - t.position) / t.horizon) * c.width;
  g.font = '10px sans-serif';
  t.phases.forEach((p, i) => {
    g.fillStyle = i % 2 ? '#1c2630' : '#222f3b';
    g.fillRect(Math.max(0, x(p.time)), 0, x(p.time + p.duration) - Math.max(0, x(p.time)), 20);
    g.fillStyle = '#aab4c0'; g.fillText(p.name, Math.max(2, x(p.time) + 2), 14);
  });
  const names = S.layers.filter((l) => l.kind === 'event').map((l) => l.name);
  for (const e of t.events) {
    const row = names.indexOf(e.layer);
    g.fillStyle = colors[Math.max(0, row) % colors.length];
    g.fillRect(x(e.time), 24 + 12 * Math.max(0, row), 2, 10);
  }
  g.fillStyle = '#fff'; g.fillRect(0, 0, 2, c.height);
  g.fillStyle = '#8d99a8';
  for (let k = 1; k < 5; k++) g.fillText(`+${(t.horizon * k / 5 / 60).toFixed(0)} min`, c.width * k / 5, c.height - 2);
}

// -- page controls ---------------------------------------------------------------------
// A field's text as a TOML value: empty removes the key; "2s, 9s" is a range
// ["2s", "9s"] (each end a number when it is one); a number, true/false, else a string.
function parseScalar(t) {
  if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t.replace(/^"(.*)"$/, '$1');
}
function parseField(text) {
  const t = text.trim();
  if (t === '') return null;
  if (t.startsWith('[')) { try { return JSON.parse(t); } catch (err) { return t; } }
  if (t.includes(',')) return t.split(',').map((x) => parseScalar(x.trim()));
  return parseScalar(t);
}

document.addEventListener('click', (e) => {
  const b = e.target.closest('button');
  if (!b) return;
  if (b.dataset.solo) send({ type: 'override', layer: b.dataset.solo, solo: b.getAttribute('aria-pressed') !== 'true' });
  else if (b.dataset.mute) send({ type: 'override', layer: b.dataset.mute, mute: b.getAttribute('aria-pressed') !== 'true' });
  else if (b.dataset.trigger) send({ type: 'trigger', layer: b.dataset.trigger });
});
// Form fields apply as you type: each field's value is sent 300 ms after its last
// keystroke (at once when it loses focus), once per distinct value.
const fieldTimers = new Map(), fieldSent = new Map();
function sendField(el) {
  clearTimeout(fieldTimers.get(el.dataset.path));
  fieldTimers.delete(el.dataset.path);
  if (fieldSent.get(el.dataset.path) === el.value) return;
  fieldSent.set(el.dataset.path, el.value);
  send({ type: 'set', path: el.dataset.path, value: parseField(el.value) });
}
document.addEventListener('input', (e) => {
  const el = e.target;
  if (el.dataset.audition) send({ type: 'override', layer: el.dataset.audition, gain_db: Number(el.value) });
  else if (el.dataset.path) {
    clearTimeout(fieldTimers.get(el.dataset.path));
    fieldTimers.set(el.dataset.path, setTimeout(() => sendField(el), 300));
  }
});
document.addEventListener('change', (e) => {
  if (e.target.dataset.path) sendField(e.target);
});
$('toml').addEventListener('input', () => {
  if (suppressInput) return;
  clearTimeout(editTimer);
  editTimer = setTimeout(() => {
    S.text = $('toml').value; fieldSent.clear(); send({ type: 'edit', text: S.text });
  }, 300);
});
$('play').addEventListener('click', async () => {
  await startAudio();
  if (S.heard) setState('playing');
});
$('save').addEventListener('click', () => send({ type: 'save' }));
$('save-force').addEventListener('click', () => send({ type: 'save', force: true }));
$('reload').addEventListener('click', () => send({ type: 'reload' }));
$('scene').addEventListener('change', () => {
  const q = new URLSearchParams(location.search);
  q.set('scene', $('scene').value);
  location.search = q.toString();
});
function seekTo(seconds) { if (Number.isFinite(seconds) && seconds >= 0) send({ type: 'seek', time: seconds }); }
$('seek-go').addEventListener('click', () => seekTo(parseTime($('seek').value)));
$('seek').addEventListener('keydown', (e) => { if (e.key === 'Enter') seekTo(parseTime($('seek').value)); });
$('timeline').addEventListener('click', (e) => {
  if (!S.timeline) return;
  const r = e.target.getBoundingClientRect();
  seekTo(S.timeline.position + ((e.clientX - r.left) / r.width) * S.timeline.horizon);
});

// -- dropping an audio file ------------------------------------------------------------
let pendingUpload = null;
const CHUNK = 256 * 1024;
document.addEventListener('dragover', (e) => { e.preventDefault(); $('drop').hidden = false; });
document.addEventListener('dragleave', (e) => { if (!e.relatedTarget) $('drop').hidden = true; });
document.addEventListener('drop', (e) => {
  e.preventDefault(); $('drop').hidden = true;
  const file = e.dataTransfer.files[0];
  if (file) uploadFile(file);
});
function uploadFile(file) {
  const max = S.hello ? S.hello.max_upload_bytes : 0;
  if (file.size > max) { notice(`${file.name} is over ${(max / 1048576).toFixed(0)} MB`, true); return; }
  pendingUpload = file;
  send({ type: 'upload', name: file.name, size: file.size });
}
async function uploadBytes() {
  const file = pendingUpload; pendingUpload = null;
  if (!file) return;
  const data = await file.arrayBuffer();
  for (let at = 0; at < data.byteLength; at += CHUNK) ws.send(data.slice(at, at + CHUNK));
}
S.uploadFile = uploadFile;

connect();
