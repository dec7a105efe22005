"""Finding a model's weights on disk, without torch and without the network.

``resolve_model(name)`` accepts an alias (``audioldm2``, ``audioldm2-large``,
``stable-audio-open``), a local folder written by ``save_pretrained``, or a hub id
(``org/name``) that must already be in the Hugging Face cache (``HF_HOME``,
``HF_HUB_CACHE``). It never downloads: hub ids are looked up with
``local_files_only=True`` whatever ``HF_HUB_OFFLINE`` says. The pipeline family,
output rate and longest call are read from the saved JSON configs, so a bank can be
checked for existing segments before torch is even imported.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GeneratorError
from .settings import MODEL_ALIASES

FAMILIES = {"AudioLDM2Pipeline": "audioldm2", "StableAudioPipeline": "stable-audio"}
INSTALL_HINT = "pip install 'soundscape[gen]'"


@dataclass(frozen=True)
class ModelRef:
    """A model found on disk.

    ``model_id`` names it in bank keys (the hub id, or the folder's absolute path);
    ``sample_rate`` and ``channels`` describe the pipeline's output; ``max_seconds``
    is the audio one call always computes (Stable Audio), None when the length is free.
    """

    name: str
    model_id: str
    folder: Path
    family: str
    sample_rate: int
    channels: int
    max_seconds: float | None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise GeneratorError(f"model folder {path.parent} has no {path.name}") from None
    except (OSError, ValueError) as exc:
        raise GeneratorError(f"cannot read {path}: {exc}") from None


def _describe(name: str, model_id: str, folder: Path) -> ModelRef:
    index = _read_json(folder / "model_index.json")
    cls = index.get("_class_name")
    family = FAMILIES.get(str(cls))
    if family is None:
        raise GeneratorError(
            f"model {name!r} ({folder}) is a {cls!r}; soundscape generates with "
            f"{' or '.join(FAMILIES)} only"
        )
    if family == "audioldm2":
        vocoder = _read_json(folder / "vocoder" / "config.json")
        return ModelRef(name, model_id, folder, family, int(vocoder["sampling_rate"]), 1, None)
    vae = _read_json(folder / "vae" / "config.json")
    transformer = _read_json(folder / "transformer" / "config.json")
    hop = math.prod(vae.get("downsampling_ratios", [2, 4, 4, 8, 8]))
    rate = int(vae["sampling_rate"])
    max_seconds = int(transformer["sample_size"]) * hop / rate
    return ModelRef(name, model_id, folder, family, rate, int(vae.get("audio_channels", 2)),
                    max_seconds)


def _hf_cache_dir() -> str:
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(Path.home(), ".cache", "huggingface")
    return os.path.join(home, "hub")


def fetch_hint(repo_id: str) -> str:
    return (
        f"fetch it on a machine with network with 'hf download {repo_id}' (or "
        f"'huggingface-cli download {repo_id}'), copy the cache to HF_HOME, or pass "
        f"--model PATH to a folder saved with save_pretrained"
    )


def resolve_model(name: str) -> ModelRef:
    """The model called ``name``, found locally; raises GeneratorError saying how to fetch it."""
    name = name.strip()
    if not name:
        raise GeneratorError("model name is empty")
    repo_id = MODEL_ALIASES.get(name)
    path = Path(name).expanduser()
    if repo_id is None and (path.exists() or name.startswith((".", "/", "~"))):
        if not path.is_dir():
            raise GeneratorError(f"model folder {path} does not exist or is not a folder")
        if not (path / "model_index.json").is_file():
            raise GeneratorError(
                f"model folder {path} has no model_index.json: it is not a diffusers "
                f"pipeline saved with save_pretrained"
            )
        return _describe(name, str(path.resolve()), path.resolve())
    if repo_id is None:
        parts = name.split("/")
        if len(parts) != 2 or not all(parts):
            raise GeneratorError(
                f"unknown model {name!r}: use one of {', '.join(MODEL_ALIASES)}, a hub id "
                f"like 'cvssp/audioldm2', or a local folder"
            )
        repo_id = name
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise GeneratorError(
            f"loading model {name!r} needs the optional extra: {INSTALL_HINT}"
        ) from None
    try:
        folder = snapshot_download(repo_id, local_files_only=True, cache_dir=_hf_cache_dir())
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError) as exc:
        raise GeneratorError(
            f"model {name!r} ({repo_id}) is not in the Hugging Face cache at "
            f"{_hf_cache_dir()} and soundscape never downloads while generating: "
            f"{fetch_hint(repo_id)} ({type(exc).__name__})"
        ) from None
    folder_path = Path(folder)
    if not (folder_path / "model_index.json").is_file():
        raise GeneratorError(
            f"model {name!r} ({repo_id}) is only partly in the cache at {folder_path}: "
            f"{fetch_hint(repo_id)}"
        )
    return _describe(name, repo_id, folder_path)
