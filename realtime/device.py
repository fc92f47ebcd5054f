"""Choosing the torch device that --device asks for."""
from __future__ import annotations

import torch

from realtime.errors import UserError


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
    if requested not in ("cpu", "cuda", "mps"):
        raise UserError(f"unknown device {requested!r}; use auto, cuda, mps or cpu")
    return torch.device(requested)
