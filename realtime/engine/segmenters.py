"""The person segmenters `--segmenter NAME|PATH` chooses, one row each, and what the engine needs of one.

Plain Python: `realtime run --help` lists the names before torch loads, so a row names its factory as
"module:function", imported when the engine first needs a mask. A new segmenter is its module (a factory
and a `Segmenter`) and a row here (docs/architecture.md, "Adding a segmenter").
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from realtime.errors import UserError

if TYPE_CHECKING:
    import torch

    from realtime.look import MaskSettings


class Segmenter(Protocol):
    def alpha(self, rgb: torch.Tensor, settings: MaskSettings,
              previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Compositing alpha (N x 1 x H x W, 1 = person) for N x 3 x H x W RGB in [0, 1], and the state to pass
        as `previous` with the stream's next frame (None: its first); a segmenter keeps no stream's history."""
        ...


class SegmenterChoice(Protocol):
    """A segmenter's networks, for frames of any shape (a model may have one per shape)."""

    def for_frame(self, width: int, height: int) -> Segmenter:
        ...


# --segmenter NAME -> "module:function": function(device, dtype, torchscript) -> a SegmenterChoice
SEGMENTERS: dict[str, str] = {"mediapipe": "realtime.engine.person_mask:mediapipe_segmenters"}
# --segmenter PATH: a file `realtime train segmentation` saved; function(path, device, dtype, torchscript)
SEGMENTER_FILE = "realtime.engine.person_mask:file_segmenter"


def _factory(spec: str):
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def open_segmenter(choice: str | Path, device: torch.device, dtype: torch.dtype, torchscript: bool) -> SegmenterChoice:
    """The segmenter --segmenter NAME|PATH means."""
    if str(choice) in SEGMENTERS:
        return _factory(SEGMENTERS[str(choice)])(device, dtype, torchscript)
    path = Path(choice)
    if not path.is_file():
        raise UserError(f"--segmenter {choice}: no such file; give one of {', '.join(SEGMENTERS)} "
                        "or a file saved by `realtime train segmentation`")
    return _factory(SEGMENTER_FILE)(path, device, dtype, torchscript)
