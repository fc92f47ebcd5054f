"""Port MediaPipe Selfie Segmentation from .tflite to the torch network in model/segmentation_net.py.

`python tools/port_segmentation.py [FOLDER]` reads both models (general and landscape) from the
mediapipe==0.10.14 wheel (Apache-2.0) and writes selfie_segmentation{,_landscape}.pt into FOLDER, by default
the checkout's checkpoints/, after loading each into a SegmentationNet. Needs mediapipe (installed on its own,
`pip install --no-deps mediapipe==0.10.14`) and the test extra's tflite; the app itself needs neither.

TFLite works in NHWC with fp16 weights behind DEQUANTIZE ops; here each operation
becomes a spec (type, inputs, output, options) and its weights a torch tensor in NCHW
layout, with TFLite's SAME padding made explicit (it pads more at the bottom/right).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from realtime.model.segmentation_net import SegmentationNet

# The checkout's folder, whichever realtime is imported: an installed one's package data is not the source.
CHECKPOINTS = Path(__file__).resolve().parents[1] / "checkpoints"
MODELS = {"selfie_segmentation": "selfie_segmentation.tflite",
          "selfie_segmentation_landscape": "selfie_segmentation_landscape.tflite"}
_ACTIVATIONS = {0: "none", 1: "relu", 3: "relu6"}
_NUMPY_TYPES = {0: np.float32, 1: np.float16, 2: np.int32}
LICENSE_NOTE = ("MediaPipe Selfie Segmentation, Copyright The MediaPipe Authors, Apache License 2.0; "
                "converted from the mediapipe==0.10.14 wheel")


def mediapipe_model_path(file_name: str) -> Path:
    import mediapipe

    return Path(mediapipe.__file__).parent / "modules" / "selfie_segmentation" / file_name


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class TFLiteReader:
    def __init__(self, path: Path):
        import tflite

        self.tflite = tflite
        self.model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
        self.graph = self.model.Subgraphs(0)
        names = {value: key for key, value in vars(tflite.BuiltinOperator).items() if not key.startswith("_")}
        self.op_names = []
        for index in range(self.model.OperatorCodesLength()):
            code = self.model.OperatorCodes(index)
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            self.op_names.append(code.CustomCode().decode() if builtin == tflite.BuiltinOperator.CUSTOM else names[builtin])
        self.constants: dict[int, np.ndarray] = {}

    def shape(self, tensor: int) -> list[int]:
        return [int(v) for v in self.graph.Tensors(tensor).ShapeAsNumpy()]

    def constant(self, tensor: int) -> np.ndarray | None:
        if tensor in self.constants:
            return self.constants[tensor]
        info = self.graph.Tensors(tensor)
        data = self.model.Buffers(info.Buffer()).DataAsNumpy()
        if isinstance(data, int) or data.size == 0:
            return None  # an activation, not a constant
        return np.frombuffer(data.tobytes(), _NUMPY_TYPES[info.Type()]).reshape(self.shape(tensor)).astype(
            np.float32 if info.Type() != 2 else np.int32)

    def options(self, op, kind):
        options = kind()
        table = op.BuiltinOptions()
        options.Init(table.Bytes, table.Pos)
        return options


def convert(path: Path) -> dict[str, Any]:
    reader = TFLiteReader(path)
    tfl = reader.tflite
    graph = reader.graph
    ops: list[dict[str, Any]] = []
    state: dict[str, torch.Tensor] = {}
    for index in range(graph.OperatorsLength()):
        op = graph.Operators(index)
        name = reader.op_names[op.OpcodeIndex()]
        inputs = [op.Inputs(i) for i in range(op.InputsLength())]
        output = op.Outputs(0)
        if name == "DEQUANTIZE":  # fp16 weights -> fp32 constants, folded away
            reader.constants[output] = reader.constant(inputs[0])
            continue
        spec: dict[str, Any] = {"inputs": [inputs[0]], "output": output}
        prefix = f"ops.{len(ops)}.conv."
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            weight, bias = reader.constant(inputs[1]), reader.constant(inputs[2])
            depthwise = name == "DEPTHWISE_CONV_2D"
            options = reader.options(op, tfl.DepthwiseConv2DOptions if depthwise else tfl.Conv2DOptions)
            _, height, width, channels = reader.shape(inputs[0])
            kernel, stride = weight.shape[1], options.StrideH()
            assert weight.shape[1] == weight.shape[2] and options.StrideH() == options.StrideW()
            pad_top, pad_bottom = same_padding(height, kernel, stride) if options.Padding() == tfl.Padding.SAME else (0, 0)
            pad_left, pad_right = same_padding(width, kernel, stride) if options.Padding() == tfl.Padding.SAME else (0, 0)
            # TFLite: conv [out, kh, kw, in], depthwise [1, kh, kw, out]; torch: [out, in/groups, kh, kw].
            torch_weight = weight.transpose(3, 0, 1, 2) if depthwise else weight.transpose(0, 3, 1, 2)
            out_channels = torch_weight.shape[0]
            spec.update(type="conv", in_channels=channels, out_channels=out_channels, kernel=kernel, stride=stride,
                        groups=channels if depthwise else 1, pad=[pad_left, pad_right, pad_top, pad_bottom],
                        activation=_ACTIVATIONS[options.FusedActivationFunction()])
            state[prefix + "weight"] = torch.from_numpy(np.ascontiguousarray(torch_weight))
            state[prefix + "bias"] = torch.from_numpy(bias)
        elif name == "Convolution2DTransposeBias":
            weight, bias = reader.constant(inputs[1]), reader.constant(inputs[2])
            stride = int(np.frombuffer(op.CustomOptionsAsNumpy().tobytes(), np.int32)[1])
            assert weight.shape[1] == stride  # kernel == stride: SAME padding adds nothing
            spec.update(type="transposed_conv", in_channels=weight.shape[3], out_channels=weight.shape[0],
                        kernel=weight.shape[1], stride=stride)
            state[prefix + "weight"] = torch.from_numpy(np.ascontiguousarray(weight.transpose(3, 0, 1, 2)))
            state[prefix + "bias"] = torch.from_numpy(bias)
        elif name in ("ADD", "MUL"):
            options = reader.options(op, tfl.AddOptions if name == "ADD" else tfl.MulOptions)
            assert all(reader.constant(i) is None for i in inputs)
            spec.update(type=name.lower(), inputs=inputs, activation=_ACTIVATIONS[options.FusedActivationFunction()])
        elif name in ("RELU", "HARD_SWISH", "LOGISTIC"):
            spec["type"] = {"RELU": "relu", "HARD_SWISH": "hard_swish", "LOGISTIC": "sigmoid"}[name]
        elif name in ("AVERAGE_POOL_2D", "MEAN"):
            _, height, width, _ = reader.shape(inputs[0])
            assert reader.shape(output)[1:3] == [1, 1], "only global pooling is used by these models"
            spec["type"] = "global_average"
        elif name == "RESIZE_BILINEAR":
            options = reader.options(op, tfl.ResizeBilinearOptions)
            assert options.HalfPixelCenters() and not options.AlignCorners()
            spec.update(type="resize", size=[int(v) for v in reader.constant(inputs[1])])
        else:
            raise ValueError(f"{path.name}: operation {name} is not supported by the port")
        ops.append(spec)
    _, height, width, _ = reader.shape(graph.Inputs(0))
    payload = {"ops": ops, "input_id": graph.Inputs(0), "output_id": graph.Outputs(0),
               "input_size": [height, width], "state_dict": state, "license": LICENSE_NOTE}
    net = SegmentationNet(ops, payload["input_id"], payload["output_id"], (height, width))
    net.load_state_dict(state)  # proves the spec and the weights agree
    return payload


def main(folder: Path = CHECKPOINTS) -> None:
    for name, file_name in MODELS.items():
        payload = convert(mediapipe_model_path(file_name))
        torch.save(payload, folder / f"{name}.pt")
        print(f"wrote {folder / f'{name}.pt'} ({len(payload['ops'])} operations)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else CHECKPOINTS)
