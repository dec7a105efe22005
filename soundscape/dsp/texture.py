"""Texture synthesis: endless, non-repeating material with a short clip's statistics.

Granular resynthesis. Grain ``k`` starts at output frame ``k * hop``, lasts a
random 100-300 ms (Hann window) and copies the clip from a random position; all
channels take the same position, so the stereo image is kept. Grains are summed
and divided by ``sqrt(sum of squared windows)``: the grains are uncorrelated
stretches of a noise-like texture, so their powers add and this constant-power
normalisation keeps the level of the clip everywhere, whatever the overlap.

Rain, wind, surf, room tone and other noise-like textures come out with the clip's
spectrum and short-term envelope statistics; what is lost is structure longer than
a grain (a melody, a gust that swells over seconds). Because every output second is
a sum of a dozen grains from independent random positions, no stretch of output
repeats an earlier one, however long it runs.

Position-addressable: :meth:`GrainTexture.render` gives frames ``[start, start +
frames)`` of one endless signal fixed by ``seed`` (each grain's length and position
come from a generator seeded by ``(seed, grain block)``), so any split into blocks
gives the same samples. Pure: numpy in, numpy out.
"""

from __future__ import annotations

import numpy as np

from ..seeds import generator

GRAIN_SECONDS = (0.1, 0.3)
HOP_SECONDS = 0.08  # about 2.5 grains overlap: dense enough to be smooth, sparse
# enough to keep the clip's transients (drops, crackles) from smearing into hiss
_BLOCK = 256  # grains whose parameters are drawn together
_OFFSET = 1 << 40  # keeps generator seeds non-negative for grains before frame 0


class GrainTexture:
    """An endless granular texture drawn from ``clips``.

    ``clips`` is one float32 (channels, frames) array or a list of them (same channel
    count, same ``rate``); each grain comes from one clip, chosen with probability
    proportional to its length. Grain lengths and the hop are set in seconds
    (``grain_seconds`` low/high, ``hop_seconds``) and converted to frames once.
    """

    def __init__(self, clips: np.ndarray | list[np.ndarray], rate: int, seed: int,
                 grain_seconds: tuple[float, float] = GRAIN_SECONDS,
                 hop_seconds: float = HOP_SECONDS):
        listed = [clips] if isinstance(clips, np.ndarray) else list(clips)
        self.clips = [np.asarray(c, dtype=np.float32) for c in listed]
        if not self.clips:
            raise ValueError("no clips to make a texture from")
        for c in self.clips:
            if c.ndim != 2 or c.shape[1] < 4 or c.shape[0] != self.clips[0].shape[0]:
                raise ValueError(f"clips must be (channels, frames >= 4) with one channel "
                                 f"count, got {[c.shape for c in self.clips]}")
        sizes = np.array([c.shape[1] for c in self.clips], dtype=np.float64)
        self._weights = sizes / sizes.sum()
        self.seed = int(seed)
        longest = int(sizes.min())
        self.grain_low = max(4, min(int(round(grain_seconds[0] * rate)), longest))
        self.grain_high = max(self.grain_low, min(int(round(grain_seconds[1] * rate)), longest))
        # the hop stays under the shortest grain so grains always overlap
        self.hop = max(1, min(int(round(hop_seconds * rate)), self.grain_low // 2))
        self._cache: dict[int, np.ndarray] = {}
        self._windows: dict[int, np.ndarray] = {}

    def _params(self, k: np.ndarray) -> np.ndarray:
        """(clip, length, clip position) of grains ``k`` (ascending int64) as (3, n)."""
        out = np.empty((3, k.size), dtype=np.int64)
        blocks = np.floor_divide(k, _BLOCK)
        for block in np.unique(blocks):
            b = int(block)
            if b not in self._cache:
                if len(self._cache) > 64:
                    self._cache.clear()
                rng = generator(self.seed, "texture", b + _OFFSET)
                which = rng.choice(len(self.clips), _BLOCK, p=self._weights)
                length = rng.integers(self.grain_low, self.grain_high + 1, _BLOCK)
                sizes = np.array([c.shape[1] for c in self.clips])[which]
                pos = (rng.random(_BLOCK) * (sizes - length + 1)).astype(np.int64)
                self._cache[b] = np.stack([which, length, pos])
            sel = blocks == block
            out[:, sel] = self._cache[b][:, k[sel] - b * _BLOCK]
        return out

    def _window(self, n: int) -> np.ndarray:
        w = self._windows.get(n)
        if w is None:
            # periodic Hann over n frames, strictly positive inside
            w = np.sin(np.pi * (np.arange(n) + 0.5) / n).astype(np.float32) ** 2
            self._windows[n] = w
        return w

    def render(self, start: int, frames: int) -> np.ndarray:
        """Frames ``[start, start + frames)`` as float32 (channels, frames)."""
        channels = self.clips[0].shape[0]
        out = np.zeros((channels, frames), dtype=np.float32)
        power = np.zeros(frames, dtype=np.float32)
        if frames <= 0:
            return out
        end = start + frames
        first = -((self.grain_high - start) // self.hop)  # ceil((start - high) / hop)
        last = (end - 1) // self.hop
        k = np.arange(first, last + 1, dtype=np.int64)
        params = self._params(k)
        for kk, c, n, pos in zip(k.tolist(), *params.tolist(), strict=True):
            g0 = kk * self.hop
            lo, hi = max(start, g0), min(end, g0 + n)
            if lo >= hi:
                continue
            w = self._window(n)[lo - g0 : hi - g0]
            s = pos + (lo - g0)
            out[:, lo - start : hi - start] += self.clips[c][:, s : s + (hi - lo)] * w
            power[lo - start : hi - start] += w * w
        # grains overlap everywhere (hop <= half the shortest grain): power > 0.1
        np.maximum(power, 1e-12, out=power)
        out /= np.sqrt(power)
        return out


class TextureStream:
    """Pull-based node over a :class:`GrainTexture`: ``pull(frames)`` -> (channels, frames).

    The block contract of the mixer graph (exactly ``frames`` long, float32); the
    samples depend only on the absolute position, never on block sizes.
    """

    def __init__(self, texture: GrainTexture):
        self.texture = texture
        self.position = 0

    def seek(self, frame: int) -> None:
        """Go to absolute ``frame``: its samples depend on the position alone."""
        self.position = frame

    def pull(self, frames: int) -> np.ndarray:
        out = self.texture.render(self.position, frames)
        self.position += frames
        return out


def extend(clips: np.ndarray | list[np.ndarray], rate: int, frames: int, seed: int
           ) -> np.ndarray:
    """``frames`` of non-repeating texture made from ``clips`` (float32 (channels, frames))."""
    return GrainTexture(clips, rate, seed).render(0, frames)
