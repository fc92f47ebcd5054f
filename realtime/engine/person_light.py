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
RIM_STRENGTH = 0.7  # how far the rim's pixels go toward the painting's light colour at its brightest
LIGHT_QUANTILE = 0.98  # the painting's light colour: this quantile of the painted frame, per channel

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # Rec. 601, RGB


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W RGB in 0..1 -> N x 1 x H x W."""
    weights = torch.tensor(LUMA_WEIGHTS, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * weights).sum(dim=1, keepdim=True)


def dimness(rgb: torch.Tensor) -> float:
    """0 in a lit frame, 1 in a dim one, in between from LIT_LUMA down to DIM_LUMA."""
    mean = float(luma(rgb.float()).mean())
    return min(1.0, max(0.0, (LIT_LUMA - mean) / (LIT_LUMA - DIM_LUMA)))


def rim(alpha: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W: a band inside the person's outline, 1 at the edge and fading inward over RIM_WIDTH."""
    radius = max(1, round(RIM_WIDTH * alpha.shape[-1]))
    inside = -F.max_pool2d(-alpha.float(), 2 * radius + 1, stride=1, padding=radius)  # the mask shrunk by radius
    return (alpha.float() - inside).clamp(0.0, 1.0)


def light_colour(painted: torch.Tensor) -> torch.Tensor:
    """N x 3 x 1 x 1: the painting's light, a high quantile of each channel of the painted frame."""
    pixels = painted.float().flatten(2)
    if pixels.shape[-1] > 65536:  # a quantile of a sample is as good, and torch.quantile has a size limit
        pixels = pixels[..., :: pixels.shape[-1] // 65536 + 1]
    return torch.quantile(pixels, LIGHT_QUANTILE, dim=2)[..., None, None]


def with_rim_light(painted: torch.Tensor, alpha: torch.Tensor, strength: float) -> torch.Tensor:
    """The painted frame with the person's rim lit in its light colour; `strength` 0 (off) to 1."""
    weight = (rim(alpha) * (RIM_STRENGTH * strength)).to(painted.dtype)
    return torch.lerp(painted, light_colour(painted).to(painted.dtype).expand_as(painted), weight)
