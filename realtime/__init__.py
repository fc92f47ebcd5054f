"""realtime: real-time style transfer for webcams and video files.

Importing it changes nothing in the process: no environment variable, allocator setting or thread count.
`tune_for_realtime()` does that, once, explicitly (the command line calls it before torch loads).
"""
from realtime.tuning import tune_for_realtime

__version__ = "0.1.0"
__all__ = ["tune_for_realtime"]
