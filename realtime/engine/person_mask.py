"""Person masks on the engine's device: the ported MediaPipe segmenter, made steady and sharp.

- Input sampling copies MediaPipe's (corner-aligned bilinear warp), so the port
  matches MediaPipe's own runtime.
- Temporal smoothing blends each pixel with the stream's previous mask by its uncertainty
  (binary entropy, as MediaPipe's smoothing calculator does): confident pixels follow
  the new frame at once, so motion does not smear; unsure edge pixels are steadied.
  A scene cut (the mask changes a lot at once) resets the history.
- The 256 px mask is upsampled with a fast guided filter (He & Sun 2015) steered by
  the full-size frame, so edges follow hair and shoulders, not the low-res grid.
- Threshold and feather turn the probability into the alpha used for compositing.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.engine.composite import luma
from realtime.engine.guided_filter import guided_filter
from realtime.engine.sizes import LANDSCAPE_ASPECT
from realtime.look import MaskSettings
from realtime.model.segmentation_net import SegmentationNet, load_segmenter

PROBABILITY_FLOOR = 1e-6  # far below any threshold, far above float32's denormal numbers
GENERAL = SHIPPED_CHECKPOINTS / "selfie_segmentation.pt"  # 256 x 256
LANDSCAPE = SHIPPED_CHECKPOINTS / "selfie_segmentation_landscape.pt"  # 144 x 256, for wide frames
# The mediapipe segmenter's networks by shape (settings.SEGMENTER_MODELS: `realtime train segmentation --model`).
MEDIAPIPE = {"general": GENERAL, "landscape": LANDSCAPE}


def mediapipe_sample(rgb: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize N x 3 x H x W to (height, width) the way MediaPipe's CPU ImageToTensor does:
    bilinear point sampling at src = dst * scale (corners aligned, no half-pixel shift)."""
    height, width = size
    src_h, src_w = rgb.shape[-2:]
    ys = torch.arange(height, device=rgb.device, dtype=torch.float32) * (src_h / height)
    xs = torch.arange(width, device=rgb.device, dtype=torch.float32) * (src_w / width)
    grid_y = (2 * ys + 1) / src_h - 1  # pixel -> normalized, for align_corners=False
    grid_x = (2 * xs + 1) / src_w - 1
    grid = torch.stack(torch.meshgrid(grid_y, grid_x, indexing="ij")[::-1], dim=-1)
    grid = grid.unsqueeze(0).expand(rgb.shape[0], -1, -1, -1).to(rgb.dtype)
    return F.grid_sample(rgb, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def guided_upsample(mask: torch.Tensor, guide: torch.Tensor, radius: int, eps: float) -> torch.Tensor:
    """The mask at guide's size, its edges following the guide's (radius in the guide's pixels)."""
    # The fit runs at the mask's size, or the guide's where that is smaller (a picture under 256 px):
    # scaled to a larger grid than the guide's, the radius would grow past the picture (4 px of a 1x1 one: 1024).
    low_size = (min(mask.shape[-2], guide.shape[-2]), min(mask.shape[-1], guide.shape[-1]))
    low_mask = F.interpolate(mask, size=low_size, mode="bilinear", align_corners=False, antialias=True)
    low_guide = F.interpolate(guide, size=low_size, mode="bilinear", align_corners=False, antialias=True)
    low_radius = max(1, round(radius * low_size[1] / guide.shape[-1]))
    return guided_filter(low_mask, low_guide, guide, low_radius, eps).clamp(0, 1)


def uncertainty(probability: torch.Tensor) -> torch.Tensor:
    """1 where p = 0.5, 0 where p is 0 or 1: one minus the squared confidence (1 - binary entropy)."""
    p = probability.clamp(1e-6, 1 - 1e-6)
    confidence = 1 + (p * torch.log(p) + (1 - p) * torch.log(1 - p)) / math.log(2)
    return 1 - confidence * confidence


class PersonSegmenter:
    def __init__(self, device: torch.device, dtype: torch.dtype = torch.float32, weights: Path = GENERAL,
                 torchscript: bool = True):
        net: SegmentationNet = load_segmenter(weights).to(device)
        self.input_size: tuple[int, int] = tuple(net.input_size)
        self.dtype = dtype
        net = net.to(dtype).to(memory_format=torch.channels_last)  # 1.4x on a CPU
        if torchscript:
            with torch.no_grad():
                net = torch.jit.freeze(torch.jit.script(net))
        self.net = net

    def probabilities(self, rgb: torch.Tensor) -> torch.Tensor:
        """The raw person probability at the network's resolution for N x 3 x H x W RGB in [0, 1]."""
        sampled = mediapipe_sample(rgb.float(), self.input_size).to(self.dtype)
        probability = self.net(sampled.contiguous(memory_format=torch.channels_last)).float()
        # MediaPipe's logits reach +-1000: their sigmoid leaves denormal numbers (< 1e-38), which CPUs
        # compute slowly, and every later step carries them (the mask step took 1.6x as long).
        return probability.clamp(PROBABILITY_FLOOR, 1.0)

    def smooth(self, probability: torch.Tensor, settings: MaskSettings, previous: torch.Tensor | None) -> torch.Tensor:
        """The probability steadied by the stream's previous one (None: the stream's first frame)."""
        if previous is None or previous.shape != probability.shape or settings.smoothing <= 0:
            return probability
        if (probability - previous).abs().mean() > settings.cut_reset:
            return probability  # a cut: the old mask says nothing about the new scene
        mix = uncertainty(probability) * settings.smoothing
        return probability + (previous - probability) * mix

    def alpha(self, rgb: torch.Tensor, settings: MaskSettings,
              previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Compositing alpha (N x 1 x H x W, 1 = person) at rgb's size, and the steadied probabilities to pass
        as `previous` with the stream's next frame (the segmenter keeps no stream's history itself)."""
        probability = self.smooth(self.probabilities(rgb), settings, previous)
        guide = luma(rgb.float())
        full = guided_upsample(probability, guide, settings.guided_radius, settings.guided_eps)
        low, high = settings.threshold - settings.feather, settings.threshold + settings.feather
        return ((full - low) / max(high - low, 1e-6)).clamp(0, 1), probability


class ShapedSegmenters:
    """A general network and one for wide frames (MediaPipe's pair), each loaded when a frame of its shape
    first comes: engine/segmenters.py's `SegmenterChoice`."""

    def __init__(self, general: Path, landscape: Path, device: torch.device, dtype: torch.dtype, torchscript: bool):
        self.general, self.landscape = general, landscape
        self.device, self.dtype, self.torchscript = device, dtype, torchscript
        self._loaded: dict[Path, PersonSegmenter] = {}

    def for_frame(self, width: int, height: int) -> PersonSegmenter:
        weights = self.landscape if width / height >= LANDSCAPE_ASPECT else self.general
        if weights not in self._loaded:
            self._loaded[weights] = PersonSegmenter(self.device, self.dtype, weights, self.torchscript)
        return self._loaded[weights]


def mediapipe_segmenters(device: torch.device, dtype: torch.dtype, torchscript: bool) -> ShapedSegmenters:
    """--segmenter mediapipe (engine/segmenters.py's table)."""
    return ShapedSegmenters(GENERAL, LANDSCAPE, device, dtype, torchscript)


def file_segmenter(path: Path, device: torch.device, dtype: torch.dtype, torchscript: bool) -> ShapedSegmenters:
    """--segmenter PATH: one trained network for every frame shape."""
    return ShapedSegmenters(path, path, device, dtype, torchscript)
