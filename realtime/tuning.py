"""Process tuning for real-time work: one explicit call, never a side effect of importing the package or
building an engine. The command line makes it before any torch import; a program that embeds the
stylizer may make it too, before it imports torch.

It changes these process-wide things (docs/benchmarks.md, "Spinning threads, the machine's load..."):
- OpenMP's idle threads spin a moment before they sleep (read when torch loads its OpenMP runtime).
- glibc keeps freed big buffers for the next frame instead of handing them back to the kernel.
- OpenCV and its FFmpeg say nothing on stderr (a capture that fails is reported by us, in one line).
- A CPU engine sets torch's and OpenCV's thread counts to the cores other programs leave free
  (realtime/engine/cpu_share.py).
And one more the app calls itself, once a recording's encoder has opened (realtime/app/recording.py):
drop_realtime_priority(), which puts every thread back on the normal scheduling policy.
The library (the Stylizer, VideoWriter, open_video) makes none of these changes by itself.
No torch, OpenCV or NumPy imported here.
"""
from __future__ import annotations

import ctypes
import os
import sys
import warnings
from pathlib import Path

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
    quiet_video_capture()
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


def quiet_video_capture() -> None:
    """OpenCV logs a warning for each camera index that does not open, and FFmpeg inside OpenCV prints its
    own complaints about bad files ("moov atom not found"); we report both ourselves, in one line. Sets
    OpenCV's log level for the whole process (through OPENCV_LOG_LEVEL before OpenCV loads) and, unless the
    user set it, OPENCV_FFMPEG_LOGLEVEL, which OpenCV reads when its first capture opens."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cv2 = sys.modules.get("cv2")
    if cv2 is None:
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    else:  # loaded already: it read OPENCV_LOG_LEVEL then
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def drop_realtime_priority() -> None:
    """SVT-AV1 (--codec av1) run by root puts the thread that opens it, and the workers it starts, on
    real-time priority (SCHED_FIFO 99): on a 2-core machine they then starve the capture, the engine and
    every process started afterwards. Put every thread of this process back to the normal policy: a change
    to the scheduling of the whole process, which the app makes once a recording's encoder has opened."""
    if not hasattr(os, "sched_setscheduler"):
        return
    for task in Path("/proc/self/task").iterdir():
        try:
            if os.sched_getscheduler(int(task.name)) != os.SCHED_OTHER:
                os.sched_setscheduler(int(task.name), os.SCHED_OTHER, os.sched_param(0))
        except (ProcessLookupError, PermissionError):
            pass  # the thread ended meanwhile
