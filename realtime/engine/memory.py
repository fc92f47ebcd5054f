"""Big buffers reused from frame to frame instead of handed back to the kernel (glibc on Linux).

A 1280x720 float picture is 11 MB, and a frame makes dozens of them. glibc serves buffers that big
with their own mmap, or trims its heap when a frame frees them, so the next frame's buffers are
fresh pages that the kernel has to fault in and zero one by one: 16,000 page faults and 11 ms of a
49 ms frame at 1280x720 on two cores. With glibc's two thresholds raised (what MALLOC_MMAP_THRESHOLD_
and MALLOC_TRIM_THRESHOLD_ would set at start-up), freed buffers stay in the heap for the next
frame: the process keeps its peak heap, a few frames' worth of pictures, instead of returning it.
"""
from __future__ import annotations

import ctypes
import os
import sys

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
