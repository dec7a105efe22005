"""The mixer graph: small pull-based blocks.

The one contract, stated once: ``node.pull(frames)`` returns a float32 array shaped
(2, frames), exactly ``frames`` long, continuing where the previous pull ended.
Every node's output is a pure function of absolute frame positions and its seed, so
the same graph gives the same samples whatever block sizes it is pulled with.
"""

from .build import SceneGraph, build_graph

__all__ = ["SceneGraph", "build_graph"]
