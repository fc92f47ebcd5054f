"""Hand-over points between threads.

LatestMailbox is for live data: one slot, a new item replaces an unread one (counted
as dropped), so a slow consumer sees the newest item instead of a growing backlog.
OrderedQueue is for files: a bounded FIFO whose producer waits while it is full, so
nothing is dropped.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class _Channel(Generic[T]):
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._closed = False
        self._condition = threading.Condition()
        self.dropped = 0

    def get(self, timeout: float | None = None) -> T | None:
        """The next item; None on timeout, or once closed and empty."""
        with self._condition:
            self._condition.wait_for(lambda: self._items or self._closed, timeout)
            if not self._items:
                return None
            item = self._items.popleft()
            self._condition.notify_all()
            return item

    def close(self) -> None:
        """No more items will come; those already in are still delivered."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def waiting(self) -> int:
        """How many items are in, not yet taken."""
        with self._condition:
            return len(self._items)

    @property
    def closed(self) -> bool:
        """Closed and drained."""
        with self._condition:
            return self._closed and not self._items


class LatestMailbox(_Channel[T]):
    def put(self, item: T, stop: threading.Event | None = None) -> bool:
        """Never waits: replaces an unread item. Always True."""
        with self._condition:
            if self._items:
                self._items.clear()
                self.dropped += 1
            self._items.append(item)
            self._condition.notify_all()
        return True


class OrderedQueue(_Channel[T]):
    def __init__(self, depth: int = 4):
        super().__init__()
        self.depth = depth

    def put(self, item: T, stop: threading.Event | None = None) -> bool:
        """Waits while full; gives up and returns False once `stop` is set."""
        with self._condition:
            while len(self._items) >= self.depth:
                if stop is not None and stop.is_set():
                    return False
                self._condition.wait(0.1)
            self._items.append(item)
            self._condition.notify_all()
        return True

    def try_put(self, item: T) -> bool:
        """Adds the item unless the queue is full; never waits."""
        with self._condition:
            if len(self._items) >= self.depth:
                return False
            self._items.append(item)
            self._condition.notify_all()
        return True
