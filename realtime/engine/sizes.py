"""The sizes the networks run at: the style network's inference size (`--inference-size`), kept in
the frame's aspect and above the network's minimum, and the segmenter's orientation."""
from __future__ import annotations

import torch

from realtime.model.architectures import ARCHITECTURES

LANDSCAPE_ASPECT = 1.4  # wider frames use MediaPipe's landscape (144 x 256) segmenter

# `--inference-size auto` in live mode on a CPU: the network runs at about this many pixels and
# is upsampled, so the window keeps up (a row of model/architectures.py may name its own size).
CPU_LIVE_INFERENCE_SIZE = (384, 216)
# `--inference-size auto` in image and file modes: at most about this many pixels, so a style's strokes keep
# their size relative to the picture (a 6000x4000 photo at its full size comes out tinted, not painted); the
# guided upsampling brings the result back to the full size.
STROKE_REFERENCE_SIZE = (960, 540)
# The style network's reflection padding needs a few pixels at a quarter of its input size.
MIN_NETWORK_SIDE = 16
# Out of memory, the network's size is halved (in pixels) until it fits, but not below this.
MIN_INFERENCE_PIXELS = 160 * 90


def resolve_inference_size(requested: str | tuple[int, int], device: torch.device, live: bool,
                           model: str) -> tuple[int, int] | None:
    """What `--inference-size` (auto, full or WxH) means here for this network size; None: the full
    processing size."""
    if requested == "full":
        return None
    if requested == "auto":
        if not live:
            return STROKE_REFERENCE_SIZE
        if device.type != "cpu":
            return None
        row = ARCHITECTURES.get(model)  # the bench's picture models have no row
        return row.cpu_live_size if row is not None and row.cpu_live_size else CPU_LIVE_INFERENCE_SIZE
    return requested


def multiple_of_4(value: float) -> int:
    return max(4, int(round(value / 4)) * 4)


def network_size(width: int, height: int, max_pixels: int | None, stroke_scale: float = 1.0) -> tuple[int, int]:
    """The size the style network runs at for a width x height frame: the frame's size capped at max_pixels (None:
    no cap), divided by stroke_scale in width and height (larger strokes: a smaller network input) but never
    above the frame's; same aspect, and never below the network's minimum (tiny images are upscaled for it
    and scaled back)."""
    scale = 1.0
    pixels = min(width * height, max_pixels or width * height) / stroke_scale ** 2
    if width * height > pixels:
        scale = (pixels / (width * height)) ** 0.5
    scale = max(scale, MIN_NETWORK_SIDE / min(width, height))
    return multiple_of_4(width * scale), multiple_of_4(height * scale)

