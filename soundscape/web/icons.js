// Per-scene artwork: small hand-made SVGs (64 x 64), chosen by scene name, else by the
// first tag that has one, else a generic waveform. Kept in a module (not a folder of
// .svg files) because the server serves the player's files by plain name only; the
// same SVG text feeds <img> tags and the Media Session artwork (as data URLs).
const bg = (a, b) => `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">`
  + `<stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>`
  + '<rect width="64" height="64" rx="14" fill="url(#g)"/>';
const svg = (body) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${body}</svg>`;
const W = 'fill="none" stroke-linecap="round" stroke-linejoin="round"';

const ART = {
  rain: svg(bg('#2b3a55', '#141b29')
    + '<path d="M18 30a9 9 0 0 1 2-17.8A12 12 0 0 1 43 14a8 8 0 0 1 3 16z" fill="#c9d6e8"/>'
    + `<path d="M22 37l-3 8M32 37l-3 8M42 37l-3 8M27 47l-3 8M37 47l-3 8" ${W} stroke="#6cb4ff" stroke-width="3"/>`),
  storm: svg(bg('#32304a', '#120f1c')
    + '<path d="M17 30a9 9 0 0 1 2-17.8A12 12 0 0 1 42 14a8 8 0 0 1 3 16z" fill="#8d93a8"/>'
    + '<path d="M34 30l-8 14h7l-4 13 12-17h-7l4-10z" fill="#ffd54a"/>'
    + `<path d="M19 37l-3 7M47 37l-3 7" ${W} stroke="#6cb4ff" stroke-width="3"/>`),
  water: svg(bg('#1f4a4a', '#0d2128')
    + '<path d="M8 50c6-8 14 2 22-6s14-4 18-10" fill="none" stroke="#8fd3c7" stroke-width="4" stroke-linecap="round"/>'
    + '<ellipse cx="22" cy="30" rx="7" ry="4" fill="#5d6b6b"/><ellipse cx="44" cy="44" rx="8" ry="4.5" fill="#5d6b6b"/>'
    + `<path d="M10 22c5-3 9 3 14 0s9 3 14 0" ${W} stroke="#6cb4ff" stroke-width="3"/>`),
  ocean: svg(bg('#3c6e9e', '#0e2a44')
    + '<circle cx="46" cy="18" r="7" fill="#ffe6a8"/>'
    + `<path d="M4 36c7 0 7-6 14-6s7 6 14 6 7-6 14-6 7 6 14 6" ${W} stroke="#cfe8ff" stroke-width="3.5"/>`
    + `<path d="M4 47c7 0 7-6 14-6s7 6 14 6 7-6 14-6 7 6 14 6" ${W} stroke="#6cb4ff" stroke-width="3.5"/>`),
  fire: svg(bg('#4a2a1c', '#1a0f0b')
    + '<path d="M32 10c2 10 14 14 14 28a14 14 0 0 1-28 0c0-7 4-11 6-15 1 5 3 7 5 8-1-9 1-15 3-21z" fill="#ff8a3d"/>'
    + '<path d="M32 30c1 5 7 7 7 13a7 7 0 0 1-14 0c0-4 3-6 4-9 1 2 2 3 3 3z" fill="#ffd54a"/>'
    + '<path d="M14 54l36-6M14 48l36 6" stroke="#8b5a3c" stroke-width="4" stroke-linecap="round"/>'),
  forest: svg(bg('#e9b872', '#3f6b4a')
    + '<circle cx="32" cy="40" r="12" fill="#ffe6a8"/>'
    + '<path d="M14 54l8-26 8 26zM34 54l10-34 10 34z" fill="#24452f"/>'
    + `<path d="M40 14c2-2 4-2 6 0 2-2 4-2 6 0" ${W} stroke="#24452f" stroke-width="2"/>`),
  wind: svg(bg('#7c93ad', '#2c3848')
    + '<path d="M4 58l18-30 10 14 8-10 20 26z" fill="#e8eef5"/>'
    + `<path d="M8 16h30a6 6 0 1 0-6-6M8 24h40a6 6 0 1 1-6 6M14 32h16" ${W} stroke="#ffffff" stroke-width="3"/>`),
  night: svg(bg('#1c2350', '#0a0d1f')
    + '<path d="M40 10a16 16 0 1 0 14 24A13 13 0 0 1 40 10z" fill="#f3e7b3"/>'
    + '<circle cx="14" cy="16" r="1.6" fill="#fff"/><circle cx="22" cy="30" r="1.2" fill="#fff"/><circle cx="52" cy="12" r="1.2" fill="#fff"/>'
    + '<path d="M4 60c4-10 8-10 10-2 2-10 6-10 8 0 2-8 6-8 8 2" fill="none" stroke="#3fb37f" stroke-width="2.5" stroke-linecap="round"/>'),
  generic: svg(bg('#2a3441', '#11161c')
    + `<path d="M10 32h6l4-10 6 22 6-28 6 26 5-16 4 6h7" ${W} stroke="#6cb4ff" stroke-width="3.5"/>`),
};
// shipped scenes by name; anything else by its tags
const BY_NAME = {
  'brook': 'water', 'fireplace-cabin': 'fire', 'forest-dawn': 'forest', 'mountain-wind': 'wind',
  'ocean-shore': 'ocean', 'rainy-night': 'rain', 'summer-night': 'night', 'thunderstorm': 'storm',
};
const BY_TAG = {
  rain: 'rain', drizzle: 'rain', storm: 'storm', thunder: 'storm', water: 'water', brook: 'water',
  stream: 'water', river: 'water', ocean: 'ocean', sea: 'ocean', waves: 'ocean', beach: 'ocean',
  fire: 'fire', fireplace: 'fire', cozy: 'fire', forest: 'forest', birds: 'forest',
  dawn: 'forest', wind: 'wind', mountain: 'wind', winter: 'wind', night: 'night',
  crickets: 'night', insects: 'night',
};

/** The artwork key for a scene ({name, tags}): by name, then by tag, else 'generic'. */
export function iconKey(scene) {
  if (!scene) return 'generic';
  if (Object.prototype.hasOwnProperty.call(BY_NAME, scene.name)) return BY_NAME[scene.name];
  for (const tag of scene.tags || []) {
    const key = String(tag).toLowerCase();
    if (Object.prototype.hasOwnProperty.call(BY_TAG, key)) return BY_TAG[key];
  }
  return 'generic';
}
/** A data: URL of the scene's SVG artwork. */
export function iconUrl(scene) {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(ART[iconKey(scene)])}`;
}
const pngCache = new Map();
/** PNG data URLs of the artwork at `sizes` (Media Session: some systems show no SVG). */
export async function iconPngs(scene, sizes = [96, 256, 512]) {
  const key = `${iconKey(scene)}|${sizes.join(',')}`;
  if (!pngCache.has(key)) {
    pngCache.set(key, new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        const out = [];
        for (const n of sizes) {
          const c = document.createElement('canvas'); c.width = c.height = n;
          c.getContext('2d').drawImage(img, 0, 0, n, n);
          try { out.push({ src: c.toDataURL('image/png'), sizes: `${n}x${n}`, type: 'image/png' }); } catch (e) { /* tainted */ }
        }
        resolve(out);
      };
      img.onerror = () => resolve([]);
      img.src = iconUrl(scene);
    }));
  }
  return pngCache.get(key);
}
