"""What a processing size needs in memory: check_frame_memory() refuses a size whose frames cannot fit
at all, before any work. (Reusing a frame's freed buffers for the next one is process tuning:
realtime/tuning.py.)
"""
from __future__ import annotations

import math

import torch

from realtime.errors import UserError


# What a pixel of the processing size takes, whatever --inference-size: about eight float RGB
# pictures of the frame (on the device, the network's output upsampled, the guided filter's means,
# the blend, the stabilizer's last frame) and the frames queued for the encoder: 96 bytes, against the
# 75 measured in file mode (peak memory at 2560x1440 against 1280x720, x264 included).
BYTES_PER_PIXEL = 8 * 3 * 4


def host_available_bytes() -> int | None:
    """The kernel's estimate of what can be allocated without swapping; None where it is not known."""
    try:
        with open("/proc/meminfo") as meminfo:
            line = next(line for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) * 1024  # kB


def available_bytes(device: torch.device) -> int | None:
    """Memory the frames can use: the host's (they are captured and encoded there), and on CUDA the GPU's too."""
    host = host_available_bytes()
    if device.type != "cuda":
        return host
    gpu = torch.cuda.mem_get_info(device)[0]
    return gpu if host is None else min(host, gpu)


def check_frame_memory(size: tuple[int, int], device: torch.device) -> None:
    """Refuse a processing size that cannot fit, before any work (instead of failing at every smaller
    inference size in turn, since those cannot shrink the frame itself)."""
    width, height = size
    needed, free = width * height * BYTES_PER_PIXEL, available_bytes(device)
    if free is None or needed <= free:
        return
    scale = math.sqrt(free / needed)
    fits = f"{int(width * scale) // 16 * 16}x{int(height * scale) // 16 * 16}"
    raise UserError(f"--size {width}x{height} needs about {needed / 2**30:.1f} GB of memory and {free / 2**30:.1f} GB "
                    f"is free here; the largest size of that shape that fits is about {fits}")
