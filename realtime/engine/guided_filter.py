"""The fast guided filter (He & Sun, 2015), shared by the way back from the network's size
(upsample.py) and the person mask (person_mask.py): at low resolution, fit the source as a
local linear function of a one-channel guide, then apply the upsampled coefficients to the
full-resolution guide, so the result follows the full-size frame's edges."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from realtime.engine.resize import bilinear


def box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2 radius + 1)^2 window, edges replicated. A depthwise convolution: 3x faster than
    avg_pool2d on a CPU (1.8 against 5.6 ms for 8 channels at 512x288)."""
    size = 2 * radius + 1
    channels = x.shape[1]
    kernel = torch.full((channels, 1, size, size), 1.0 / (size * size), dtype=x.dtype, device=x.device)
    padded = F.pad(x, (radius,) * 4, mode="replicate").contiguous(memory_format=torch.channels_last)
    return F.conv2d(padded, kernel, groups=channels)


def guided_filter(source: torch.Tensor, guide: torch.Tensor, full_guide: torch.Tensor, radius: int,
                  epsilon: float) -> torch.Tensor:
    """source (N x C) and guide (N x 1) at low resolution, full_guide (N x 1) at the output's;
    epsilon: larger keeps flat areas flat instead of copying the guide's noise."""
    channels = source.shape[1]
    # One filter pass over every mean the fit needs: guide, source, guide * source, guide^2.
    means = box_mean(torch.cat([guide, source, guide * source, guide * guide], dim=1), radius)
    mean_guide, mean_source = means[:, :1], means[:, 1:1 + channels]
    mean_product, mean_square = means[:, 1 + channels:1 + 2 * channels], means[:, 1 + 2 * channels:]
    slope = (mean_product - mean_guide * mean_source) / (mean_square - mean_guide * mean_guide + epsilon)
    offset = mean_source - slope * mean_guide
    coefficients = box_mean(torch.cat([slope, offset], dim=1), radius)
    # Resized apart, so each comes back dense (on a CPU, H x W x C) and the full-size multiply-add reads
    # contiguous memory: 1.5 ms less at 1280x720 than slices of one map.
    size = full_guide.shape[-2:]
    return torch.addcmul(bilinear(coefficients[:, channels:], size), bilinear(coefficients[:, :channels], size), full_guide)
