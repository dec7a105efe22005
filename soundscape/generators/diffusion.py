"""The one module that imports torch, diffusers and transformers (lazily).

``DiffusersBackend(ref, device, dtype, batch_size)`` loads an AudioLDM2 or Stable
Audio pipeline from the folder a :class:`~soundscape.generators.models.ModelRef`
points at (never from the network) and offers the small API the engine needs:

- ``generate(prompts, negatives, seeds, steps=, guidance=, seconds=, scheduler=)``:
  one model call for the whole batch; returns one float32 (channels, frames) array
  per prompt at ``ref.sample_rate``. Item ``i`` is seeded by ``seeds[i]`` through
  its own CPU ``torch.Generator``, so a take's audio does not depend on what else
  shares its batch (up to floating-point batch effects).
- ``clap_scores(texts, audios)``: CLAP text-audio cosine similarity per pair, from
  the CLAP model AudioLDM2 ships; None for models without one.

Known incompatibility handled here: AudioLDM2 checkpoints declare their language
model as ``GPT2Model``, which transformers 5.x can no longer step with
``_update_model_kwargs_for_generation``; it is loaded as ``GPT2LMHeadModel`` and
passed to the pipeline. Tokenizers load through ``AutoTokenizer``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import soxr

from ..errors import GeneratorError
from .models import INSTALL_HINT, ModelRef

log = logging.getLogger(__name__)

#: Rough GPU memory per batch item and second of audio (fp16, guidance on), in MiB.
MIB_PER_ITEM_SECOND = {"audioldm2": 12.0, "audioldm2-large": 20.0, "stable-audio": 40.0}
MAX_BATCH = 64
CPU_BATCH = 8


def require() -> tuple[Any, Any, Any]:
    """(torch, diffusers, transformers), or GeneratorError saying how to install them."""
    try:
        import diffusers
        import torch
        import transformers
    except ImportError as exc:
        missing = exc.name or "torch/diffusers/transformers"
        raise GeneratorError(
            f"text-to-audio generation needs the optional extra ({missing} is not "
            f"installed): {INSTALL_HINT}"
        ) from None
    return torch, diffusers, transformers


def _dtype(torch: Any, device: str, name: str | None) -> Any:
    table = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}
    if name is None:
        return torch.float16 if device.startswith("cuda") else torch.float32
    if name not in table:
        raise GeneratorError(f"dtype {name!r} is not one of {', '.join(table)}")
    if device == "cpu" and name == "fp16":
        log.warning("fp16 is not supported on the CPU; using fp32")
        return torch.float32
    return table[name]


def _device(torch: Any, name: str | None) -> str:
    if name is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GeneratorError(f"device {name!r} was asked for but torch sees no CUDA GPU")
    if name != "cpu" and not name.startswith("cuda"):
        raise GeneratorError(f"device {name!r} is not 'cuda', 'cuda:N' or 'cpu'")
    return name


class DiffusersBackend:
    """An AudioLDM2 or Stable Audio pipeline on one device. Not thread-safe."""

    def __init__(
        self,
        ref: ModelRef,
        device: str | None = None,
        dtype: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        torch, diffusers, transformers = require()
        self.torch = torch
        self.ref = ref
        self.device = _device(torch, device)
        self.dtype = _dtype(torch, self.device, dtype)
        self.pipe = self._load(diffusers, transformers)
        self._default_scheduler = self.pipe.scheduler
        self.max_batch = batch_size or self._auto_batch()
        params = sum(p.numel() for p in self._denoiser().parameters())
        if self.device == "cpu" and params > 50_000_000:
            log.warning(
                "model %s (%d M parameters) runs on the CPU: full-size models take "
                "minutes per denoising step there; use --device cuda on a GPU",
                ref.name, params // 1_000_000,
            )

    # -- loading -------------------------------------------------------------------
    def _load(self, diffusers: Any, transformers: Any) -> Any:
        folder = str(self.ref.folder)
        diffusers.utils.logging.disable_progress_bar()  # our own bar covers generation
        transformers.utils.logging.disable_progress_bar()
        # diffusers >= 0.42 and transformers 5 name it dtype; older diffusers torch_dtype
        new_name = tuple(int(x) for x in diffusers.__version__.split(".")[:2]) >= (0, 42)
        common = {"dtype" if new_name else "torch_dtype": self.dtype, "local_files_only": True}
        lm_kwargs = {"dtype": self.dtype, "local_files_only": True}
        try:
            if self.ref.family == "audioldm2":
                lm = transformers.GPT2LMHeadModel.from_pretrained(
                    folder, subfolder="language_model", **lm_kwargs
                )
                tok = transformers.AutoTokenizer.from_pretrained(folder, subfolder="tokenizer")
                tok2 = transformers.AutoTokenizer.from_pretrained(folder, subfolder="tokenizer_2")
                pipe = diffusers.AudioLDM2Pipeline.from_pretrained(
                    folder, language_model=lm, tokenizer=tok, tokenizer_2=tok2, **common
                )
            else:
                try:
                    import torchsde  # noqa: F401  (Stable Audio's scheduler samples with it)
                except ImportError:
                    raise GeneratorError(
                        f"model {self.ref.name!r} needs torchsde for its scheduler: "
                        f"{INSTALL_HINT}"
                    ) from None
                tok = transformers.AutoTokenizer.from_pretrained(folder, subfolder="tokenizer")
                pipe = diffusers.StableAudioPipeline.from_pretrained(
                    folder, tokenizer=tok, **common
                )
        except GeneratorError:
            raise
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise GeneratorError(
                f"cannot load model {self.ref.name!r} from {folder}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}"
            ) from exc
        pipe = pipe.to(self.device)
        for name in pipe.components:
            module = getattr(pipe, name, None)
            if module is not None and hasattr(module, "eval"):
                module.eval()  # modules built from configs start in training mode
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _denoiser(self) -> Any:
        return self.pipe.unet if self.ref.family == "audioldm2" else self.pipe.transformer

    def _auto_batch(self) -> int:
        if not self.device.startswith("cuda"):
            return CPU_BATCH
        free, _total = self.torch.cuda.mem_get_info(self.torch.device(self.device))
        large = self.ref.family == "audioldm2" and "large" in self.ref.model_id
        per = MIB_PER_ITEM_SECOND["audioldm2-large" if large else self.ref.family]
        seconds = self.ref.max_seconds or 10.24
        fits = int(free / 2**20 * 0.6 / (per * seconds))
        return max(1, min(MAX_BATCH, fits))

    def _scheduler(self, name: str) -> Any:
        sched = self._default_scheduler
        if name == "default":
            return sched
        d = self.pipe_module()
        if self.ref.family == "stable-audio":
            if name == "dpm":
                return sched
            raise GeneratorError(
                f"scheduler {name!r} does not work with model {self.ref.name!r}; use 'dpm'"
            )
        cls = d.DDIMScheduler if name == "ddim" else d.DPMSolverMultistepScheduler
        return cls.from_config(sched.config)

    @staticmethod
    def pipe_module() -> Any:
        import diffusers

        return diffusers

    # -- generation -----------------------------------------------------------------
    def generate(
        self,
        prompts: list[str],
        negatives: list[str],
        seeds: list[int],
        *,
        steps: int,
        guidance: float,
        seconds: float,
        scheduler: str = "default",
    ) -> list[np.ndarray]:
        """One call for the batch; see the module docstring."""
        torch = self.torch
        self.pipe.scheduler = self._scheduler(scheduler)
        gens = [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]
        kwargs: dict[str, Any] = {
            "prompt": list(prompts),
            "negative_prompt": list(negatives),
            "num_inference_steps": int(steps),
            "guidance_scale": float(guidance),
            "num_waveforms_per_prompt": 1,
            "generator": gens,
            "output_type": "np",
        }
        if self.ref.family == "audioldm2":
            kwargs["audio_length_in_s"] = float(seconds)
        else:
            kwargs["audio_end_in_s"] = float(min(seconds, self.ref.max_seconds or seconds))
        try:
            with torch.inference_mode():
                audios = self.pipe(**kwargs).audios
        except Exception as exc:  # any failure inside the model is a generator failure
            hint = ""
            if "out of memory" in str(exc).lower():
                hint = f" (lower --batch-size, now {self.max_batch})"
            raise GeneratorError(
                f"model {self.ref.name!r} failed on a batch of {len(prompts)} "
                f"(first prompt {prompts[0]!r}): {type(exc).__name__}: {exc}{hint}"
            ) from exc
        audios = np.asarray(audios, dtype=np.float32)
        if audios.ndim == 2:
            audios = audios[:, None, :]
        return [np.ascontiguousarray(a) for a in audios]

    def clap_scores(self, texts: list[str], audios: list[np.ndarray]) -> list[float] | None:
        """CLAP cosine similarity of each (text, audio) pair; None without a CLAP model."""
        if self.ref.family != "audioldm2" or not texts:
            return None
        torch = self.torch
        fe = self.pipe.feature_extractor
        clap = self.pipe.text_encoder
        rate = int(fe.sampling_rate)
        mono = [soxr.resample(a.mean(axis=0), self.ref.sample_rate, rate) for a in audios]
        feats = fe(mono, sampling_rate=rate, return_tensors="pt")
        tok = self.pipe.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        inputs = {
            "input_ids": tok.input_ids.to(self.device),
            "attention_mask": tok.attention_mask.to(self.device),
            "input_features": feats.input_features.to(self.device, clap.dtype),
        }
        if "is_longer" in feats:
            inputs["is_longer"] = feats.is_longer.to(self.device)
        try:
            with torch.inference_mode():
                out = clap(**inputs)
        except Exception as exc:  # a broken CLAP is a model failure, reported as such
            raise GeneratorError(
                f"model {self.ref.name!r}: CLAP scoring failed: {type(exc).__name__}: {exc}"
            ) from exc
        sims = (out.text_embeds.float() * out.audio_embeds.float()).sum(dim=-1).cpu().numpy()
        return [float(s) if math.isfinite(float(s)) else -1.0 for s in sims]
