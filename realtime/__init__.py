"""realtime: real-time style transfer for webcams and video files.

Importing it changes nothing in the process: no environment variable, allocator setting or thread count.
`tune_for_realtime()` does that, once, explicitly (the command line calls it before torch loads).
`Stylizer` (realtime/api.py) is imported on first use, so `import realtime` loads no torch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from realtime.tuning import tune_for_realtime

if TYPE_CHECKING:
    from realtime.api import Stylizer

__version__ = "0.1.0"
__all__ = ["Stylizer", "tune_for_realtime"]


def __getattr__(name: str) -> object:
    if name == "Stylizer":
        from realtime.api import Stylizer

        return Stylizer
    raise AttributeError(f"module 'realtime' has no attribute {name!r}")
