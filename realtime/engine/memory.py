"""Big buffers reused from frame to frame instead of handed back to the kernel (glibc on Linux).

A 1280x720 float picture is 11 MB, and a frame makes dozens of them. glibc serves buffers that big
with their own mmap, or trims its heap when a frame frees them, so the next frame's buffers are
fresh pages that the kernel has to fault in and zero one by one: 16,000 page faults and 11 ms of a
49 ms frame at 1280x720 on two cores. With glibc's two thresholds raised (what MALLOC_MMAP_THRESHOLD_
and MALLOC_TRIM_THRESHOLD_ would set at start-up), freed buffers stay in the heap for the next
frame: the process keeps its peak heap, a few frames' worth of pictures, instead of returning it.

Before any of that, check_frame_memory() refuses a processing size whose frames cannot fit at all.
"""
from __future__ import annotations

import ctypes
import math
import os
import sys

import torch

from realtime.errors import UserError

M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
# glibc's upper limit (32 MB on 64-bit, 16 MB on 32-bit); bigger buffers still get their own mmap
MMAP_THRESHOLD_MAX = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)
TRIM_THRESHOLD = 1 << 30
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD")  # the user chose already


def keep_freed_memory() -> bool:
    """Raise glibc's thresholds for this process; False where that does not apply (not Linux, not
    glibc, or the user set them or preloads another allocator)."""
    if not sys.platform.startswith("linux") or any(os.environ.get(name) for name in USER_SETTINGS):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    kept_mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)
    kept_trimmed = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(kept_mapped and kept_trimmed)


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
