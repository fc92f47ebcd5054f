"""realtime: real-time style transfer for webcams and video files."""
import os

__version__ = "0.1.0"

# Idle OpenMP threads sleep instead of spinning (GNU OpenMP spins for a while by default). Alone on the
# machine this costs nothing measurable; beside another busy process, spinning threads take the cores
# the working ones need: on 2 cores, 0.8 instead of 2.0 FPS (docs/benchmarks.md, "Beside other work").
# Set before torch loads its OpenMP runtime; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
