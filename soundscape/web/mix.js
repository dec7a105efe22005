// A mix (scene + layer gains/mutes + volume): sanitising, share links, storage and
// favourites. No DOM, no sockets.
//
// A mix travels in share links (?scene=&gains=LAYER:DB,...&mute=LAYER,...&volume=0..1,
// the same parameters as a download, soundscape/mixdown.py), is remembered in
// localStorage (the last mix, named favourites) and is rendered to a file by
// /api/download. Every mix read from a link or from storage goes through sanitizeMix:
// unknown scenes and layers are dropped, numbers clamped, anything else ignored.

export const GAIN_MIN = -40, GAIN_MAX = 12;   // the layer sliders' range (mute is silence)
export const MAX_NAME = 80;
const MAX_LAYERS = 64, MAX_PARAM = 4096, MAX_FAVS = 50;
export const LAST_KEY = 'soundscape.last', FAV_KEY = 'soundscape.favourites';
export const LEGACY_SCENE_KEY = 'soundscape.scene';   // before mixes: the last scene's name
export const MIX_PARAMS = ['scene', 'gains', 'mute', 'volume'];

/** localStorage that may be missing, full, forbidden or hold junk: reads fall back,
 * a failed write is reported through onError(name) (null after a good write). */
export function makeStore(onError = () => {}) {
  return {
    get(key, fallback) {
      try {
        const text = window.localStorage.getItem(key);
        return text === null ? fallback : JSON.parse(text);
      } catch (e) { return fallback; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, JSON.stringify(value)); onError(null); return true; }
      catch (e) { onError(String(e && e.name || e)); return false; }
    },
  };
}

/** A finite number from a number or a plain decimal string, else null. */
export function num(x) {
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'string' && x.length < 32 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(x.trim()) && Number.isFinite(Number(x))) return Number(x);
  return null;
}
export const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
export function sceneByName(scenes, name) { return scenes.find((x) => x.name === name) || null; }

/** A clean {scene, layers: {name: {gain_db, muted}}, volume|null} or null: unknown
 * scenes give null, unknown layers and bad values are dropped, gains and volume clamped. */
export function sanitizeMix(raw, scenes) {
  if (!raw || typeof raw !== 'object') return null;
  const scene = typeof raw.scene === 'string' ? sceneByName(scenes, raw.scene) : null;
  if (!scene) return null;
  const names = new Set((scene.layers || []).map((l) => l.name));
  const layers = {};
  if (raw.layers && typeof raw.layers === 'object' && !Array.isArray(raw.layers)) {
    for (const [name, v] of Object.entries(raw.layers).slice(0, MAX_LAYERS)) {
      if (!names.has(name) || !v || typeof v !== 'object') continue;
      const g = num(v.gain_db), gain = g === null ? 0 : Math.round(clamp(g, GAIN_MIN, GAIN_MAX));
      const muted = v.muted === true;
      if (gain !== 0 || muted) layers[name] = { gain_db: gain, muted };
    }
  }
  const v = num(raw.volume);
  return { scene: scene.name, layers, volume: v === null ? null : Math.round(clamp(v, 0, 1) * 100) / 100 };
}

function decodeName(text) { try { return decodeURIComponent(text); } catch (e) { return null; } }
/** The mix a share link asks for (sanitised), or null when it names no known scene. */
export function mixFromParams(p, scenes) {
  const get = (k) => { const v = p.get(k); return v !== null && v.length <= MAX_PARAM ? v : null; };
  const scene = get('scene');
  if (!scene) return null;
  const layers = {};
  for (const item of (get('gains') || '').split(',').slice(0, MAX_LAYERS)) {
    const at = item.lastIndexOf(':');
    const name = at > 0 ? decodeName(item.slice(0, at)) : null;
    if (name !== null) layers[name] = { gain_db: item.slice(at + 1), muted: false };
  }
  for (const item of (get('mute') || '').split(',').slice(0, MAX_LAYERS)) {
    const name = item ? decodeName(item) : null;
    if (name !== null) layers[name] = { ...(layers[name] || { gain_db: 0 }), muted: true };
  }
  return sanitizeMix({ scene, layers, volume: get('volume') }, scenes);
}

/** The mix playing now: the state's scene, its layer settings that differ from the
 * broadcast (for layers shown), and the volume. */
export function currentMix(state) {
  const layers = {};
  const known = new Set(state.shownLayers.map((l) => l.name));
  for (const [name, v] of Object.entries(state.layers)) {
    if (known.has(name) && (v.gain_db || v.muted)) layers[name] = { gain_db: v.gain_db || 0, muted: !!v.muted };
  }
  return { scene: state.scene, layers, volume: state.volume };
}

const enc = (t) => encodeURIComponent(t).replace(/%3A/gi, ':').replace(/%2C/gi, ',');
/** scene=&gains=&mute=&volume= for a mix: layer names percent-encoded inside the lists. */
export function mixQuery(mix) {
  const gains = Object.entries(mix.layers).filter(([, v]) => v.gain_db)
    .map(([n, v]) => `${encodeURIComponent(n)}:${v.gain_db}`);
  const mutes = Object.entries(mix.layers).filter(([, v]) => v.muted).map(([n]) => encodeURIComponent(n));
  let q = `scene=${encodeURIComponent(mix.scene)}`;
  if (gains.length) q += `&gains=${enc(gains.join(','))}`;
  if (mutes.length) q += `&mute=${enc(mutes.join(','))}`;
  if (mix.volume !== null && mix.volume !== undefined) q += `&volume=${mix.volume}`;
  return q;
}

/** The mix a page opens with: a share link wins over the last mix; the old scene key
 * still counts; else the first scene. {mix, from: 'link'|'last'|'none'}. */
export function openingMix(params, store, scenes) {
  const shared = mixFromParams(params, scenes);
  const last = shared ? null : sanitizeMix(store.get(LAST_KEY, null), scenes);
  const legacy = store.get(LEGACY_SCENE_KEY, null);
  let mix = shared || last || sanitizeMix({ scene: typeof legacy === 'string' ? legacy : null }, scenes);
  if (!mix && scenes.length) mix = { scene: scenes[0].name, layers: {}, volume: null };
  return { mix, from: shared ? 'link' : last ? 'last' : 'none' };
}

// -- favourites: [{id, name, scene, layers, volume}]; entries for scenes this server
// lacks are kept in storage but not listed -----------------------------------------------
export function loadFavourites(store) {
  const raw = store.get(FAV_KEY, []), favs = [];
  for (const f of Array.isArray(raw) ? raw.slice(0, MAX_FAVS) : []) {
    if (!f || typeof f !== 'object' || typeof f.scene !== 'string' || f.scene.length > 200) continue;
    const layers = f.layers && typeof f.layers === 'object' && !Array.isArray(f.layers) ? f.layers : {};
    favs.push({ id: String(f.id || `f${favs.length}`).slice(0, 40), name: String(f.name || f.scene).slice(0, MAX_NAME),
      scene: f.scene, layers, volume: num(f.volume) });
  }
  return favs;
}
/** `favs` with `mix` added first, named `name` or after the scene's title (numbered
 * when the scene has favourites already); the new entry's id. */
export function addFavourite(favs, mix, name, title) {
  const same = favs.filter((f) => f.scene === mix.scene).length;
  const fav = { id: `f${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    name: String(name || (same ? `${title} ${same + 1}` : title)).slice(0, MAX_NAME), ...mix };
  favs.unshift(fav);
  favs.length = Math.min(favs.length, MAX_FAVS);
  return fav.id;
}
