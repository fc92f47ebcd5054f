"""realtime: real-time style transfer for webcams and video files."""
import os
import sys

__version__ = "0.1.0"

# Set before torch loads its OpenMP runtime; a value the user set wins. On Linux (GNU OpenMP, as in
# the PyPI wheels) idle threads spin a moment before they sleep: a frame is hundreds of small torch
# operations, and waking sleeping threads for each one cost 40 % of the frame rate on 2 cores (13.5
# instead of 21.7 FPS). Spinning hurts beside another busy program; there the engine runs fewer
# threads (realtime/engine/cpu_share.py, which reads Linux's /proc/stat). Elsewhere, without that,
# idle threads sleep at once. docs/benchmarks.md, "Spinning threads, the machine's load...".
if "OMP_WAIT_POLICY" not in os.environ:
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GOMP_SPINCOUNT", "100000")
    else:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
