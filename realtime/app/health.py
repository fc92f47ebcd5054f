"""How a long-running show is doing: frame rate and memory, for the HUD and the health log."""
from __future__ import annotations

import os
import time
from pathlib import Path


def resident_megabytes() -> float:
    """This process's resident memory (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FrameRateMeter:
    def __init__(self, window_seconds: float = 1.0):
        self.window_seconds = window_seconds
        self.times: list[float] = []

    def tick(self) -> None:
        now = time.monotonic()
        self.times = [t for t in self.times if now - t <= self.window_seconds] + [now]

    @property
    def fps(self) -> float:
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / max(self.times[-1] - self.times[0], 1e-6)
