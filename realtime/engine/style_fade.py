"""A change between two styles of one pack, faded in the network's norm parameters.

Every style of a pack (model/multistyle.py) is the same network with other weights of its slots, and any
weighting is a style (Dumoulin et al.'s interpolation). So a change of style within a pack (a key, the
remote, `--cycle`) goes through the styles in between over STYLE_FADE_SECONDS, each frame painted by the
network itself, where a change between other styles crossfades two pictures in the window.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from realtime.look import STYLE_FADE_SECONDS


@dataclass
class NormFade:
    """One stream's way from the pack style it painted last to the one asked for now."""
    clock: Callable[[], float] = time.monotonic
    pack: object = None  # the network the weights are for: a style of another pack starts afresh
    start: torch.Tensor | None = None
    target: torch.Tensor | None = None
    started: float = field(default=float("-inf"))

    def weights(self, pack: object, target: Sequence[float]) -> torch.Tensor:
        """The slots' weights for this frame, on the way to `target` (the style now asked for)."""
        now, wanted = self.clock(), torch.tensor(target, dtype=torch.float32)
        if self.pack is not pack or self.target is None or self.target.shape != wanted.shape:
            self.pack, self.start, self.target, self.started = pack, wanted, wanted, now
        elif not torch.equal(wanted, self.target):  # from wherever the last fade is now
            self.start, self.target, self.started = self.at(now), wanted, now
        return self.at(now)

    def at(self, now: float) -> torch.Tensor:
        progress = min(1.0, max(0.0, (now - self.started) / STYLE_FADE_SECONDS))
        return torch.lerp(self.start, self.target, progress)


@torch.no_grad()
def set_pack_mix(network: torch.nn.Module, weights: torch.Tensor) -> None:
    """Point every conditional norm of a pack's network (eager or TorchScript, not frozen) at these weights."""
    for module in network.modules():
        if hasattr(module, "mix"):
            module.mix.copy_(weights)
