"""`realtime export`: a style as a frozen TorchScript file that needs no project code to run.

The module maps RGB in [0, 1] (N x 3 x H x W, H and W multiples of 4) to RGB in [0, 1].
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from realtime.checkpoint import load_style
from realtime.registry import StyleRegistry


def export_torchscript(registry: StyleRegistry, style: str, variant: str, output: Path, half: bool = False) -> Path:
    ref = registry.resolve(style, variant)
    net, meta = load_style(ref.path)
    if half:
        net = net.half()
    frozen = torch.jit.freeze(torch.jit.script(net))
    output.parent.mkdir(parents=True, exist_ok=True)
    dtype = "float16" if half else "float32"
    torch.jit.save(frozen, str(output), _extra_files={"meta.json": json.dumps(meta), "dtype": dtype})
    return output
