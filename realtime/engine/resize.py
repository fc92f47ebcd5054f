"""Bilinear resizing (half-pixel centres, as F.interpolate with align_corners=False) of N x C x H x W.

On a CPU, OpenCV's resize does it 3.5x faster than torch's (6 channels of float32 from 384x216 to
1280x720: 1.2 against 4.2 ms) and agrees to 1e-4; it returns channels-last memory (OpenCV's H x W x C),
the layout the engine keeps full-size pictures in. Elsewhere, F.interpolate.
"""
from __future__ import annotations

import cv2
import torch
import torch.nn.functional as F

OPENCV_MAX_CHANNELS = 512  # CV_CN_MAX


def on_host(x: torch.Tensor) -> bool:
    """Whether OpenCV can take x (one float32 picture on the CPU, up to 512 channels, no gradient)."""
    return (x.device.type == "cpu" and x.dtype == torch.float32 and x.shape[0] == 1
            and x.shape[1] <= OPENCV_MAX_CHANNELS and not x.requires_grad)


def bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """x resized to size = (height, width)."""
    if not on_host(x):
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
    height, width = size
    pixels = x[0].permute(1, 2, 0).contiguous().numpy()
    resized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_LINEAR)
    return torch.from_numpy(resized.reshape(height, width, -1)).permute(2, 0, 1).unsqueeze(0)
