// The installable app: registers the service worker (sw.js), which keeps the
// player's files so the page opens with no network. The manifest is linked from
// index.html. registerApp() is called once by app.js; it never throws.

/** Register sw.js for the whole site, `afterMs` after the page has loaded; resolves
 * to {state, error}: 'registered' (with the worker's state), 'unsupported' (no service
 * workers: plain http off localhost, or a private window) or 'failed'. */
export async function registerApp({ afterMs = 2000 } = {}) {
  if (!('serviceWorker' in navigator)) return { state: 'unsupported', error: null };
  // after the page and its first sound: installing fetches every shell file, which a
  // slow phone should not do while the stream starts
  if (document.readyState !== 'complete') await new Promise((resolve) => window.addEventListener('load', resolve, { once: true }));
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  try {
    const reg = await navigator.serviceWorker.register('sw.js', { scope: './' });
    const worker = reg.active || reg.waiting || reg.installing;
    return { state: 'registered', worker: worker ? worker.state : null, error: null };
  } catch (e) {
    return { state: 'failed', error: String(e && e.message ? e.message : e).slice(0, 200) };
  }
}

/** Resolves once a service worker controls this page (at most `ms` later): true/false. */
export function controlled(ms = 10000) {
  if (!('serviceWorker' in navigator)) return Promise.resolve(false);
  if (navigator.serviceWorker.controller) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    navigator.serviceWorker.addEventListener('controllerchange', () => { clearTimeout(t); resolve(true); }, { once: true });
  });
}
