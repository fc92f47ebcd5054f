"""The fast guided filter (He & Sun, 2015), shared by the way back from the network's size
(upsample.py) and the person mask (person_mask.py): at low resolution, fit the source as a
local linear function of a one-channel guide, then apply the upsampled coefficients to the
full-resolution guide, so the result follows the full-size frame's edges."""
from __future__ import annotations

import cv2
import torch
import torch.nn.functional as F

from realtime.engine.resize import bilinear, on_host


def clamped_radii(size: tuple[int, int], radius: int) -> tuple[int, int]:
    """The (vertical, horizontal) radius for a picture of size = (height, width): at most the picture's
    side less one, where the window already spans the whole side from every pixel, so a radius far
    larger than a tiny picture does not pad it to a giant one (a 1x1 picture at radius 1024: minutes)."""
    height, width = size
    return min(radius, height - 1), min(radius, width - 1)


def box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over a (2 radius + 1)^2 window (per side at most the picture's), edges replicated. On a CPU,
    OpenCV's box filter (8 channels at 384x216: 0.3 against 1.7 ms for the padded depthwise convolution);
    elsewhere a depthwise convolution (3x faster than avg_pool2d)."""
    radius_y, radius_x = clamped_radii(x.shape[-2:], radius)
    size_y, size_x = 2 * radius_y + 1, 2 * radius_x + 1
    if on_host(x):
        height, width = x.shape[-2:]
        pixels = x[0].permute(1, 2, 0).contiguous().numpy()  # a view when x is channels-last
        blurred = cv2.boxFilter(pixels, -1, (size_x, size_y), borderType=cv2.BORDER_REPLICATE)
        return torch.from_numpy(blurred.reshape(height, width, -1)).permute(2, 0, 1)[None]
    channels = x.shape[1]
    kernel = torch.full((channels, 1, size_y, size_x), 1.0 / (size_y * size_x), dtype=x.dtype, device=x.device)
    padded = F.pad(x, (radius_x, radius_x, radius_y, radius_y), mode="replicate")
    return F.conv2d(padded.contiguous(memory_format=torch.channels_last), kernel, groups=channels)


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
    # Filtered and resized apart, so each stays dense (on a CPU, H x W x C) and no step copies a slice.
    size = full_guide.shape[-2:]
    slope, offset = (bilinear(box_mean(coefficient, radius), size) for coefficient in (slope, offset))
    # The guide repeated over the channels in the coefficients' layout: a broadcast one-channel guide makes
    # the full-size multiply-add 3x slower on a CPU (0.6 against 0.2 ms at 640x360, the copy included).
    full_guide = full_guide.expand_as(slope).contiguous(memory_format=torch.channels_last)
    return torch.addcmul(offset, slope, full_guide)
