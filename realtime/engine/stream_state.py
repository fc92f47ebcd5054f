"""What one stream of frames remembers from frame to frame. The engine (its networks and caches) may serve
many streams; each stream's memory is its own and is passed to the engine with every frame, so two streams
through one engine never mix (a video's stabilizer never keeps another video's strokes)."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from realtime.engine.stabilizer import Stabilizer
from realtime.engine.style_fade import NormFade


@dataclass
class StreamState:
    stabilizer: Stabilizer  # the last frame, which steadies the next (stabilizer.py)
    mask: torch.Tensor | None = None  # the person mask's last probabilities, which steady the next (person_mask.py)
    fade: NormFade = field(default_factory=NormFade)  # a change between two styles of a pack (style_fade.py)
    # On CUDA, pinned host buffers for two frames in flight (stream.py's loop keeps at most two).
    slot: int = 0
    pinned_in: list[torch.Tensor | None] = field(default_factory=lambda: [None, None])
    pinned_out: list[torch.Tensor | None] = field(default_factory=lambda: [None, None])
