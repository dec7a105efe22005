// Download: the current mix rendered to a file by the server.
// GET /api/download?<mix>&duration=&format= starts a render (202, a status object);
// GET /api/download/status?id= is polled for progress; the finished file comes from
// GET /api/download/file?id=. A server without the routes answers 404 not_found.
// The job's public face is state.download ({state, text, id, progress, file}); the
// DOM is drawn by ui.js, or by the `view` given (offline.js keeps a loop this way:
// ?loop=1, its own status line, the file fetched into the browser instead of saved).
import { showDownload, offerFile } from './ui.js';

const POLL_MS = 700;

async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  let body = {};
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  return { status: r.status, ok: r.ok, body: body && typeof body === 'object' ? body : {} };
}

const PAGE_VIEW = { show: showDownload, offer: (href, filename) => offerFile(href, filename) };

export class Download {
  /** state: an object whose .download this writes (the page's state); token: ?token=
   * or null; view: {show(state, text, progress), offer(href, filename, status)} (the
   * page's download section by default). */
  constructor(state, token, view = PAGE_VIEW) {
    this.state = state; this.job = null; this.timer = null; this.view = view;
    this.token = token ? `&token=${encodeURIComponent(token)}` : '';
  }
  show(state, text, progress) {
    this.state.download = { ...this.state.download, state, text };
    this.view.show(state, text, progress);
  }
  /** Render `query` (a mix query) for `seconds` in `format`; `extra`: more query
   * parameters ('&loop=1'). */
  async start(query, seconds, format, extra = '') {
    if (this.job) return;
    this.show('starting', 'Starting…', 0);
    let r;
    try {
      r = await getJson(`/api/download?${query}&duration=${seconds}&format=${encodeURIComponent(format)}${extra}${this.token}`);
    } catch (e) { this.show('error', 'Cannot reach the server.'); return; }
    if (r.status === 404 && r.body.code === 'not_found') {
      this.show('unavailable', 'This server does not offer downloads.'); return;
    }
    if (!r.ok || typeof r.body.id !== 'string') {
      this.show('error', String(r.body.message || `Download refused (HTTP ${r.status}).`).slice(0, 300)); return;
    }
    this.job = r.body.id;
    this.onStatus(r.body);
  }
  onStatus(st) {
    this.state.download = { ...this.state.download, id: st.id, progress: st.progress };
    if (st.state === 'rendering') {
      const pct = Math.floor((Number(st.progress) || 0) * 100);
      this.show('rendering', `Rendering ${st.filename || ''}: ${pct} %`, Number(st.progress) || 0);
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), POLL_MS);
      return;
    }
    this.job = null;
    if (st.state === 'done') {
      const mb = st.bytes ? ` (${(st.bytes / 1e6).toFixed(1)} MB)` : '';
      const href = `/api/download/file?id=${encodeURIComponent(st.id)}${this.token}`;
      this.state.download = { ...this.state.download, file: { href, filename: st.filename } };
      this.show('done', `Ready: ${st.filename}${mb}`, 1);
      this.view.offer(href, st.filename, st);
    } else {
      this.show(st.state === 'cancelled' ? 'cancelled' : 'error',
        st.state === 'cancelled' ? 'Cancelled.' : `Failed: ${String(st.error || 'unknown error').slice(0, 300)}`);
    }
  }
  async poll() {
    if (!this.job) return;
    try {
      const r = await getJson(`/api/download/status?id=${encodeURIComponent(this.job)}${this.token}`);
      if (r.ok) { this.onStatus(r.body); return; }
      this.job = null; this.show('error', String(r.body.message || `HTTP ${r.status}`).slice(0, 300));
    } catch (e) {   // the server restarts: try again a little later
      this.timer = setTimeout(() => this.poll(), POLL_MS * 4);
    }
  }
  async cancel() {
    const id = this.job;
    if (!id) return;
    clearTimeout(this.timer); this.job = null;
    try { await getJson(`/api/download/cancel?id=${encodeURIComponent(id)}${this.token}`); } catch (e) { /* gone */ }
    this.show('cancelled', 'Cancelled.');
  }
}
