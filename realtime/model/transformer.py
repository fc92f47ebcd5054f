"""Johnson et al. (2016) feed-forward style network, in a full, a lite and a fast size, and
Ghiasi et al. (2017)'s smaller one (Magenta's arbitrary stylization transformer).

Instance normalization, reflection padding and nearest-upsample + conv instead of
transposed convolutions (no checkerboard artifacts). The fast network is the lite one
without its full-resolution layers (the 9x9 convolutions and the last upsampling step,
about 40 % of its work on a CPU): it folds each 2x2 block of pixels into channels on
the way in (pixel unshuffle) and unfolds its last layer's channels into 2x2 blocks on
the way out (pixel shuffle). Ghiasi et al.'s network (8 base channels) has no normalization in its
downsampling layers (their batch norm was folded into the convolutions' biases) and one more
before the sigmoid; its normalizations' scales and shifts come from a style vector
(model/style_predictor.py), so one set of convolutions paints any style. The module always maps RGB in
[0, 1] to RGB in [0, 1], whatever range the weights were trained for, so the engine
never needs to know where a checkpoint came from.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from realtime.model.architectures import FULL, Architecture


class InstanceNorm(nn.InstanceNorm2d):
    """Instance normalization that runs twice as fast on one picture in channels-last memory on a
    CPU (the engine's case): for a batch of one, batch statistics are the picture's own, and batch
    norm has a channels-last CPU kernel where instance norm copies the picture to NCHW and back.
    Same weights (state_dict keys) and the same result as nn.InstanceNorm2d on batched (N x C x H x W) input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return instance_norm(x, self.weight, self.bias, self.eps)


def instance_norm(x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float) -> torch.Tensor:
    """F.instance_norm, as batch norm for one picture on a CPU (its channels-last kernel: see InstanceNorm)."""
    exporting_onnx = False  # ONNX has an InstanceNormalization of its own
    if not torch.jit.is_scripting():
        exporting_onnx = torch.onnx.is_in_onnx_export()
    if x.size(0) == 1 and x.device.type == "cpu" and not exporting_onnx:
        return F.batch_norm(x, None, None, weight, bias, True, 0.0, eps)
    return F.instance_norm(x, None, None, weight, bias, True, 0.0, eps)


class ConvLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(self.reflection_pad(x))


class UpsampleConvLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3)
        self.in1 = InstanceNorm(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3)
        self.in2 = InstanceNorm(channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class TransformerNet(nn.Module):
    def __init__(self, arch: Architecture = FULL):
        super().__init__()
        c = arch.base_channels
        self.pixel_range = arch.pixel_range
        self.bounded_output = arch.bounded_output
        self.half_resolution = arch.half_resolution
        if arch.half_resolution:  # in at half size: 2x2 blocks of RGB as 12 channels
            self.conv1 = ConvLayer(12, 2 * c, 3)
            self.in1 = InstanceNorm(2 * c, affine=True)
            self.conv2 = nn.Identity()
            self.in2 = nn.Identity()
        else:
            self.conv1 = ConvLayer(3, c, 9)
            self.in1 = InstanceNorm(c, affine=True)
            self.conv2 = ConvLayer(c, 2 * c, 3, stride=2)
            self.in2 = InstanceNorm(2 * c, affine=True)
        self.conv3 = ConvLayer(2 * c, 4 * c, 3, stride=2)
        self.in3 = InstanceNorm(4 * c, affine=True)
        if not arch.contract_norm:
            self.in1, self.in2, self.in3 = nn.Identity(), nn.Identity(), nn.Identity()
        self.residual = nn.Sequential(*[ResidualBlock(4 * c) for _ in range(arch.residual_blocks)])
        self.deconv1 = UpsampleConvLayer(4 * c, 2 * c, 3)
        self.in4 = InstanceNorm(2 * c, affine=True)
        if arch.half_resolution:  # out at half size: 12 channels become 2x2 blocks of RGB
            self.deconv2 = nn.Identity()
            self.in5 = nn.Identity()
            self.deconv3 = ConvLayer(2 * c, 12, 3)
        else:
            self.deconv2 = UpsampleConvLayer(2 * c, c, 3)
            self.in5 = InstanceNorm(c, affine=True)
            self.deconv3 = ConvLayer(c, 3, 9)
        self.in6 = InstanceNorm(3, affine=True) if arch.output_norm else nn.Identity()

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb: N x 3 x H x W in [0, 1], H and W multiples of 4. Returns the same shape."""
        y = rgb * self.pixel_range
        if self.half_resolution:
            y = F.pixel_unshuffle(y, 2)
        y = F.relu(self.in1(self.conv1(y)))
        if not self.half_resolution:
            y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))
        y = self.residual(y)
        y = F.relu(self.in4(self.deconv1(y)))
        if not self.half_resolution:
            y = F.relu(self.in5(self.deconv2(y)))
        y = self.in6(self.deconv3(y))
        if self.half_resolution:
            y = F.pixel_shuffle(y, 2)
        if self.bounded_output:
            return torch.sigmoid(y)
        return torch.clamp(y / self.pixel_range, 0.0, 1.0)


def transformer_net(config: dict) -> TransformerNet:
    """The builder model/architectures.py's rows name: the network for a checkpoint's "architecture"."""
    return TransformerNet(Architecture(**config))
