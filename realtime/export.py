"""`realtime export`: a style as a file that needs no project code to run: frozen TorchScript
(.ts, for PyTorch and this app) or ONNX (.onnx, for ONNX Runtime, OpenVINO, TensorRT and
other tools; needs the `onnx` package).

The network maps RGB in [0, 1] (N x 3 x H x W, H and W multiples of 4) to RGB in [0, 1];
the ONNX graph takes any batch, height and width ("rgb" in, "styled" out) and carries the
style's metadata as the JSON property "meta".
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch

from realtime.errors import UserError
from realtime.styles.checkpoint import load_style
from realtime.styles.packs import load_pack_style
from realtime.styles.registry import StyleRegistry


def trained_network(registry: StyleRegistry, style: str, model: str) -> tuple[torch.nn.Module, dict]:
    """The style's network; a picture style or a TorchScript file has none to export."""
    ref = registry.resolve(style, model)
    if ref.kind != "network":
        what = "a picture style is painted by a shared network" if ref.kind == "picture" else "it is TorchScript already"
        raise UserError(f"cannot export {style}: {what}; export a trained style (a name from --list-styles, "
                        "or a .pt file from `realtime train`)")
    if ref.slots:  # a style of a pack: the pack's network painting it, as a network of its own
        net, meta = load_pack_style(ref, registry)
        return net.single(net.norms()[0].mix.tolist()), meta
    return load_style(ref.path)


def export_torchscript(registry: StyleRegistry, style: str, model: str, output: Path, half: bool = False) -> Path:
    net, meta = trained_network(registry, style, model)
    if half:
        net = net.half()
    frozen = torch.jit.freeze(torch.jit.script(net))
    dtype = "float16" if half else "float32"
    torch.jit.save(frozen, str(output), _extra_files={"meta.json": json.dumps(meta), "dtype": dtype})
    return output


ONNX_OPSET = 17


def export_onnx(registry: StyleRegistry, style: str, model: str, output: Path) -> Path:
    try:
        import onnx
    except ImportError:
        raise UserError("ONNX export needs the onnx package: pip install 'realtime[onnx]'") from None
    net, meta = trained_network(registry, style, model)
    sizes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():  # the exporter's notes on constant folding are not the user's concern
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), (torch.rand(1, 3, 64, 64),), str(output), dynamo=False, opset_version=ONNX_OPSET,
                          input_names=["rgb"], output_names=["styled"], dynamic_axes={"rgb": sizes, "styled": sizes})
    model = onnx.load(str(output))
    onnx.helper.set_model_props(model, {"meta": json.dumps(meta)})
    onnx.save(model, str(output))
    return output
