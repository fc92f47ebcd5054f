"""The stream loop: every caller that stylizes a sequence of frames runs it (file mode, the window's
engine thread, the bench), so they all keep the same order, overlap and shutdown."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from realtime.look import Look

if TYPE_CHECKING:
    from realtime.engine.style_engine import PendingResult, StyleEngine
    from realtime.io.capture import Frame


class FrameChannel(Protocol):
    """Where frames come from: a capture thread's mailbox or queue (realtime.mailbox)."""

    def get(self, timeout: float | None = None) -> Frame | None: ...

    @property
    def closed(self) -> bool: ...


Deliver = Callable[[np.ndarray, "Frame", Look], None]


def stylize_stream(engine: StyleEngine, frames: FrameChannel, look: Look, deliver: Deliver,
                   keep_going: Callable[[], bool] = lambda: True, poll_seconds: float = 0.1) -> int:
    """Stylize frames in the order they come and hand each result to `deliver(image, frame, look)`;
    returns how many were delivered.

    The frames are one stream: the stabilizer and the person mask remember the last of them, in a
    StreamState of their own (another stream through the same engine has its own). Frame N+1 is
    submitted before frame N is waited for, so on a GPU the next frame's upload overlaps this one's work;
    at most two frames are ever in flight, which the stream's double-buffered pinned memory relies on. With a frame in flight, only a frame that is already waiting is taken, so the
    overlap never adds latency to a live source. `look` is read once per frame (a snapshot: another
    thread may change it meanwhile).

    Ends when `frames` is closed and drained, or when keep_going() returns False (it is asked before
    every frame, and may block, e.g. while paused); the frame in flight is delivered first. An error
    in the engine or in `deliver` propagates at once.
    """
    stream = engine.new_stream()
    delivered = 0
    in_flight: tuple[PendingResult, Frame, Look] | None = None

    def deliver_in_flight() -> None:
        nonlocal in_flight, delivered
        result, frame, frame_look = in_flight
        in_flight = None
        deliver(result.wait(), frame, frame_look)
        delivered += 1

    while keep_going():
        frame = frames.get(timeout=0 if in_flight else poll_seconds)
        if frame is None:
            if in_flight:
                deliver_in_flight()
            elif frames.closed:
                break
            continue
        frame_look = look.snapshot()
        submitted = (engine.submit(frame.image, frame_look, stream), frame, frame_look)
        if in_flight:
            deliver_in_flight()
        in_flight = submitted
    if in_flight:
        deliver_in_flight()
    return delivered
