"""Where stylized frames go. Every output (a recording, the virtual camera) is a FrameSink: put()
each frame, close() once. ThreadedSink runs a Writer (the video encoder, the virtual camera
device) on its own thread, fed by a bounded queue, so the frame loop never waits on it (live) or
waits instead of dropping (files)."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Protocol

import numpy as np

from realtime.errors import UserError
from realtime.mailbox import OrderedQueue


class FrameSink(Protocol):
    """An output of the stream: frames in order, each with its capture time."""
    error: BaseException | None  # set once the output has failed; put() then raises

    def put(self, image: np.ndarray, timestamp: float) -> None: ...

    def close(self, complete: bool = True) -> None:
        """Finish the output; complete=False: the run stopped early. Raises UserError on failure."""

    def summary(self) -> str:
        """One line for the user: what was written where."""


class Writer(Protocol):
    """What a ThreadedSink drives: VideoWriter (a file) or VirtualCameraWriter (a device)."""
    path: Path | str
    live: bool  # a slow writer drops frames (counted) instead of stalling the stream
    kept: Path | None  # an existing file left in place because the run did not finish
    frames_written: int

    def write(self, image: np.ndarray, timestamp: float) -> None: ...

    def close(self, complete: bool = True) -> None: ...


class ThreadedSink:
    """A FrameSink that runs its Writer on a thread of its own."""

    def __init__(self, writer: Writer, depth: int = 16):
        self.writer = writer
        self.queue: OrderedQueue[tuple[np.ndarray, float]] = OrderedQueue(depth)
        self.dropped = 0
        self.error: BaseException | None = None
        self._stopped = threading.Event()  # set when the encoder thread ends
        self._complete = True  # whether the run finished, so the file may replace an existing one
        self.encode_seconds: list[float] = []
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def put(self, image: np.ndarray, timestamp: float) -> None:
        """Live recordings drop a frame (counted) when the encoder is behind; file recordings wait.
        Once the encoder has failed (a full disk), every put raises, so the frame loop stops."""
        if self.error is not None:
            raise RuntimeError(f"recording {self.writer.path} failed: {self.error}")
        if self.writer.live:
            if not self.queue.try_put((image, timestamp)):
                self.dropped += 1
        elif not self.queue.put((image, timestamp), stop=self._stopped):
            raise RuntimeError(f"recording {self.writer.path} failed: {self.error}")

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                start = time.perf_counter()
                self.writer.write(*item)
                self.encode_seconds.append(time.perf_counter() - start)
        except BaseException as exc:  # reported by close()
            self.error = exc
        finally:
            try:
                self.writer.close(complete=self._complete and self.error is None)
            except BaseException as exc:
                self.error = self.error or exc
            self._stopped.set()

    def close(self, complete: bool = True) -> None:
        """Encode what is queued, then finalize the file. Raises what went wrong in the encoder.
        complete=False: the run stopped early (an error, Ctrl-C), so an existing file is not replaced."""
        self._complete = complete
        self.queue.close()
        self._thread.join()
        if isinstance(self.error, UserError):
            raise self.error
        if self.error is not None:
            raise UserError(f"recording {self.writer.path} failed: {self.error}") from self.error

    def summary(self) -> str:
        dropped = f", {self.dropped} dropped because the encoder fell behind" if self.dropped else ""
        kept = self.writer.kept
        note = f"; kept the existing {kept}, since this run did not finish" if kept else ""
        early = "" if self._complete else ", stopped early"
        if self.writer.frames_written == 0:
            return f"nothing was recorded to {self.writer.path} (0 frames{early}){note}"
        return f"wrote {self.writer.path} ({self.writer.frames_written} frames{dropped}{early}){note}"


def close_all(sinks: list[FrameSink], complete: bool = True) -> None:
    """Finalize every sink, even when one of them fails, saying what each wrote; then
    raise the first failure."""
    errors = []
    for sink in sinks:
        try:
            sink.close(complete)
        except RuntimeError as exc:
            errors.append(exc)
            continue
        print(sink.summary(), file=sys.stderr)
    if errors:
        raise errors[0]
