// Per-scene artwork: small hand-made SVGs (64 x 64), chosen by scene name, else by the
// first tag that has one, else a generic waveform. Kept in a module (not a folder of
// .svg files) because the server serves the player's files by plain name only; the
// same SVG text feeds <img> tags and the Media Session artwork (as data URLs).
const bg = (a, b) => `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">`
  + `<stop offset="0" stop-color="${a}"/><stop offset="1" stop-color="${b}"/></linearGradient></defs>`
  + '<rect width="64" height="64" rx="14" fill="url(#g)"/>';
const svg = (body) => `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${body}</svg>`;
const W = 'fill="none" stroke-linecap="round" stroke-linejoin="round"';
/** One layer: `colour path` fills the path; `colour/width path` strokes it (round ends). */
function layer(paint, d) {
  const [colour, width] = paint.split('/');
  return width ? `<path d="${d}" ${W} stroke="${colour}" stroke-width="${width}"/>`
    : `<path d="${d}" fill="${colour}"/>`;
}

// The artwork as data: a line `key top bottom` starts a picture on a background
// gradient from the top colour to the bottom one; each indented line under it is a
// layer, drawn in order (circles are arcs; #rrggbbaa is a see-through colour).
const DRAWINGS = `
rain #2b3a55 #141b29
  #c9d6e8 M18 30a9 9 0 0 1 2-17.8A12 12 0 0 1 43 14a8 8 0 0 1 3 16z
  #6cb4ff/3 M22 37l-3 8M32 37l-3 8M42 37l-3 8M27 47l-3 8M37 47l-3 8
storm #32304a #120f1c
  #8d93a8 M17 30a9 9 0 0 1 2-17.8A12 12 0 0 1 42 14a8 8 0 0 1 3 16z
  #ffd54a M34 30l-8 14h7l-4 13 12-17h-7l4-10z
  #6cb4ff/3 M19 37l-3 7M47 37l-3 7
water #1f4a4a #0d2128
  #8fd3c7/4 M8 50c6-8 14 2 22-6s14-4 18-10
  #5d6b6b M15 30a7 4 0 1 0 14 0a7 4 0 1 0 -14 0zM36 44a8 4.5 0 1 0 16 0a8 4.5 0 1 0 -16 0z
  #6cb4ff/3 M10 22c5-3 9 3 14 0s9 3 14 0
ocean #3c6e9e #0e2a44
  #ffe6a8 M39 18a7 7 0 1 0 14 0a7 7 0 1 0 -14 0z
  #cfe8ff/3.5 M4 36c7 0 7-6 14-6s7 6 14 6 7-6 14-6 7 6 14 6
  #6cb4ff/3.5 M4 47c7 0 7-6 14-6s7 6 14 6 7-6 14-6 7 6 14 6
fire #4a2a1c #1a0f0b
  #ff8a3d M32 10c2 10 14 14 14 28a14 14 0 0 1-28 0c0-7 4-11 6-15 1 5 3 7 5 8-1-9 1-15 3-21z
  #ffd54a M32 30c1 5 7 7 7 13a7 7 0 0 1-14 0c0-4 3-6 4-9 1 2 2 3 3 3z
  #8b5a3c/4 M14 54l36-6M14 48l36 6
forest #e9b872 #3f6b4a
  #ffe6a8 M20 40a12 12 0 1 0 24 0a12 12 0 1 0 -24 0z
  #24452f M14 54l8-26 8 26zM34 54l10-34 10 34z
  #24452f/2 M40 14c2-2 4-2 6 0 2-2 4-2 6 0
wind #7c93ad #2c3848
  #e8eef5 M4 58l18-30 10 14 8-10 20 26z
  #ffffff/3 M8 16h30a6 6 0 1 0-6-6M8 24h40a6 6 0 1 1-6 6M14 32h16
night #1c2350 #0a0d1f
  #f3e7b3 M40 10a16 16 0 1 0 14 24A13 13 0 0 1 40 10z
  #fff M12.4 16a1.6 1.6 0 1 0 3.2 0a1.6 1.6 0 1 0 -3.2 0zM20.8 30a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0zM50.8 12a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0z
  #3fb37f/2.5 M4 60c4-10 8-10 10-2 2-10 6-10 8 0 2-8 6-8 8 2
cafe #5a3b2e #21140f
  #fff/2.5 M24 24c-3-4 3-6 0-10M32 24c-3-4 3-6 0-10M40 24c-3-4 3-6 0-10
  #e8dcc8/3 M44 34h3a5 5 0 0 1 0 10h-4M10 56h40
  #e8dcc8 M14 30h30v8a13 13 0 0 1-13 13h-4A13 13 0 0 1 14 38z
train #27305e #0c1026
  #c9d6e8 M24 10h16a8 8 0 0 1 8 8v22a8 8 0 0 1 -8 8h-16a8 8 0 0 1 -8 -8v-22a8 8 0 0 1 8 -8z
  #1c2350 M24 16h16a3 3 0 0 1 3 3v7a3 3 0 0 1 -3 3h-16a3 3 0 0 1 -3 -3v-7a3 3 0 0 1 3 -3z
  #ffd54a M21 40a3 3 0 1 0 6 0a3 3 0 1 0 -6 0zM37 40a3 3 0 1 0 6 0a3 3 0 1 0 -6 0z
  #8d93a8/2.5 M14 62l8-12M50 62l-8-12M17 57h30
city #3a4660 #151b27
  #4b5a75 M6 58V30h10v-8h8v14h6V18h12v22h6V30h10v28z
  #ffd54a M33 22h3v3h-3zM33 30h3v3h-3zM9 34h3v3H9zM50 36h3v3h-3zM19 26h2v3h-2z
  #6cb4ff/2.5 M14 6l-3 8M28 4l-3 8M48 6l-3 8M58 14l-3 8
library #4a3a5c #1a1424
  #ff8a3d M10 52V26h8v26z
  #6cb4ff M20 52V22h8v30z
  #3fb37f M30 52l7-23 7 2-7 21z
  #f3e7b3 M40 16a8 8 0 1 0 16 0a8 8 0 1 0 -16 0z
  #8b5a3c/2.5 M48 11v5l3 3M8 54h48
porch #8fb5c9 #2c4a5a
  #e8eef5/1.5 M20 12v10M28 12v16M36 12v12M44 12v20M32 12v28
  #ffd54a M18 22h4v22h-4zM26 28h4v20h-4zM34 24h4v24h-4zM42 32h4v16h-4z
  #8b5a3c M29 44a3 3 0 1 0 6 0a3 3 0 1 0 -6 0z
  #8b5a3c/4 M12 12h40
  #e8eef5/2 M8 56c6-3 12 3 18 0s12-3 18 0
focus #2f3d4a #12181e
  #ffe6a8a6 M37 23l18 3 4 31H33z
  #ffd54a M34 20l12-10 12 14z
  #8d93a8/3 M20 55l8-23 12-10M6 58h52
  #8d93a8 M11 55a9 3 0 1 0 18 0a9 3 0 1 0 -18 0z
  #5d6b6b M37 50h18a1 1 0 0 1 1 1v4H36v-4a1 1 0 0 1 1-1z
pond #3a3560 #0f1f24
  #f3e7b3 M42 14a6 6 0 1 0 12 0a6 6 0 1 0 -12 0z
  #2f7a4f M12 50a20 6 0 1 0 40 0a20 6 0 1 0 -40 0z
  #3fb37f M23 43a9 6 0 1 0 18 0a9 6 0 1 0 -18 0zM24 36a3 3 0 1 0 6 0a3 3 0 1 0 -6 0zM34 36a3 3 0 1 0 6 0a3 3 0 1 0 -6 0z
  #0f1f24 M25.8 36a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0zM35.8 36a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0z
  #24452f/2 M8 58V30M13 58V36M57 58V34
  #8b5a3c/4 M8 30v-6M57 34v-6
waterfall #4f7a6a #10262a
  #5d6b6b M4 58V14h18v44zM42 58V14h18v44z
  #cfe8ff/4 M26 14v34M32 14v38M38 14v34
  #3fb37f/4 M4 14h18M42 14h18
  #fff/3 M16 53c4-4 8 0 12-3s8 3 12 0 8 3 12 0
snow #6f8db0 #1e2c44
  #24452f M10 56l10-30 10 30zM30 56l14-40 14 40z
  #fff M16 38l4-12 4 12-4-2zM39 31l5-15 5 15-5-3z
  #fff M28.5 10a1.5 1.5 0 1 0 3 0a1.5 1.5 0 1 0 -3 0zM53 24a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0zM7 30a1.2 1.2 0 1 0 2.4 0a1.2 1.2 0 1 0 -2.4 0z
  #fff/1.8 M14 8v10M9 13h10M10.5 9.5l7 7M17.5 9.5l-7 7
  #e8eef5/3 M6 57c9-4 17-4 26 0s17 4 26 0
woodland #a8c98f #2f5a3a
  #8b5a3c M22 62V4h14v58z
  #5a3b2e/2 M26 14v8M31 30v10M26 46v8M37 19h-3
  #1f1f1f M37 30a5 9 0 1 0 10 0a5 9 0 1 0 -10 0zM37 19a4 4 0 1 0 8 0a4 4 0 1 0 -8 0z
  #e5484d M38 17a4 4 0 0 1 7 0z
  #fff/2 M42 27v6
  #1f1f1f/3 M44 38l2 7
generic #2a3441 #11161c
  #6cb4ff/3.5 M10 32h6l4-10 6 22 6-28 6 26 5-16 4 6h7
`;
function parse(text) {
  const art = {};
  let key = '';
  for (const line of text.trim().split('\n')) {
    const [first, ...rest] = line.trim().split(/\s+/);
    if (line.startsWith(' ')) art[key] += layer(first, rest.join(' '));
    else { key = first; art[key] = bg(rest[0], rest[1]); }
  }
  return Object.fromEntries(Object.entries(art).map(([name, body]) => [name, svg(body)]));
}
/** Every picture's SVG text, by artwork key. */
export const ARTWORK = Object.freeze(parse(DRAWINGS));

// shipped scenes by name; anything else by its tags
const BY_NAME = {
  'brook': 'water', 'fireplace-cabin': 'fire', 'forest-dawn': 'forest', 'mountain-wind': 'wind',
  'ocean-shore': 'ocean', 'rainy-night': 'rain', 'summer-night': 'night', 'thunderstorm': 'storm',
  'coffee-shop': 'cafe', 'night-train': 'train', 'city-rain': 'city', 'library': 'library',
  'porch-chimes': 'porch', 'focus-room': 'focus', 'pond-dusk': 'pond', 'waterfall-valley': 'waterfall',
  'winter-cabin': 'snow', 'woodland': 'woodland',
};
const BY_TAG = {
  rain: 'rain', drizzle: 'rain', storm: 'storm', thunder: 'storm', water: 'water', brook: 'water',
  stream: 'water', river: 'water', ocean: 'ocean', sea: 'ocean', waves: 'ocean', beach: 'ocean',
  fire: 'fire', fireplace: 'fire', cozy: 'fire', forest: 'forest', birds: 'forest',
  dawn: 'forest', wind: 'wind', mountain: 'wind', night: 'night', crickets: 'night', insects: 'night',
  cafe: 'cafe', coffee: 'cafe', train: 'train', railway: 'train', travel: 'train', city: 'city',
  traffic: 'city', street: 'city', urban: 'city', library: 'library', study: 'library',
  reading: 'library', books: 'library', indoor: 'library', porch: 'porch', chimes: 'porch',
  focus: 'focus', office: 'focus', work: 'focus', typing: 'focus', desk: 'focus', pond: 'pond',
  frogs: 'pond', frog: 'pond', lake: 'pond', waterfall: 'waterfall', falls: 'waterfall',
  snow: 'snow', snowfall: 'snow', winter: 'snow', woodland: 'woodland', woods: 'woodland',
  woodpecker: 'woodland', trees: 'woodland',
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
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(ARTWORK[iconKey(scene)])}`;
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
