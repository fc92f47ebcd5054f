"""The style networks, one row each: what `--model` names, the checkpoint's "network" field, how each is
built, trained and run. Every list of network sizes (the CLI's choices, the fallback order, the benchmark's
models, the training recipes) comes from ARCHITECTURES. Plain Python: the CLI reads it before torch loads,
so a row names its builder as "module:function", imported when a network is first built.

A new architecture is its module (a builder taking the row's config and returning an nn.Module that maps
RGB in [0, 1] to RGB in [0, 1]) and a row here (docs/architecture.md, "Adding a style architecture").
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class Architecture:
    """The hyperparameters of Johnson et al.'s network and its variants (model/transformer.py)."""
    base_channels: int = 32
    residual_blocks: int = 5
    # pytorch/examples networks work on 0-255 pixels with an unbounded output;
    # ours work on 0-1 pixels with a sigmoid output.
    pixel_range: float = 1.0
    bounded_output: bool = True
    half_resolution: bool = False  # no layer at the full resolution (pixel unshuffle in, pixel shuffle out)
    contract_norm: bool = True  # instance norm after the three downsampling convolutions
    output_norm: bool = False  # instance norm on the last convolution's three channels, before the sigmoid

    def to_dict(self) -> dict:
        return asdict(self)


FULL = Architecture(base_channels=32, residual_blocks=5)
LITE = Architecture(base_channels=16, residual_blocks=3)
FAST = Architecture(base_channels=16, residual_blocks=3, half_resolution=True)
# Ghiasi et al. (2017) as Magenta trained it: 8-16-32 channels, 5 residual blocks (about 12.5 K
# multiply-adds an output pixel; lite: about 33 K).
MAGENTA = Architecture(base_channels=8, residual_blocks=5, contract_norm=False, output_norm=True)

# What a TrainConfig field left at None means, by recipe. The transfer path fine-tunes a network that
# already paints: a hundred-odd steps at 256 px, the painting at the 512 px that `eval style` measures
# it at, a weaker content term, and camera noise with the temporal term on every step (docs/styles.md).
# Johnson et al.'s networks start from random weights and need thousands of steps.
TRAINING_RECIPES = {
    "magenta": {"image_size": 256, "style_size": 512, "steps": 120, "content_weight": 2.0, "style_weight": 10.0,
                "steady_fraction": 1.0, "steady_temporal_weight": 300.0},
    "johnson": {"image_size": 192, "style_size": 384, "steps": 4000, "content_weight": 10.0, "style_weight": 5.0,
                "steady_fraction": 0.2, "steady_temporal_weight": 1000.0},
}


@dataclass(frozen=True)
class StyleArchitecture:
    builder: str  # "module:function": function(config) -> the untrained nn.Module
    config: Mapping[str, Any]  # the builder's hyperparameters, saved in each checkpoint as "architecture"
    about: str  # what `--model NAME` runs, for the help texts
    recipe: str = "johnson"  # its TRAINING_RECIPES entry
    # `--inference-size auto` live on a CPU; None: engine/sizes.py's CPU_LIVE_INFERENCE_SIZE
    cpu_live_size: tuple[int, int] | None = None

    def build(self, config: Mapping[str, Any] | None = None) -> nn.Module:
        """The network with random weights, for this row's config or a checkpoint's."""
        module, _, function = self.builder.partition(":")
        return getattr(importlib.import_module(module), function)(dict(config or self.config))


TRANSFORMER_NET = "realtime.model.transformer:transformer_net"
# In the order a style's missing network falls back through (`--model auto` is the first). magenta is
# Ghiasi et al.'s network fine-tuned from Magenta's weights (transfer learning); fast, lite and full are
# Johnson et al.'s, trained from scratch.
ARCHITECTURES: dict[str, StyleArchitecture] = {
    "magenta": StyleArchitecture(TRANSFORMER_NET, MAGENTA.to_dict(), "the style's network fine-tuned from Magenta's "
                                 "arbitrary-style network", recipe="magenta"),
    # The fast network at 512x288 takes about as long as the lite one at 384x216 (on two cores: about 25
    # and 31 ms in fp32, 9 and 9 ms in bf16; docs/benchmarks.md).
    "fast": StyleArchitecture(TRANSFORMER_NET, FAST.to_dict(), "Johnson et al.'s lite network without "
                              "full-resolution layers", cpu_live_size=(512, 288)),
    "lite": StyleArchitecture(TRANSFORMER_NET, LITE.to_dict(), "Johnson et al.'s network, 16 channels"),
    # Dumoulin et al.'s conditional instance norm network (model/multistyle.py): the 26 styles Google trained
    # for TensorFlow's Android demo ship as one pack; a style trained from it is this network with one slot.
    "multistyle": StyleArchitecture("realtime.model.multistyle:multistyle_net",
                                    {"slots": 1, "channels": 32, "residual_blocks": 6, "expand_channels": [8, 4]},
                                    "Dumoulin et al.'s conditional instance norm network (the 26-style pack)",
                                    recipe="magenta"),
    "full": StyleArchitecture(TRANSFORMER_NET, FULL.to_dict(), "Johnson et al.'s network, 32 channels"),
}
MODELS = tuple(ARCHITECTURES)
