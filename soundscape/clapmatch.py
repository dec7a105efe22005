"""Optional CLAP ranking of sounds for ``soundscape new`` (the ``[gen]`` extra).

The keyword table of :mod:`soundscape.wordscene` misses words it has no entry for.
With transformers installed and a CLAP model on this machine, each missed word is
embedded with CLAP's text tower ("the sound of WORD") and compared (cosine
similarity) with the text of every sound of the table (its prompt and description);
the best sound is added when it scores at least ``min_score``. The whole
description is ranked the same way (:func:`rank_sounds`), for the studio.

Where the model comes from (never downloaded; ``local_files_only=True`` always):

1. ``$SOUNDSCAPE_CLAP_MODEL``: a folder saved with ``save_pretrained`` holding a
   ``ClapModel`` and its processor or tokenizer, or a diffusers AudioLDM2 pipeline
   folder (its ``text_encoder`` is a CLAP model, its ``tokenizer`` CLAP's); or a hub
   id looked up in the Hugging Face cache.
2. Otherwise the first of :data:`DEFAULT_MODELS` found in the Hugging Face cache.

torch and transformers are imported only here, lazily; without them, or without a
model, :func:`suggest_sounds` raises GeneratorError saying what is missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import GeneratorError
from .wordscene import SOUNDS, not_understood, sounds_asked_for

__all__ = ["DEFAULT_MODELS", "ClapText", "candidate_sounds", "find_model", "load_clap",
           "rank_sounds", "suggest_sounds"]

ENV = "SOUNDSCAPE_CLAP_MODEL"
DEFAULT_MODELS: tuple[str, ...] = (
    "laion/clap-htsat-unfused", "laion/clap-htsat-fused", "laion/larger_clap_general",
    "laion/larger_clap_music_and_speech", "cvssp/audioldm2",
)
MIN_SCORE = 0.5  # cosine; related sound descriptions score ~0.5-0.8 with laion CLAP
MAX_ADDED = 3
INSTALL_HINT = "pip install 'soundscape[gen]' (transformers and torch)"


def sound_text(key: str) -> str:
    """The text a sound is ranked by: its generator prompt and its description."""
    s = SOUNDS[key]
    prompt = s.prompt.replace("{surface}", "").replace("  ", " ").replace(" ,", ",")
    return f"{prompt}. {s.what}"


@dataclass
class ClapText:
    """A loaded CLAP text tower: ``embed(texts)`` gives unit-length float rows."""

    name: str
    model: Any
    tokenizer: Any

    def embed(self, texts: list[str]) -> Any:
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            features = self.model.get_text_features(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        if not isinstance(features, torch.Tensor):  # newer transformers: an output object
            features = getattr(features, "pooler_output", features[0])
        features = features.float()
        return features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def _hf_cache_dir() -> str:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(Path.home(), ".cache", "huggingface")
    return os.path.join(home, "hub")


def _cached(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    try:
        return Path(snapshot_download(repo_id, local_files_only=True,
                                      cache_dir=_hf_cache_dir()))
    except Exception:  # not in the cache (LocalEntryNotFoundError and friends)
        return None


def find_model() -> Path:
    """The folder of the CLAP model to use; GeneratorError saying where it looked."""
    given = os.environ.get(ENV, "").strip()
    if given:
        path = Path(given).expanduser()
        if path.is_dir():
            return path
        if "/" in given and not given.startswith((".", "/", "~")):
            found = _cached(given)
            if found is not None:
                return found
        raise GeneratorError(f"${ENV} = {given!r} is not a folder, nor a model in the "
                             f"Hugging Face cache at {_hf_cache_dir()}")
    for repo_id in DEFAULT_MODELS:
        found = _cached(repo_id)
        if found is not None:
            return found
    raise GeneratorError(
        f"no CLAP model on this machine (looked for ${ENV} and, in the Hugging Face "
        f"cache at {_hf_cache_dir()}, {', '.join(DEFAULT_MODELS)}); soundscape never "
        f"downloads: fetch one elsewhere with 'hf download laion/clap-htsat-unfused' "
        f"and copy the cache, or point ${ENV} at a saved folder")


@lru_cache(maxsize=2)
def load_clap(folder: str) -> ClapText:
    """Load the CLAP text tower saved in ``folder`` (cached per folder)."""
    try:
        from transformers import AutoTokenizer, ClapModel
    except ImportError:
        raise GeneratorError(f"CLAP ranking needs the optional extra: {INSTALL_HINT}") from None
    root = Path(folder)
    model_dir, tok_dir = root, root
    if (root / "text_encoder" / "config.json").is_file():  # an AudioLDM2 pipeline
        model_dir, tok_dir = root / "text_encoder", root / "tokenizer"
    try:
        model = ClapModel.from_pretrained(str(model_dir), local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(tok_dir), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GeneratorError(f"cannot load a CLAP model from {folder}: "
                             f"{type(exc).__name__}: {str(exc)[:200]}") from None
    model.eval()
    return ClapText(root.name, model, tokenizer)


def _clap(clap: ClapText | None) -> ClapText:
    return clap if clap is not None else load_clap(str(find_model()))


def candidate_sounds(description: str) -> list[str]:
    """The sounds CLAP may add: those the words did not ask for, in table order."""
    asked = set(sounds_asked_for(description))
    return [k for k in SOUNDS if k not in asked]


def rank_sounds(text: str, clap: ClapText | None = None) -> list[tuple[str, float]]:
    """Every sound of the table with its cosine similarity to ``text``, best first."""
    keys = list(SOUNDS)
    model = _clap(clap)
    emb = model.embed([text, *(sound_text(k) for k in keys)])
    scores = (emb[1:] @ emb[0]).tolist()
    return sorted(zip(keys, (round(float(s), 4) for s in scores), strict=True),
                  key=lambda ks: (-ks[1], ks[0]))


def suggest_sounds(description: str, clap: ClapText | None = None, *,
                   min_score: float = MIN_SCORE,
                   max_added: int = MAX_ADDED) -> tuple[dict[str, str], list[str]]:
    """Sounds to add for the words the table did not understand, and header notes.

    Returns ``(extra_sounds, notes)`` ready for
    ``scene_text_from_words(..., extra_sounds=..., extra_notes=...)``: each missed
    word's best sound among those the words did not already ask for, when its cosine
    is at least ``min_score`` (at most ``max_added`` sounds, best first; a sound is
    added once). Raises GeneratorError when transformers or a model is missing, and
    UsageError for an empty or too long description.
    """
    words = not_understood(description)
    model = _clap(clap)
    if not words:
        return {}, [f"CLAP ({model.name}): every word was in the table, nothing added"]
    keys = candidate_sounds(description)
    emb = model.embed([*(f"the sound of {w}" for w in words),
                       *(sound_text(k) for k in keys)])
    scores = emb[:len(words)] @ emb[len(words):].T  # (words, sounds)
    best: list[tuple[float, str, str]] = []
    for i, word in enumerate(words):
        j = int(scores[i].argmax())
        best.append((float(scores[i, j]), word, keys[j]))
    best.sort(key=lambda t: (-t[0], t[1]))
    extra: dict[str, str] = {}
    for score, word, key in best:
        if score >= min_score and key not in extra and len(extra) < max_added:
            extra[key] = f"CLAP ({model.name}): '{word}' is closest to {key} ({score:.2f})"
    skipped = [f"{w} ({k} {s:.2f})" for s, w, k in best if f"'{w}'" not in extra.get(k, "")]
    notes = [f"CLAP ({model.name}) added: {', '.join(extra) or 'nothing'}"
             f" (cosine at least {min_score:g})"]
    if skipped:
        notes.append(f"CLAP: not added (best match, cosine): {', '.join(skipped[:10])}")
    return extra, notes
