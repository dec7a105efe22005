"""Text-to-audio segment banks (AudioLDM2, Stable Audio Open).

Layout, pure modules first:

- ``settings``: PRODUCT.md defaults merged with scene/layer/CLI overrides; bank keys.
- ``models``: finding weights on disk (alias, folder or cached hub id), never online.
- ``quality``: automatic gates (clipping, silence, DC, level drift, tonal beds).
- ``post``: raw model audio to 48 kHz stereo mixer segments.
- ``engine``: plan variants, batch takes into model calls, rank, write to the bank.
- ``refresher``: a background thread that keeps adding variants while streaming.
- ``diffusion``: the only module that imports torch/diffusers/transformers, lazily.

``make_backend_factory`` returns the ``backend_for`` callable the engine needs,
importing ``diffusion`` only when a model is really loaded.
"""

from __future__ import annotations

from collections.abc import Callable

from .engine import Backend, BankGenerator, Report, VariantJob, plan
from .models import ModelRef, resolve_model
from .refresher import BankRefresher
from .settings import GenSettings, resolve_settings

__all__ = [
    "Backend",
    "BankGenerator",
    "BankRefresher",
    "GenSettings",
    "ModelRef",
    "Report",
    "VariantJob",
    "make_backend_factory",
    "plan",
    "resolve_model",
    "resolve_settings",
]


def make_backend_factory(
    device: str | None = None, dtype: str | None = None, batch_size: int | None = None
) -> Callable[[ModelRef], Backend]:
    """``ref -> DiffusersBackend`` on ``device``/``dtype``; torch is imported on first call."""

    def backend_for(ref: ModelRef) -> Backend:
        from .diffusion import DiffusersBackend

        return DiffusersBackend(ref, device=device, dtype=dtype, batch_size=batch_size)

    return backend_for
