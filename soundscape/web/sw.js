// The service worker: the player's files (the app shell) kept in Cache Storage, so
// the page opens with no network.
//
// Ownership: this worker writes only the cache named SHELL_CACHE (and deletes older
// shell caches on activate). The kept mixes live in the cache 'soundscape-kept',
// written and read by offline.js in the page; this worker never touches them.
//
// Fetches: a file of the shell (a GET for a plain name at the root, or the page
// itself) goes to the network first, so a new version is seen at once, and the
// answer refreshes the cache; when the network fails, or is silent for SLOW_MS, the
// cached copy answers (the page: '/' whatever its query). Everything else (/api/, /stream/, /stems/, /hls/,
// /studio, downloads, websockets) is never answered from or written to a cache.
const VERSION = 'v1';
const SHELL_CACHE = `soundscape-shell-${VERSION}`;
// Every file the page loads: index.html, style.css, each ES module app.js imports
// (directly or not), the worklets, icons and the manifest. tests/test_pwa_offline.py
// checks this list against the imports, so a new module cannot be forgotten here.
const SHELL = [
  './', 'index.html', 'style.css', 'manifest.webmanifest', 'favicon.svg', 'icon-192.png', 'icon-512.png',
  'app.js', 'wire.js', 'transport.js', 'playback.js', 'playout.js', 'mix.js', 'ui.js', 'icons.js',
  'download.js', 'sleep.js', 'alarm.js', 'sound-icons.js', 'pwa.js', 'offline.js', 'media.js',
  'worklet.js', 'stems-worklet.js', 'keep-worklet.js', 'vendor/hls.min.js',
];
const SLOW_MS = 4000;   // a network that neither answers nor fails: the cache answers
const NOT_SHELL = /^\/(api|stream|stems|hls|studio)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // one by one: a file missing on this server (none should be) does not stop the rest
    await Promise.all(SHELL.map(async (name) => {
      try {
        const r = await fetch(new Request(name, { cache: 'no-cache' }));
        if (r.ok) await cache.put(name === './' ? 'index.html' : name, r);
      } catch (e) { /* offline while installing: the next visit fills it */ }
    }));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('soundscape-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The cache key of a shell request, or null: not a shell file. */
function shellKey(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NOT_SHELL.test(url.pathname)) return null;
  if (request.mode === 'navigate' || url.pathname === '/' || url.pathname === '/index.html') return 'index.html';
  const name = url.pathname.slice(1);
  if (name === 'sw.js') return null;   // the browser checks the worker itself
  return /^(vendor\/)?[A-Za-z0-9_.-]+\.(js|css|svg|png|webmanifest|json|ico|html)$/.test(name) ? name : null;
}

self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (key === null) return;   // not ours: the browser fetches it as if we were not here
  event.respondWith((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const fresh = fetch(event.request).then(async (r) => {
      if (r.ok && r.type === 'basic') await cache.put(key, r.clone());
      return r;
    });
    let timer;
    const slow = new Promise((resolve) => { timer = setTimeout(resolve, SLOW_MS); })
      .then(() => cache.match(key)).then((hit) => hit || fresh);
    try {
      return await Promise.race([fresh, slow]);
    } catch (e) {   // offline: the cached copy, else the network's failure
      const hit = await cache.match(key);
      if (hit) return hit;
      throw e;
    } finally { clearTimeout(timer); }
  })());
});
