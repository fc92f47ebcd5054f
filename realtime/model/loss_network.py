"""A seeded, randomly initialized VGG-19 used as the perceptual loss network.

No pretrained weights can be downloaded here, and random convolutional features
still carry style (He, Wang & Hopcroft 2016; Ustyuzhaninov et al. 2017): Gram
matrices of random ReLU features capture palette and texture. Weights are
Kaiming-normal for ReLU with zero biases and average pooling instead of max
pooling, all from one seed, so the same seed always gives the same features.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# VGG-19 configuration: channels per conv, "P" for a 2x2 pooling.
_VGG19 = [64, 64, "P", 128, 128, "P", 256, 256, 256, 256, "P", 512, 512, 512, 512, "P", 512]
_LAYER_NAMES = [
    "relu1_1", "relu1_2", "pool1",
    "relu2_1", "relu2_2", "pool2",
    "relu3_1", "relu3_2", "relu3_3", "relu3_4", "pool3",
    "relu4_1", "relu4_2", "relu4_3", "relu4_4", "pool4",
    "relu5_1",
]
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYERS = ("relu2_2", "relu4_2")


class RandomVGG19(nn.Module):
    def __init__(self, seed: int = 0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        convs = []
        in_channels = 3
        for item in _VGG19:
            if item == "P":
                continue
            conv = nn.Conv2d(in_channels, int(item), 3, padding=1, padding_mode="reflect")
            fan_in = in_channels * 9
            with torch.no_grad():
                conv.weight.normal_(0.0, (2.0 / fan_in) ** 0.5, generator=generator)
                conv.bias.zero_()
            convs.append(conv)
            in_channels = int(item)
        self.convs = nn.ModuleList(convs)
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, rgb: torch.Tensor, wanted: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """Features of rgb (N x 3 x H x W in [0, 1]) at the named layers."""
        x = (rgb - self.mean) / self.std
        features: dict[str, torch.Tensor] = {}
        last = max(_LAYER_NAMES.index(name) for name in wanted)
        convs = iter(self.convs)
        for name in _LAYER_NAMES[: last + 1]:
            x = F.avg_pool2d(x, 2) if name.startswith("pool") else F.relu(next(convs)(x))
            if name in wanted:
                features[name] = x
        return features


def gram(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations, always in fp32: sums over many pixels lose too much in 16 bits."""
    n, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        flat = features.float().reshape(n, c, h * w)
        return flat @ flat.transpose(1, 2) / (c * h * w)
