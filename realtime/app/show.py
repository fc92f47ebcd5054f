"""An unattended show: a playlist of (style, stylize mode) stepped through on a timer (--cycle)."""
from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class Show:
    playlist: list[tuple[str, str | None]]  # (style, stylize mode or None: leave the mode as it is)
    cycle_seconds: float
    position: int = 0
    last_change: float = 0.0

    def start(self) -> None:
        self.last_change = time.monotonic()

    def next_entry(self) -> tuple[str, str | None] | None:
        """The playlist's next entry once the current one has had its time, else None."""
        if time.monotonic() - self.last_change < self.cycle_seconds:
            return None
        self.position = (self.position + 1) % len(self.playlist)
        self.last_change = time.monotonic()
        return self.playlist[self.position]
