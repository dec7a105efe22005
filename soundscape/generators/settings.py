"""Generation settings: PRODUCT.md defaults, overridden by scene, layer and command line.

Pure: no torch, no I/O. ``resolve_settings`` merges, in increasing priority, the
built-in defaults, the scene's ``[generator]`` table, the layer's ``generator``
table and the command-line overrides, and returns one frozen :class:`GenSettings`
per layer. ``variant_key`` turns settings plus a variant into the bank key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import GeneratorError
from ..scene import Bed, Layer, Scene
from ..seeds import derive

#: Bumped whenever post-processing, gates or seeding change the stored audio.
GENERATOR_VERSION = 1

# Prompt findings from shared/PRODUCT.md (AudioLDM2 seed experiments).
DEFAULT_QUALITY_PREFIX = "high quality recording of"
DEFAULT_NEGATIVE_PROMPT = "music, voices, low quality, distorted"
DEFAULT_GUIDANCE = 6.0
DEFAULT_STEPS = 50
DEFAULT_CANDIDATES = 3
DEFAULT_EVENT_SECONDS = 8.0
SCHEDULERS = ("default", "ddim", "dpm")

#: Model aliases accepted by ``--model`` and ``generator.model``.
MODEL_ALIASES = {
    "audioldm2": "cvssp/audioldm2",
    "audioldm2-large": "cvssp/audioldm2-large",
    "stable-audio-open": "stabilityai/stable-audio-open-1.0",
}
DEFAULT_MODEL = "audioldm2"


@dataclass(frozen=True)
class GenSettings:
    """Everything about one layer's generation that determines the audio.

    ``prompt`` is the full prompt sent to the model (quality prefix included);
    ``seconds`` is the length of one finished segment (beds) or the longest event.
    """

    model: str
    prompt: str
    negative_prompt: str
    guidance: float
    steps: int
    candidates: int
    seconds: float
    scheduler: str
    high_band: bool
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def full_prompt(prefix: str, prompt: str) -> str:
    """``prefix + prompt`` unless the prompt already starts with the prefix."""
    prefix = prefix.strip()
    prompt = prompt.strip()
    if not prefix or prompt.lower().startswith(prefix.lower()):
        return prompt
    return f"{prefix} {prompt}"


def resolve_settings(
    scene: Scene, layer: Layer, overrides: dict[str, Any] | None = None
) -> GenSettings:
    """Merged settings for ``layer``; ``overrides`` (command line) win over the scene.

    Raises GeneratorError naming the scene, layer and value for a bad scheduler.
    """
    if layer.prompt is None:
        raise GeneratorError(f"{scene.path}: layer {layer.name!r} has no prompt to generate from")
    merged: dict[str, Any] = {}
    merged.update(scene.generator)
    merged.update(layer.generator)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    scheduler = str(merged.get("scheduler", "default"))
    if scheduler not in SCHEDULERS:
        raise GeneratorError(
            f"{scene.path}: layer {layer.name!r}: scheduler {scheduler!r} is not one of "
            f"{', '.join(SCHEDULERS)}"
        )
    is_bed = isinstance(layer, Bed)
    seconds = merged.get("seconds")
    if seconds is None:
        seconds = scene.master.segment_seconds if is_bed else DEFAULT_EVENT_SECONDS
    return GenSettings(
        model=str(merged.get("model", DEFAULT_MODEL)),
        prompt=full_prompt(str(merged.get("quality_prefix", DEFAULT_QUALITY_PREFIX)), layer.prompt),
        negative_prompt=str(merged.get("negative_prompt", DEFAULT_NEGATIVE_PROMPT)),
        guidance=float(merged.get("guidance", DEFAULT_GUIDANCE)),
        steps=int(merged.get("steps", DEFAULT_STEPS)),
        candidates=int(merged.get("candidates", DEFAULT_CANDIDATES)),
        seconds=float(seconds),
        scheduler=scheduler,
        high_band=bool(merged.get("high_band", False)),
        kind=layer.kind,
    )


def take_seed(scene_seed: int, layer: Layer, take: int) -> int:
    """A stable 32-bit seed for one model call item (take) of one layer."""
    return derive(seed=scene_seed, layer=layer.name, take=take)


def variant_key(
    settings: GenSettings,
    model_id: str,
    family: str,
    seeds: list[int],
    slots: list[tuple[int, int]],
    variant: int,
    sample_rate: int,
) -> dict[str, Any]:
    """The bank key of one generated variant: everything that determines its audio.

    ``seeds`` are the seeds of the candidates' takes and ``slots`` their (take,
    piece) positions; with the settings they fix the candidates, and the gates and
    ranking (versioned by GENERATOR_VERSION) fix which one is kept.
    """
    key = settings.as_dict()
    key.pop("model")
    key.update(
        source="generated",
        version=GENERATOR_VERSION,
        model=model_id,
        family=family,
        seed=seeds,
        slots=[list(s) for s in slots],
        variant=variant,
        sample_rate=sample_rate,
    )
    return key
