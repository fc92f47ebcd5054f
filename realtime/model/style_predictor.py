"""Any picture as a style for one network: Ghiasi et al. (2017), "Exploring the structure of a
real-time, arbitrary neural artistic stylization network", as Magenta trained it.

The predictor (MobileNetV2 without its classifier, then a 1x1 convolution) turns a 256x256 style
picture into a 100-number style vector; the conditioner turns that vector into the scale and shift
of every instance norm of the transformer (model/transformer.py, MAGENTA). A conditioned
transformer is an ordinary style network: the engine runs it like a trained one, and blending two
styles is blending their vectors (the norms are affine in the vector).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

STYLE_VECTOR = 100
PICTURE_SIZE = 256  # the predictor's input, RGB in [0, 1]
# MobileNetV2's inverted residual stages: (expansion, output channels, repeats, first stride).
MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1))


class SameConv(nn.Conv2d):
    """A convolution with TensorFlow's SAME padding for a 3x3 kernel: at stride 2 on an even size it
    pads only the bottom and the right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 2:
            return F.conv2d(F.pad(x, (0, 1, 0, 1)), self.weight, self.bias, 2, 0, 1, self.groups)
        return F.conv2d(x, self.weight, self.bias, 1, self.kernel_size[0] // 2, 1, self.groups)


def conv_relu6(in_channels: int, out_channels: int, kernel: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(SameConv(in_channels, out_channels, kernel, stride, groups=groups), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, expansion: int, stride: int):
        super().__init__()
        hidden = in_channels * expansion
        expand = [conv_relu6(in_channels, hidden)] if expansion != 1 else []
        self.layers = nn.Sequential(*expand, conv_relu6(hidden, hidden, 3, stride, groups=hidden),
                                    nn.Conv2d(hidden, out_channels, 1))
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.layers(x)
        return x + y if self.residual else y


class StylePredictor(nn.Module):
    """N x 3 x 256 x 256 RGB in [0, 1] -> N x 100 style vectors."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = [conv_relu6(3, 32, 3, 2)]
        channels = 32
        for expansion, out_channels, repeats, stride in MOBILENET_V2_STAGES:
            for index in range(repeats):
                layers.append(InvertedResidual(channels, out_channels, expansion, stride if index == 0 else 1))
                channels = out_channels
        layers.append(conv_relu6(channels, 1280))
        self.features = nn.Sequential(*layers)
        self.bottleneck = nn.Conv2d(1280, STYLE_VECTOR, 1)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        pooled = self.features(rgb).mean(dim=(2, 3), keepdim=True)
        return self.bottleneck(pooled).flatten(1)


class StyleConditioner(nn.Module):
    """A style vector -> the scale and shift of each of the transformer's instance norms (affine maps
    of the vector, one pair per norm), as the transformer's state-dict entries."""

    def __init__(self, norms: Sequence[tuple[str, int]]):
        super().__init__()
        self.norms = list(norms)  # (state-dict prefix, channels), e.g. ("residual.0.in1", 32)
        total = sum(channels for _, channels in self.norms)
        self.scale = nn.Linear(STYLE_VECTOR, total)
        self.shift = nn.Linear(STYLE_VECTOR, total)

    def forward(self, vector: torch.Tensor) -> dict[str, torch.Tensor]:
        """vector: 100 numbers -> {"residual.0.in1.weight": ..., "residual.0.in1.bias": ..., ...}."""
        scales, shifts = self.scale(vector.flatten()), self.shift(vector.flatten())
        params, start = {}, 0
        for prefix, channels in self.norms:
            params[f"{prefix}.weight"] = scales[start:start + channels]
            params[f"{prefix}.bias"] = shifts[start:start + channels]
            start += channels
        return params
