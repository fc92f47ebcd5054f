"""The engine's thread in the window app: it runs the stream loop on the capture's frames, hands
every result to the recording and the other sinks, and publishes the newest for the window.

The window's thread controls it only by messages (pause, stop), which the engine thread takes between
frames; each message's future says when it has taken effect. The recording is one of its sinks: the app's
Recording (realtime.app.recording) starts and stops files behind it."""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from realtime.engine.stream import stylize_stream
from realtime.engine.style_engine import StyleEngine
from realtime.io.capture import CaptureThread, Frame
from realtime.io.sinks import FrameSink
from realtime.look import Look
from realtime.mailbox import LatestMailbox


@dataclass
class Stylized:
    image: np.ndarray  # H x W x 3 uint8 BGR, the composite frame (no HUD)
    index: int
    timestamp: float  # capture time of the source frame
    style: str


class EngineWorker(threading.Thread):
    def __init__(self, engine: StyleEngine, capture: CaptureThread, look: Look, sinks: list[FrameSink] = (),
                 paused: bool = False):
        super().__init__(name="engine", daemon=True)
        self.engine, self.capture, self.look = engine, capture, look
        self.sinks = list(sinks)  # outputs for the whole run: the recording, the virtual camera, NDI
        self.results: LatestMailbox[Stylized] = LatestMailbox()
        self.error: BaseException | None = None
        # Owned by this thread once it runs; the window's thread changes them only by message.
        self._paused, self._stopping = paused, False
        self._inbox: queue.SimpleQueue[tuple[str, object, Future]] = queue.SimpleQueue()
        self._ended = False  # once set, messages are applied by the sender (nothing else runs)
        self._ended_lock = threading.Lock()

    # -- messages, sent from the window's thread ---------------------------------------
    def set_paused(self, paused: bool) -> Future:
        """Paused, the engine takes no frames (the window keeps showing the last one)."""
        return self._send("paused", paused)

    def stop(self) -> None:
        """Stop after the frame in flight."""
        self._send("stop", None)

    def _send(self, kind: str, value: object) -> Future:
        future: Future = Future()
        with self._ended_lock:
            if not self._ended:
                self._inbox.put((kind, value, future))
                return future
        future.set_result(self._apply(kind, value))
        return future

    def _apply(self, kind: str, value: object) -> None:
        if kind == "paused":
            self._paused = bool(value)
        elif kind == "stop":
            self._stopping = True

    def _take_messages(self) -> bool:
        """Between frames: apply what was sent; while paused, wait for the next message. False: stop."""
        while True:
            waiting = self._paused and not self._stopping and not self._ended
            try:
                kind, value, future = self._inbox.get() if waiting else self._inbox.get_nowait()
            except queue.Empty:
                return not self._stopping
            future.set_result(self._apply(kind, value))

    # -- the engine's thread -------------------------------------------------------------
    def run(self) -> None:
        try:
            stylize_stream(self.engine, self.capture.frames, self.look, self._publish, keep_going=self._take_messages)
        except BaseException as exc:  # the window's thread reports it (and may restart this thread)
            self.error = exc
        finally:
            with self._ended_lock:
                self._ended = True
            self._take_messages()  # answer what came before the end
            self.results.close()

    def _publish(self, image: np.ndarray, frame: Frame, look: Look) -> None:
        for sink in self.sinks:
            sink.put(image, frame.show_time)
        self.results.put(Stylized(image, frame.index, frame.timestamp, look.style))
