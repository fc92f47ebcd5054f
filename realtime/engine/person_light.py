"""A rim light on the person in a dim room, so the person stays readable against the room once painted.

The style networks paint by brightness and undo the exposure (their instance norms): Starry Night turns
dark into blue and light into yellow at any light level. A person in dark clothes in a dim room is as
dark as the room behind, so both come out the same blue and the outline is lost; lifting the person's
brightness on the network's input changes the strokes, not that. Film lights such a scene with a rim
light: a line of light along the figure's edge that parts it from the background. Here, in a dim frame,
the person mask draws that line inside the person's outline after painting, in the painting's own
brightest colour (Starry Night's yellow, the Great Wave's cream), so it belongs to the picture. In a lit
frame nothing runs (no mask, no cost); between LIT_LUMA and DIM_LUMA the light fades in.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# Mean luma of the frame (0..1) below which the light is fully on, and above which it is off.
DIM_LUMA, LIT_LUMA = 0.25, 0.35
RIM_WIDTH = 0.012  # of the frame's width: about 8 pixels at 640x360
RIM_STRENGTH = 1.0  # how far the rim's pixels go toward the painting's light (or dark) colour
SEPARATION = 0.2  # a luma difference across the outline that reads: the rim fades out up to it
LIGHT_QUANTILE = 0.98  # the painting's light colour: this quantile of the painted frame, per channel (dark: 0.02)

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # Rec. 601, RGB


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W RGB in 0..1 -> N x 1 x H x W."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def dimness(rgb: torch.Tensor) -> float:
    """0 in a lit frame, 1 in a dim one, in between from LIT_LUMA down to DIM_LUMA."""
    mean = float(luma(rgb.float()).mean())
    return min(1.0, max(0.0, (LIT_LUMA - mean) / (LIT_LUMA - DIM_LUMA)))


def bands(alpha: torch.Tensor, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The bands just inside and just outside the person's outline, `radius` pixels wide (N x 1 x H x W, 0..1)."""
    size = 2 * radius + 1
    shrunk = -F.max_pool2d(-alpha, size, stride=1, padding=radius)
    grown = F.max_pool2d(alpha, size, stride=1, padding=radius)
    return (alpha - shrunk).clamp(0.0, 1.0), (grown - alpha).clamp(0.0, 1.0)


def local_mean(values: torch.Tensor, weights: torch.Tensor, radius: int) -> torch.Tensor:
    """The weighted mean of `values` around each pixel (a box of 2 * radius + 1)."""
    size = 2 * radius + 1
    total = F.avg_pool2d(values * weights, size, stride=1, padding=radius, count_include_pad=False)
    return total / F.avg_pool2d(weights, size, stride=1, padding=radius, count_include_pad=False).clamp(min=1e-4)


def quantile_colour(painted: torch.Tensor, quantile: float) -> torch.Tensor:
    """N x 3 x 1 x 1: a quantile of each channel of the painted frame (of a sample on big frames:
    torch.quantile has a size limit, and a sample gives the same)."""
    pixels = painted.float().flatten(2)
    pixels = pixels[..., :: pixels.shape[-1] // 65536 + 1]
    return torch.quantile(pixels, quantile, dim=2)[..., None, None]


def with_rim_light(painted: torch.Tensor, alpha: torch.Tensor, strength: float) -> torch.Tensor:
    """The painted frame with the person's outline drawn where it merges with the room: in the painting's
    light colour against a dark room, in its dark colour against a light one; `strength` 0 (off) to 1."""
    radius = max(1, round(RIM_WIDTH * alpha.shape[-1]))
    inner, outer = bands(alpha.float(), radius)
    brightness = luma(painted.float())
    inside, outside = local_mean(brightness, inner, 2 * radius), local_mean(brightness, outer, 2 * radius)
    merged = (1.0 - (inside - outside).abs() / SEPARATION).clamp(0.0, 1.0)
    light, dark = quantile_colour(painted, LIGHT_QUANTILE), quantile_colour(painted, 1.0 - LIGHT_QUANTILE)
    middle = float(luma(light + dark).squeeze()) / 2
    colour = torch.where(outside < middle, light, dark)
    weight = inner * merged * (RIM_STRENGTH * strength)
    return torch.lerp(painted, colour.to(painted.dtype), weight.to(painted.dtype))
