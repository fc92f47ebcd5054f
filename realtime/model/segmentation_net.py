"""The person segmenter: MediaPipe Selfie Segmentation, ported to PyTorch.

The network is stored as a list of operations (what tools/port_segmentation.py
read from MediaPipe's .tflite file) plus weights, and rebuilt here as ordinary torch
modules in NCHW, so the runtime needs neither mediapipe nor tflite. Input: RGB in
[0, 1], 256x256 (general model) or 144x256 (landscape model). Output: the person
probability, N x 1 x H x W.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.errors import UserError


def activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    if activation == "relu":
        return F.relu(x)
    if activation == "relu6":
        return F.relu6(x)
    return x


class Convolution(nn.Module):
    """CONV_2D, DEPTHWISE_CONV_2D (groups = channels) with TFLite's explicit SAME padding."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.pad = list(spec["pad"])  # left, right, top, bottom
        self.activation = str(spec["activation"])
        self.conv = nn.Conv2d(spec["in_channels"], spec["out_channels"], spec["kernel"], spec["stride"],
                              groups=spec["groups"])

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return activate(self.conv(F.pad(inputs[0], self.pad)), self.activation)


class TransposedConvolution(nn.Module):
    """MediaPipe's Convolution2DTransposeBias custom op (kernel = stride, so SAME adds no padding)."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.conv = nn.ConvTranspose2d(spec["in_channels"], spec["out_channels"], spec["kernel"], spec["stride"])

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return self.conv(inputs[0])


class Elementwise(nn.Module):
    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.kind = str(spec["type"])
        self.activation = str(spec.get("activation", "none"))

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        x = inputs[0]
        if self.kind == "add":
            x = x + inputs[1]
        elif self.kind == "mul":
            x = x * inputs[1]
        elif self.kind == "relu":
            x = F.relu(x)
        elif self.kind == "hard_swish":
            x = F.hardswish(x)
        elif self.kind == "sigmoid":
            x = torch.sigmoid(x)
        return activate(x, self.activation)


class GlobalAverage(nn.Module):
    """AVERAGE_POOL_2D over the whole map, or MEAN over height and width: both keep N x C x 1 x 1."""

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return inputs[0].mean(dim=(2, 3), keepdim=True)


class Resize(nn.Module):
    """RESIZE_BILINEAR with half-pixel centres, which is torch's align_corners=False."""

    def __init__(self, spec: dict[str, Any]):
        super().__init__()
        self.size = list(spec["size"])

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        return F.interpolate(inputs[0], size=self.size, mode="bilinear", align_corners=False)


def build_op(spec: dict[str, Any]) -> nn.Module:
    kind = spec["type"]
    if kind == "conv":
        return Convolution(spec)
    if kind == "transposed_conv":
        return TransposedConvolution(spec)
    if kind == "global_average":
        return GlobalAverage()
    if kind == "resize":
        return Resize(spec)
    return Elementwise(spec)


class SegmentationNet(nn.Module):
    def __init__(self, ops: list[dict[str, Any]], input_id: int, output_id: int, input_size: tuple[int, int]):
        super().__init__()
        self.ops = nn.ModuleList(build_op(spec) for spec in ops)
        self.op_inputs = [list(spec["inputs"]) for spec in ops]
        self.op_outputs = [spec["output"] for spec in ops]
        self.input_id, self.output_id = input_id, output_id
        self.input_size = list(input_size)  # height, width

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        """rgb: N x 3 x H x W in [0, 1] at input_size -> person probability N x 1 x H x W."""
        return self.values(rgb)[self.output_id]

    def values(self, rgb: torch.Tensor) -> dict[int, torch.Tensor]:
        """Every tensor of the graph, by id."""
        values: dict[int, torch.Tensor] = {self.input_id: rgb}
        for index, op in enumerate(self.ops):
            values[self.op_outputs[index]] = op([values[i] for i in self.op_inputs[index]])
        return values

    def logits(self, rgb: torch.Tensor) -> torch.Tensor:
        """What the final sigmoid is applied to: training's loss takes logits, stable where p is near 0 or 1."""
        final = self.ops[-1]
        if not (isinstance(final, Elementwise) and final.kind == "sigmoid" and self.op_outputs[-1] == self.output_id):
            raise ValueError("this segmenter does not end in a sigmoid")
        return self.values(rgb)[self.op_inputs[-1][0]]

    def encoder_parameters(self) -> list[nn.Parameter]:
        """The pretrained feature extractor: every layer before the first resize, where the decoder begins."""
        first_resize = next(index for index, op in enumerate(self.ops) if isinstance(op, Resize))
        return [parameter for op in self.ops[:first_resize] for parameter in op.parameters()]


SEGMENTER_KEYS = ("ops", "input_id", "output_id", "input_size", "state_dict")


def load_segmenter(path: Path) -> SegmentationNet:
    if not path.is_file():
        raise UserError(f"segmenter not found: {path}; give a file saved by `realtime train segmentation` "
                        f"(the shipped ones are in {SHIPPED_CHECKPOINTS})")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises several kinds for a file that is not one of its own
        raise UserError(f"{path} is not a segmenter checkpoint (not a file torch.save wrote, or a damaged one); "
                        "give a file saved by `realtime train segmentation`") from None
    if not isinstance(payload, dict) or any(key not in payload for key in SEGMENTER_KEYS):
        raise UserError(f"{path} is a checkpoint but not a segmenter's (a style's?); "
                        "give a file saved by `realtime train segmentation`")
    net = SegmentationNet(payload["ops"], payload["input_id"], payload["output_id"], tuple(payload["input_size"]))
    net.load_state_dict(payload["state_dict"])
    return net.eval()
