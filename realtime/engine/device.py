"""Choosing the torch device that --device asks for."""
from __future__ import annotations

import torch

from realtime.errors import UserError
from realtime.model.architectures import MODELS
from realtime.settings import DEVICES


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise UserError("--device mps was asked for but MPS is not available; use --device cpu or auto")
    if requested not in DEVICES:
        raise UserError(f"unknown device {requested!r}; use {', '.join(DEVICES[:-1])} or {DEVICES[-1]}")
    return torch.device(requested)


def fast_cpu_bfloat16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX), where it runs convolutions ~2x faster."""
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, probe, lambda: False)() for probe in probes)


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The reduced precision worth using for training on this device, if any."""
    if device.type == "cuda":
        return torch.float16
    if device.type == "cpu" and fast_cpu_bfloat16():
        return torch.bfloat16
    return None


def resolve_model(requested: str) -> str:
    """What `--model` means here: auto is the first of MODELS (magenta, transfer-learned); a style
    without it falls back through the others (styles/registry.py)."""
    if requested != "auto":
        return requested
    return MODELS[0]
