// Small line icons for the sounds of a scene (the layers), drawn inline as SVG in the
// text colour (currentColor), 24 x 24. Keyed by the icon names a scene layer carries
// (`icon`, from the list ICONS in soundscape/scene/labels.py); a name this page does not
// know, or no name, gets a generic sound icon. Where the server gives no icon or label
// yet, soundIcon() and soundLabel() derive them from the layer's name here, as the
// server does. No DOM beyond building one <svg> element; no state.

const P = (d) => `<path d="${d}"/>`;
const C = (cx, cy, r) => `<circle cx="${cx}" cy="${cy}" r="${r}"/>`;
const CLOUD = P('M7 15a4 4 0 0 1 .6-8A5.5 5.5 0 0 1 18 8.5a3.3 3.3 0 0 1-.5 6.5z');

/** The pictures: SVG markup inside a 24 x 24 view, stroked in the text colour. */
export const SOUND_ICONS = Object.freeze({
  rain: CLOUD + P('M8 18l-1 3M12 18l-1 3M16 18l-1 3'),
  wind: P('M3 8h11a3 3 0 1 0-3-3M3 12h15a3 3 0 1 1-3 3M3 16h7'),
  waves: P('M2 9c2.5 0 2.5-2 5-2s2.5 2 5 2 2.5-2 5-2 2.5 2 5 2M2 15c2.5 0 2.5-2 5-2s2.5 2 5 2 2.5-2 5-2 2.5 2 5 2'),
  fire: P('M12 3c1 4 6 6 6 11a6 6 0 0 1-12 0c0-3 2-5 3-7 .5 2 1.5 3 2.5 3.5C11 8 11.5 5 12 3z'),
  bird: P('M3 13c3 0 5-1 6-4 1.5-3 4-4 6-3l3 1-3 1c1 4-1 9-7 9-2 0-4-1-5-4zM9 13l4 2'),
  cricket: P('M7 13a5 3 0 1 0 10 0a5 3 0 1 0-10 0M17 12l3-5M15 10l2-6M9 15l-3 4M12 16v4M15 15l3 4'),
  frog: P('M3 16c0-4 4-7 9-7s9 3 9 7c0 2-4 3-9 3s-9-1-9-3z') + C(8, 8, 2) + C(16, 8, 2) + P('M9 15c2 1 4 1 6 0'),
  thunder: CLOUD + P('M13 15l-3 4h3l-2 4'),
  leaves: P('M5 19C5 10 10 5 20 4c0 9-5 15-13 15M5 19l8-8'),
  water: P('M12 3c3 5 6 8 6 11a6 6 0 0 1-12 0c0-3 3-6 6-11z'),
  cafe: P('M4 5h10a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2H9l-3 3v-3H4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2zM18 9h2a2 2 0 0 1 2 2v4a2 2 0 0 1-2 2h-1v3l-3-3h-3'),
  cup: P('M5 9h11v5a5 5 0 0 1-5 5h-1a5 5 0 0 1-5-5zM16 10h1.5a2.5 2.5 0 0 1 0 5H16M3 21h16M9 3c-1 1.5 1 2.5 0 4M13 3c-1 1.5 1 2.5 0 4'),
  train: P('M8 3h8a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3H8a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3zM5 10h14M9 18l-3 3M15 18l3 3') + C(9, 14.5, 0.8) + C(15, 14.5, 0.8),
  city: P('M3 21V10h5V4h7v8h6v9zM3 21h18M11 8h1M11 12h1M11 16h1M17 16h1M6 14h0'),
  clock: C(12, 12, 9) + P('M12 7v5l3 2'),
  keyboard: P('M3 7h18a1 1 0 0 1 1 1v8a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zM6 10h0M9 10h0M12 10h0M15 10h0M18 10h0M8 14h8'),
  chimes: P('M4 3h16M7 3v3M7 6v9M12 3v5M12 8v11M17 3v4M17 7v7') + C(12, 21, 1),
  bowl: P('M3 11h18a9 7 0 0 1-18 0zM8 21h8M12 3v4M8 5l1 2M16 5l-1 2'),
  fan: C(12, 12, 1.5) + P('M12 10.5c-1-3 0-7 3-7s3 5-1.5 7.5M13.5 12.5c3 1 5 5 2.5 6.5s-5-3-3-6.5M10.5 12.5c-3 1-7 0-6.5-3s5-2.5 6.5.5'),
  cat: P('M5 20V9l2-5 4 3h2l4-3 2 5v11zM9 12h0M15 12h0M10.5 15.5l1.5 1 1.5-1M3 15h4M17 15h4'),
  night: P('M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z'),
  snow: P('M12 2v20M3.3 7l17.4 10M3.3 17l17.4-10M9.5 3.5L12 6l2.5-2.5M9.5 20.5L12 18l2.5 2.5'),
  book: P('M2 5c4-1 7-1 10 1v14c-3-2-6-2-10-1zM22 5c-4-1-7-1-10 1v14c3-2 6-2 10-1z'),
  noise: P('M2 12h2l1.5-5 2 10 2-13 2 15 2-11 2 8 2-6 1.5 4H22'),
  generic: P('M4 9h3l5-4v14l-5-4H4zM16 8.5a5 5 0 0 1 0 7M19 6a9 9 0 0 1 0 12'),
});

// a layer's name (or label) word -> the icon it suggests; the first word that has one wins
const WORDS = {
  rain: 'rain', drizzle: 'rain', downpour: 'rain', drips: 'rain', drip: 'rain', hail: 'rain',
  wind: 'wind', gust: 'wind', gusts: 'wind', breeze: 'wind', howl: 'wind', valley: 'wind', air: 'wind',
  wave: 'waves', waves: 'waves', surf: 'waves', sea: 'waves', ocean: 'waves', lapping: 'waves', shore: 'waves',
  fire: 'fire', embers: 'fire', crackles: 'fire', crackle: 'fire', pops: 'fire', hearth: 'fire',
  bird: 'bird', birds: 'bird', song: 'bird', chorus: 'bird', gulls: 'bird', owl: 'bird', woodpecker: 'bird',
  crickets: 'cricket', cricket: 'cricket', insects: 'cricket', cicadas: 'cricket',
  frog: 'frog', frogs: 'frog', peepers: 'frog', bullfrog: 'frog',
  thunder: 'thunder', storm: 'thunder', leaves: 'leaves', leaf: 'leaves', forest: 'leaves',
  brook: 'water', stream: 'water', rapids: 'water', falls: 'water', waterfall: 'water', water: 'water',
  river: 'water', underwater: 'water',
  murmur: 'cafe', crowd: 'cafe', cafe: 'cafe', voices: 'cafe', room: 'cafe',
  cups: 'cup', cup: 'cup', cutlery: 'cup',
  train: 'train', rail: 'train', traffic: 'city', cars: 'city', city: 'city', rush: 'city', street: 'city',
  clock: 'clock', tick: 'clock', typing: 'keyboard', keyboard: 'keyboard', keys: 'keyboard',
  chimes: 'chimes', chime: 'chimes', bell: 'chimes', bowl: 'bowl',
  fan: 'fan', aircon: 'fan', ventilation: 'fan', hum: 'fan', cat: 'cat', purr: 'cat',
  night: 'night', snow: 'snow', winter: 'snow', pages: 'book', book: 'book', books: 'book',
  noise: 'noise', hiss: 'noise', static: 'noise',
};
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/** "rain-outside" -> "Rain outside": the layer's own label when it has one. */
export function soundLabel(layer) {
  const given = layer && typeof layer.label === 'string' ? layer.label.trim() : '';
  if (given) return given;
  const words = String((layer && layer.name) || 'sound').replace(/[-_.]+/g, ' ').trim() || 'sound';
  return words.charAt(0).toUpperCase() + words.slice(1);
}
/** The icon name for a layer: its own `icon` when this page draws it, else one its
 * name's words suggest, else 'generic'. */
export function soundIcon(layer) {
  if (layer && typeof layer.icon === 'string' && has(SOUND_ICONS, layer.icon)) return layer.icon;
  const words = `${(layer && layer.name) || ''} ${(layer && layer.label) || ''}`.toLowerCase().split(/[^a-z]+/);
  for (const w of words) if (w && has(WORDS, w)) return WORDS[w];
  return 'generic';
}
/** An <svg> element (decorative: hidden from screen readers) for icon `name`. */
export function iconSvg(name, size = 32) {
  const body = has(SOUND_ICONS, name) ? SOUND_ICONS[name] : SOUND_ICONS.generic;
  const tpl = document.createElement('template');
  tpl.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="${size}" height="${size}" `
    + 'fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" '
    + `aria-hidden="true" focusable="false" class="sound-icon" data-icon="${has(SOUND_ICONS, name) ? name : 'generic'}">${body}</svg>`;
  return tpl.content.firstChild;
}
