"""realtime: real-time style transfer for webcams and video files."""
import os

__version__ = "0.1.0"

# Idle OpenMP threads spin a moment before they sleep: a frame is hundreds of small torch operations,
# and waking sleeping threads for each one cost 40 % of the frame rate on 2 cores (13.5 instead of
# 21.7 FPS). Spinning is what hurts beside another busy program; there the engine runs fewer threads
# (realtime/engine/cpu_share.py). docs/benchmarks.md, "Beside other work". Set before torch loads its
# OpenMP runtime (GNU OpenMP, as in the PyPI wheels); a value the user set wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "100000")
