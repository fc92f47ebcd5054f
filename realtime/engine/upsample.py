"""Back to the frame's size when the style network ran smaller (`--inference-size`).

Bilinear upsampling softens every edge by the size ratio. The edge-aware ways use the
full-size frame, which the engine has anyway:
- guided: the fast guided filter (He & Sun, 2015): at the network's size, fit the stylized
  picture as a local linear function of the frame's luma, upsample the coefficients, apply
  them to the full-size luma;
- detail: bilinear, plus the luma detail that the downsampling took out of the frame.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from realtime.engine.composite import luma

GUIDED_RADIUS = 1  # at the network's size
GUIDED_EPSILON = 1e-3  # regularisation: flat areas keep the stylized colour instead of the frame's noise


def box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
    return F.avg_pool2d(x, 2 * radius + 1, stride=1, padding=radius, count_include_pad=False)


def bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def guided_upsample(styled: torch.Tensor, small: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
    guide = luma(small)
    mean_guide, mean_styled = box_mean(guide, GUIDED_RADIUS), box_mean(styled, GUIDED_RADIUS)
    covariance = box_mean(guide * styled, GUIDED_RADIUS) - mean_guide * mean_styled
    variance = box_mean(guide * guide, GUIDED_RADIUS) - mean_guide * mean_guide
    slope = covariance / (variance + GUIDED_EPSILON)
    offset = mean_styled - slope * mean_guide
    size = frame.shape[-2:]
    slope, offset = bilinear(box_mean(slope, GUIDED_RADIUS), size), bilinear(box_mean(offset, GUIDED_RADIUS), size)
    return slope * luma(frame) + offset


def detail_upsample(styled: torch.Tensor, small: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
    size = frame.shape[-2:]
    detail = luma(frame) - bilinear(luma(small), size)
    return bilinear(styled, size) + detail


def upsample(mode: str, styled: torch.Tensor, small: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
    """styled and small (the network's input) at the network's size -> styled at the frame's size."""
    styled, small, frame = styled.float(), small.float(), frame.float()
    if mode == "guided":
        return guided_upsample(styled, small, frame)
    if mode == "detail":
        return detail_upsample(styled, small, frame)
    return bilinear(styled, frame.shape[-2:])
