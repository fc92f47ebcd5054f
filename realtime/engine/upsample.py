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

from realtime.engine.composite import luma
from realtime.engine.guided_filter import guided_filter
from realtime.engine.resize import bilinear

GUIDED_RADIUS = 1  # at the network's size
GUIDED_EPSILON = 1e-3  # regularisation: flat areas keep the stylized colour instead of the frame's noise


def guided_upsample(styled: torch.Tensor, small: torch.Tensor, frame: torch.Tensor) -> torch.Tensor:
    return guided_filter(styled, luma(small), luma(frame), GUIDED_RADIUS, GUIDED_EPSILON)


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
