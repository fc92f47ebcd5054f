"""Files the package ships beside its code (package data, so a plain `pip install .` has them too)."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SHIPPED_CHECKPOINTS = PACKAGE / "checkpoints"  # trained styles and the person-segmentation weights
# Where `--style NAME` is looked up; REALTIME_CHECKPOINTS points it at another folder.
CHECKPOINTS = Path(os.environ.get("REALTIME_CHECKPOINTS", SHIPPED_CHECKPOINTS))
SHADERS = Path(os.environ.get("REALTIME_SHADERS", PACKAGE / "shaders"))
