"""Process tuning for real-time work: one explicit call, never a side effect of importing the package or
building an engine. The command line makes it before any torch import; a program that embeds the
stylizer may make it too, before it imports torch.

It changes three process-wide things (docs/benchmarks.md, "Spinning threads, the machine's load..."):
- OpenMP's idle threads spin a moment before they sleep (read when torch loads its OpenMP runtime).
- glibc keeps freed big buffers for the next frame instead of handing them back to the kernel.
- A CPU engine sets torch's and OpenCV's thread counts to the cores other programs leave free
  (realtime/engine/cpu_share.py).
No torch, OpenCV or NumPy here.
"""
from __future__ import annotations

import ctypes
import os
import sys
import warnings

_tuned = False

M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
# glibc's upper limit (32 MB on 64-bit, 16 MB on 32-bit); bigger buffers still get their own mmap
MMAP_THRESHOLD_MAX = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)
TRIM_THRESHOLD = 1 << 30
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "LD_PRELOAD")  # the user chose already


def tune_for_realtime() -> None:
    """Tune this process for stylizing frame after frame; call it before importing torch."""
    global _tuned
    if "torch" in sys.modules and not _tuned:
        warnings.warn("tune_for_realtime() after torch was imported: OpenMP's thread settings no longer apply",
                      stacklevel=2)
    spin_idle_threads()
    keep_freed_memory()
    _tuned = True


def is_tuned() -> bool:
    """Whether tune_for_realtime() was called: only then may an engine change the process's thread counts."""
    return _tuned


def spin_idle_threads() -> None:
    """A value the user set wins. On Linux (GNU OpenMP, as in the PyPI wheels) idle threads spin a moment
    before they sleep: a frame is hundreds of small torch operations, and waking sleeping threads for each
    one cost 40 % of the frame rate on 2 cores (13.5 instead of 21.7 FPS). Spinning hurts beside another busy
    program; there the engine runs fewer threads (cpu_share.py, which reads Linux's /proc/stat). Elsewhere,
    without that, idle threads sleep at once."""
    if "OMP_WAIT_POLICY" in os.environ:
        return
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GOMP_SPINCOUNT", "100000")
    else:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"


def keep_freed_memory() -> bool:
    """Big buffers reused from frame to frame instead of handed back to the kernel (glibc on Linux).

    A 1280x720 float picture is 11 MB, and a frame makes dozens of them. glibc serves buffers that big with
    their own mmap, or trims its heap when a frame frees them, so the next frame's buffers are fresh pages
    that the kernel faults in and zeroes one by one: 16,000 page faults and 11 ms of a 49 ms frame at 1280x720
    on two cores. With glibc's two thresholds raised (what MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_
    would set at start-up), freed buffers stay in the heap for the next frame: the process keeps its peak
    heap, a few frames' worth of pictures. False where that does not apply (not Linux, not glibc, or the
    user set the thresholds or preloads another allocator)."""
    if not sys.platform.startswith("linux") or any(os.environ.get(name) for name in USER_SETTINGS):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    kept_mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)
    kept_trimmed = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(kept_mapped and kept_trimmed)
