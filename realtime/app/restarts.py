"""--keep-going: whether a failed engine or capture thread of the window app may be replaced."""
from __future__ import annotations

import logging
import time

MAX_RESTARTS_PER_MINUTE = 5  # more means the failure repeats: stop instead of looping on it
log = logging.getLogger("realtime")


class RestartPolicy:
    def __init__(self, keep_going: bool):
        self.keep_going = keep_going
        self.times: list[float] = []  # when a failed thread was replaced, within the last minute

    def allow(self, thread: str, error: BaseException) -> None:
        """Log the failure and return if the thread may be replaced (at most 5 times a minute); else re-raise."""
        now = time.monotonic()
        self.times = [t for t in self.times if now - t < 60] + [now]
        if not self.keep_going or len(self.times) > MAX_RESTARTS_PER_MINUTE:
            log.error("%s thread failed: %r", thread, error)
            raise error
        log.error("%s thread failed, restarting it: %r", thread, error)
