"""Dumoulin et al. (2017)'s conditional instance norm network: one set of convolutions, N style slots.

Every instance norm's scale and shift is a row per slot; the network paints the weighting `mix` of the
slots (a buffer, one weight a slot), so a blend of styles is the blend of their norm parameters, exactly
as Dumoulin et al. interpolate styles. A checkpoint with one slot is an ordinary style network; the
shipped pack (checkpoints/multistyle26.pack.pt, tools/port_multistyle.py) has 26.

The layers are those of TensorFlow's Android stylize demo model: a 9x9 convolution 3->32, two stride-2
3x3 convolutions of 32, six residual blocks of 32, nearest upsampling to 8 and then 4 channels, a 9x9
convolution to 3, a sigmoid; reflection padding, no biases (the norms' shifts take their place), a norm
after every convolution. RGB in [0, 1] in and out.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from realtime.errors import UserError
from realtime.model.transformer import instance_norm

EPS = 1e-5  # the ONNX graph's


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose scale and shift are `mix` (slots) times per-slot rows (slots x channels)."""

    def __init__(self, channels: int, slots: int):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(slots, channels))
        self.shift = nn.Parameter(torch.zeros(slots, channels))
        self.register_buffer("mix", F.one_hot(torch.tensor(0), slots).float())
        self.eps = EPS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mix = self.mix.to(self.scale.dtype)
        return instance_norm(x, mix @ self.scale, mix @ self.shift, self.eps)


class ConvNorm(nn.Module):
    """(Nearest 2x upsampling,) reflection padding, a convolution without bias, a conditional norm."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, slots: int, stride: int = 1,
                 upsample: bool = False):
        super().__init__()
        self.upsample = upsample
        self.pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, bias=False)
        self.norm = ConditionalInstanceNorm(out_channels, slots)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.norm(self.conv(self.pad(x)))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, slots: int):
        super().__init__()
        self.first = ConvNorm(channels, channels, 3, slots)
        self.second = ConvNorm(channels, channels, 3, slots)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.second(F.relu(self.first(x)))


class MultistyleNet(nn.Module):
    def __init__(self, slots: int = 1, channels: int = 32, residual_blocks: int = 6,
                 expand_channels: Sequence[int] = (8, 4)):
        super().__init__()
        self.contract = nn.Sequential(ConvNorm(3, channels, 9, slots), ConvNorm(channels, channels, 3, slots, stride=2),
                                      ConvNorm(channels, channels, 3, slots, stride=2))
        self.residual = nn.Sequential(*[ResidualBlock(channels, slots) for _ in range(residual_blocks)])
        widths = [channels, *expand_channels]
        self.expand = nn.Sequential(*[ConvNorm(a, b, 3, slots, upsample=True) for a, b in zip(widths, widths[1:])])
        self.output = ConvNorm(widths[-1], 3, 9, slots)

    @property
    def slots(self) -> int:
        return self.output.norm.scale.shape[0]

    def norms(self) -> list[ConditionalInstanceNorm]:
        return [module for module in self.modules() if isinstance(module, ConditionalInstanceNorm)]

    def set_mix(self, weights: Sequence[float]) -> MultistyleNet:
        """Paint this weighting of the slots from now on (weights summing to 1 are a blend of styles)."""
        if len(weights) != self.slots:
            raise ValueError(f"{len(weights)} weights for {self.slots} style slots")
        mix = torch.tensor([float(w) for w in weights])
        for norm in self.norms():
            norm.mix.copy_(mix)
        return self

    def single(self, weights: Sequence[float]) -> MultistyleNet:
        """A one-slot network painting this weighting of the slots: a style of its own, to fine-tune or save."""
        net = MultistyleNet(1, self.contract[0].conv.out_channels, len(self.residual),
                            [layer.conv.out_channels for layer in self.expand])
        mix = torch.tensor([float(w) for w in weights])
        with torch.no_grad():
            state = {key: (mix @ value)[None] if key.endswith((".scale", ".shift")) else value
                     for key, value in self.state_dict().items() if not key.endswith(".mix")}
        net.load_state_dict(state, strict=False)
        return net.eval()

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb: N x 3 x H x W in [0, 1], H and W multiples of 4. Returns the same shape."""
        y = rgb
        for layer in self.contract:
            y = F.relu(layer(y))
        y = self.residual(y)
        for layer in self.expand:
            y = F.relu(layer(y))
        return torch.sigmoid(self.output(y))


def slot_weights(slots: int, chosen: Sequence[int], mix: float) -> list[float]:
    """The weights of a pack's slots for one chosen slot, or for two mixed with `mix` of the second."""
    weights = [0.0] * slots
    shares = [1.0] if len(chosen) == 1 else [1.0 - mix, mix]
    for slot, share in zip(chosen, shares):
        if not 0 <= slot < slots:
            raise UserError(f"style slot {slot} is not in a pack of {slots} styles; fix the pack's .pack.json")
        weights[slot] += share
    return weights


def multistyle_net(config: dict) -> MultistyleNet:
    """The builder model/architectures.py's row names."""
    return MultistyleNet(**config)
