"""Frame sources and the capture thread.

Live sources (cameras, stream URLs, the demo) deliver through a one-slot mailbox:
a consumer always gets the newest frame, and frames it was too slow for are
dropped and counted instead of queuing up as latency. Files are read in order
through a bounded queue, and nothing is dropped: the reader waits instead.
"""
from __future__ import annotations

import logging
import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.io.alpha_video import AlphaVideoSource, has_alpha
from realtime.io.quiet import silenced_stderr
from realtime.io.user_files import check_file
from realtime.mailbox import LatestMailbox, OrderedQueue

CAMERA_INDEXES_TO_TRY = (0, 1, 2)
RECONNECT_FIRST_DELAY, RECONNECT_MAX_DELAY = 0.5, 8.0  # seconds between tries to reopen a lost camera
STOP_TIMEOUT = 5.0  # seconds to wait for a read to return when stopping; a hung camera is left behind
# A stream that sends nothing fails after this long, not after FFmpeg's 30 s; each reconnection try too.
STREAM_TIMEOUT_SECONDS = 8.0
STREAM_TIMEOUTS = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, round(STREAM_TIMEOUT_SECONDS * 1000),
                   cv2.CAP_PROP_READ_TIMEOUT_MSEC, round(STREAM_TIMEOUT_SECONDS * 1000)]
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}
log = logging.getLogger("realtime")


@dataclass
class Frame:
    image: np.ndarray  # H x W x 3 uint8, BGR
    index: int  # position in the source, counting from 0
    timestamp: float  # time.monotonic() when the frame was captured
    decode_seconds: float = 0.0  # how long reading it from the source took
    media_time: float | None = None  # when it shows in a file, in seconds (loops count on); None live

    @property
    def show_time(self) -> float:
        """What a recording stamps it with: its own time in a file (which may vary from frame to frame,
        as a phone's or a browser's does), else its capture time."""
        return self.timestamp if self.media_time is None else self.media_time


class Source(Protocol):
    live: bool
    fps: Fraction
    frame_count: int | None  # None for live sources
    frame_size: tuple[int, int]  # width, height
    description: str  # for messages: "camera 0", "video clip.mp4"
    position: float | None  # a file's time of the frame last read, in seconds; None live

    def read(self) -> np.ndarray | None: ...

    def restart(self) -> bool:
        """Start again: rewind a file, reopen a camera or stream. False when it cannot (yet)."""
        ...

    def release(self) -> None: ...


def _fps_fraction(value: float, default: int = 30) -> Fraction:
    if not math.isfinite(value) or value <= 0 or value > 1000:
        return Fraction(default)
    return Fraction(value).limit_denominator(1001)


Opener = Callable[[], "tuple[cv2.VideoCapture, np.ndarray] | None"]


class OpenCVSource:
    """A camera index, a video file or a stream URL, read with cv2.VideoCapture."""

    def __init__(self, opener: Opener, live: bool, description: str):
        opened = opener()
        if opened is None:
            raise UserError(f"cannot open {description}")
        capture, first_frame = opened
        self.opener, self.capture, self.live, self.description = opener, capture, live, description
        self.fps = _fps_fraction(capture.get(cv2.CAP_PROP_FPS))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = None if live or count <= 0 else count
        self.frame_size = (first_frame.shape[1], first_frame.shape[0])
        self._pending: np.ndarray | None = first_frame
        self.position: float | None = None

    def read(self) -> np.ndarray | None:
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            ok, image = self.capture.read()
            if not ok:
                return None
        if not self.live:
            self.position = self.capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
        return image

    def restart(self) -> bool:
        """Reopened, not rewound: seeking a one-frame video back to its start reads nothing."""
        self.capture.release()
        opened = self.opener()
        if opened is None:
            return False
        self.capture, self._pending = opened
        return True

    def release(self) -> None:
        self.capture.release()


def _first_frame(capture: cv2.VideoCapture) -> tuple[cv2.VideoCapture, np.ndarray] | None:
    ok, image = capture.read() if capture.isOpened() else (False, None)
    if not ok:
        capture.release()
        return None
    return capture, image


def open_camera(index: int, width: int | None = None, height: int | None = None, fps: float | None = None) -> OpenCVSource | None:
    """Open camera `index` asking for MJPG at the given mode; None when it delivers no frame."""

    def opener() -> tuple[cv2.VideoCapture, np.ndarray] | None:
        capture = cv2.VideoCapture(index)
        if capture.isOpened():
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            if width and height:
                capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
                capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                capture.set(cv2.CAP_PROP_FPS, fps)
        return _first_frame(capture)

    try:
        return OpenCVSource(opener, live=True, description=f"camera {index}")
    except UserError:
        return None


def check_input(path_or_url: str) -> None:
    """A local --input is a file: not missing, not a folder, not a device or a pipe."""
    if "://" not in path_or_url:
        check_file(Path(path_or_url), "input", "pass one video or picture file from it (one run per file)")


def open_video(path_or_url: str) -> Source:
    """Open a video file (read in order; one with alpha through PyAV) or a stream URL (live)."""
    is_url = "://" in path_or_url
    check_input(path_or_url)
    if not is_url and has_alpha(Path(path_or_url)):
        return AlphaVideoSource(Path(path_or_url))
    what = "stream" if is_url else "video"

    def opener() -> tuple[cv2.VideoCapture, np.ndarray] | None:
        if is_url:  # reconnecting may take seconds, on the capture thread: leave stderr alone
            return _first_frame(cv2.VideoCapture(path_or_url, cv2.CAP_FFMPEG, STREAM_TIMEOUTS))
        # OpenCV reads a lone picture as a one-frame video; libjpeg and friends would print their own
        # complaints about a damaged one beside our one-line error.
        with silenced_stderr():
            return _first_frame(cv2.VideoCapture(path_or_url))

    try:
        return OpenCVSource(opener, live=is_url, description=f"{what} {path_or_url}")
    except UserError:
        if is_url and accepts_connections(path_or_url):
            raise UserError(f"connected to {path_or_url}, but got no frames in {STREAM_TIMEOUT_SECONDS:.0f} s; "
                            "check that the stream is running and its path") from None
        raise UserError(f"cannot read {what} {path_or_url}; check that it is a playable video "
                        "(mp4, mkv, avi, webm) or a reachable URL") from None


def accepts_connections(url: str) -> bool:
    """Whether the URL's server takes a TCP connection: up, but not sending video (or not at that path)."""
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    if not parts.hostname or port is None:
        return False
    try:
        with socket.create_connection((parts.hostname, port), timeout=2):
            return True
    except OSError:
        return False


def next_media_time(position: float | None, offset: float, previous: float | None, fps: Fraction) -> float | None:
    """A file frame's time: where it is in the file, counted on from a loop's earlier passes. One that does
    not come after the frame before (a raw .h264 stream has no times) shows one frame period after it."""
    if position is None:
        return None
    if previous is not None and offset + position <= previous:
        return previous + 1 / float(fps)
    return offset + position


class CaptureThread(threading.Thread):
    """Reads a source on its own thread and hands frames to a mailbox (live) or a queue (file)."""

    def __init__(self, source: Source, max_frames: int | None = None, paced: bool = False, live: bool | None = None,
                 loop: bool = False, reconnect: bool = False):
        super().__init__(name="capture", daemon=True)
        self.source = source
        self.loop = loop  # a file starts over at its end
        self.reconnect = reconnect  # a camera or stream that stops is reopened, with back-off
        self.lost = False  # the live source stopped delivering and is being reopened
        self.reconnects = 0
        live = source.live if live is None else live  # a benchmark plays a file as if it were a camera
        self.frames: LatestMailbox[Frame] | OrderedQueue[Frame] = LatestMailbox() if live else OrderedQueue()
        self.max_frames = max_frames
        self.paced = paced  # play a file at its own frame rate (for the window)
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        index = index_offset = 0
        time_offset = 0.0  # a looped file's times go on from where its last pass ended
        media_time: float | None = None
        start = time.monotonic()
        try:
            while not self._stop_event.is_set() and (self.max_frames is None or index < self.max_frames):
                read_start = time.perf_counter()
                image = self.source.read()
                decode_seconds = time.perf_counter() - read_start
                if image is None:
                    if self.source.live and self.reconnect and self._reopen():
                        continue
                    if not self.source.live and self.loop and self.source.restart():
                        start, index_offset = time.monotonic(), index
                        time_offset = (media_time or 0.0) + 1 / float(self.source.fps)
                        continue
                    break
                if self.paced:
                    delay = start + (index - index_offset) / float(self.source.fps) - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                media_time = next_media_time(self.source.position, time_offset, media_time, self.source.fps)
                if not self.frames.put(Frame(image, index, time.monotonic(), decode_seconds, media_time), self._stop_event):
                    break
                index += 1
        except BaseException as exc:  # handed to the consumer, which reports it
            self.error = exc
        finally:
            self.frames.close()
            self.source.release()

    def _reopen(self) -> bool:
        """Retry a lost live source with back-off until it returns (True) or we are stopped."""
        self.lost = True
        log.warning("%s stopped delivering frames; reconnecting", self.source.description)
        delay = RECONNECT_FIRST_DELAY
        while not self._stop_event.wait(delay):
            if self.source.restart():
                self.lost = False
                self.reconnects += 1
                log.warning("%s is back", self.source.description)
                return True
            delay = min(delay * 2, RECONNECT_MAX_DELAY)
        return False

    def restarted(self) -> CaptureThread:
        """A new thread (a thread runs once) on this one's source, reopened after a failure."""
        if not self.source.restart():
            raise self.error or UserError(f"cannot reopen {self.source.description}")
        return CaptureThread(self.source, self.max_frames, self.paced, live=isinstance(self.frames, LatestMailbox),
                             loop=self.loop, reconnect=self.reconnect)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop reading and wait for the thread: a daemon thread still inside OpenCV while the
        interpreter exits can abort the process ("terminate called without an active exception")."""
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
