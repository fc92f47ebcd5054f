"""Style checkpoint files: the project's own format and pytorch/examples state dicts.

Our files hold {"format", "network", "architecture", "state_dict", "meta"}: "network" names the file's row of
model/architectures.py's ARCHITECTURES, "architecture" is the config its builder takes. Files saved before
"network" existed are Johnson et al.'s TransformerNet (model/transformer.py). A bare state dict
is taken to be a pytorch/examples fast_neural_style TransformerNet (0-255 pixels,
unbounded output); its residual blocks are named res1..res5 and old files carry
InstanceNorm running statistics that current PyTorch rejects.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from realtime.errors import UserError
from realtime.model.architectures import ARCHITECTURES, Architecture
from realtime.model.transformer import TransformerNet, transformer_net

FORMAT = "realtime-style/1"
_EXAMPLES_RESIDUAL = re.compile(r"^res(\d+)\.")


def save_style(path: Path, net: nn.Module, model: str, meta: dict[str, Any], config: dict[str, Any] | None = None) -> None:
    """Save a network built by ARCHITECTURES[model] with its row's config (the file's "network" names the model),
    or with the row's config updated by `config` (a style pack: the conditional network with more slots)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float32).clone() for k, v in net.state_dict().items()}
    torch.save({"format": FORMAT, "network": model, "architecture": {**ARCHITECTURES[model].config, **(config or {})},
                "state_dict": state, "meta": meta}, path)


def _from_examples(state: dict[str, torch.Tensor]) -> tuple[Architecture, dict[str, torch.Tensor]]:
    converted = {}
    for key, value in state.items():
        if re.search(r"running_(mean|var)$", key):
            continue
        match = _EXAMPLES_RESIDUAL.match(key)
        if match:
            key = f"residual.{int(match.group(1)) - 1}." + key[match.end():]
        converted[key] = value
    blocks = {int(k.split(".")[1]) for k in converted if k.startswith("residual.")}
    arch = Architecture(
        base_channels=converted["conv1.conv2d.weight"].shape[0],
        residual_blocks=len(blocks),
        pixel_range=255.0,
        bounded_output=False,
    )
    return arch, converted


def _from_ours(path: Path, payload: dict) -> tuple[nn.Module, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The untrained network a file of ours names, its config (with the row's defaults), state and meta."""
    missing = [key for key in ("architecture", "state_dict", "meta") if not isinstance(payload.get(key), dict)]
    if missing:
        raise UserError(f"{path} is a damaged realtime style checkpoint (no {', '.join(missing)}); "
                        "train or download it again")
    config = payload["architecture"]
    build: Callable[[dict], nn.Module] = transformer_net  # files from before the "network" field
    defaults: dict[str, Any] = Architecture().to_dict()
    if "network" in payload:
        row = ARCHITECTURES.get(payload["network"])
        if row is None:
            raise UserError(f"{path} is a {payload['network']!r} network, which this version does not know "
                            f"(known: {', '.join(ARCHITECTURES)}); update realtime or retrain the style")
        build, defaults = row.build, dict(row.config)
    try:
        net = build(config)
    except TypeError:
        raise UserError(f"{path} has an architecture this version does not know "
                        f"({', '.join(map(str, config))}; known fields: {', '.join(defaults)}); "
                        "update realtime or retrain the style") from None
    return net, {**defaults, **config}, payload["state_dict"], dict(payload["meta"])


def load_style(path: Path) -> tuple[nn.Module, dict[str, Any]]:
    """Load a style network on the CPU in eval mode, with its metadata."""
    try:
        # torch warns (a second line on stderr) when the file is a TorchScript archive; said below instead.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad file
        if any("TorchScript" in str(warning.message) for warning in caught):
            raise UserError(f"{path} is a TorchScript file; name it .ts (as 'realtime export' does) "
                            "to use it as a style") from exc
        raise UserError(f"cannot load style checkpoint {path}: it is not a file torch.save wrote, or it is damaged; "
                        "pass a realtime or pytorch/examples fast_neural_style .pt/.pth file") from exc
    if not isinstance(payload, dict):
        raise UserError(f"{path} is not a style checkpoint (expected a state dict)")
    if payload.get("format") == FORMAT:
        net, config, state, meta = _from_ours(path, payload)
    else:
        try:
            arch, state = _from_examples(payload)
        except (KeyError, IndexError, AttributeError) as exc:
            raise UserError(f"{path} holds no style network (a PyTorch file without the layers of realtime's or "
                            "fast_neural_style's); pass a .pt from `realtime train` or a fast_neural_style .pth") from exc
        meta = {"name": path.stem, "source": "pytorch/examples fast_neural_style"}
        net, config = TransformerNet(arch), arch.to_dict()
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[0]
        raise UserError(f"{path} does not match the {type(net).__name__} layout: {first_line}") from exc
    meta["architecture"] = config
    return net.eval(), meta
