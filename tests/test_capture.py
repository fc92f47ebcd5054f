"""Capture: live sources keep only the newest frame and count drops; files drop nothing."""
from __future__ import annotations

import time
from fractions import Fraction
from types import SimpleNamespace

import av
import numpy as np
import pytest
from conftest import decode, pattern_frame

from realtime.app.run import run_file
from realtime.io.capture import CaptureThread, open_video
from realtime.io.demo import DemoSource
from realtime.mailbox import LatestMailbox, OrderedQueue
from realtime.settings import RunSettings


class FastCamera:
    """A live source that delivers a numbered frame every 2 ms, faster than the consumer takes them."""

    live = True
    fps = Fraction(500)
    frame_count = None
    frame_size = (32, 24)
    description = "fast test camera"
    position = None

    def __init__(self, count: int):
        self.count, self.sent = count, 0

    def read(self):
        if self.sent >= self.count:
            return None
        time.sleep(0.002)
        self.sent += 1
        return np.full((24, 32, 3), self.sent % 256, np.uint8)

    def restart(self):
        return False

    def release(self):
        pass


def test_live_source_keeps_latency_at_one_frame_and_counts_drops():
    source = FastCamera(count=400)
    capture = CaptureThread(source)
    assert isinstance(capture.frames, LatestMailbox)
    capture.start()
    received = []
    while (frame := capture.frames.get(timeout=2)) is not None:
        # The frame we get is the newest one: at most one newer frame was read meanwhile.
        assert source.sent - (frame.index + 1) <= 1
        received.append(frame.index)
        time.sleep(0.02)  # a slow consumer: ten capture intervals per frame
    capture.join()
    assert received == sorted(received)
    assert capture.frames.dropped > 0
    assert capture.frames.dropped + len(received) == 400


def test_file_source_drops_nothing_and_keeps_order(clip):
    capture = CaptureThread(open_video(str(clip)))
    assert isinstance(capture.frames, OrderedQueue)
    capture.start()
    indexes, stamps = [], []
    while (frame := capture.frames.get(timeout=5)) is not None:
        indexes.append(frame.index)
        stamps.append(frame.timestamp)
        time.sleep(0.01)
    assert indexes == list(range(36))
    assert stamps == sorted(stamps)
    assert capture.frames.dropped == 0


def test_file_frames_carry_their_times_and_a_raw_stream_gets_its_rate(tmp_path):
    """A raw H.264 stream has no times (OpenCV says 0 for every frame): they must not all land at 0."""
    raw = tmp_path / "raw.h264"
    with av.open(str(raw), "w", format="h264") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(10):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pattern_frame(index, 64, 48), format="bgr24")))
        container.mux(stream.encode(None))
    capture = CaptureThread(open_video(str(raw)), loop=True, max_frames=15)
    capture.start()
    times = []
    while (frame := capture.frames.get(timeout=5)) is not None:
        times.append(frame.show_time)
    assert times == pytest.approx([index / 25 for index in range(15)], abs=1e-3)  # and on through the loop


def test_max_frames_and_stop(clip):
    capture = CaptureThread(open_video(str(clip)), max_frames=5)
    capture.start()
    frames = []
    while (frame := capture.frames.get(timeout=5)) is not None:
        frames.append(frame)
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]


def test_stop_releases_a_blocked_file_reader(clip):
    capture = CaptureThread(open_video(str(clip)))
    capture.start()
    time.sleep(0.3)  # the queue fills up and the reader waits
    capture.stop()
    capture.join(timeout=2)
    assert not capture.is_alive()


def test_demo_source_moves_and_paces_itself():
    demo = DemoSource(160, 90, fps=30)
    start = time.monotonic()
    frames = [demo.read() for _ in range(10)]
    assert time.monotonic() - start >= 0.25  # about 10 / 30 s
    assert frames[0].shape == (90, 160, 3)
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1.0


class SlowEngine:
    """Stylizes nothing, in 0.1 s a frame: slower than the demo's 30 frames a second."""
    device = "cpu"

    def style(self, name: str) -> SimpleNamespace:  # what run_file reports (run_report.py)
        return SimpleNamespace(ref=SimpleNamespace(name=name, kind="network", model="lite"))

    def new_stream(self) -> None:
        return None

    def submit(self, image: np.ndarray, _look, _stream=None) -> SimpleNamespace:
        time.sleep(0.1)
        return SimpleNamespace(wait=lambda: image)


def test_without_a_window_the_demo_keeps_every_frame(tmp_path, capsys):
    output = tmp_path / "demo.mp4"
    run_file(RunSettings(style="warm", demo=True, display=False, output=output, max_frames=8),
             DemoSource(64, 36), SlowEngine())
    assert len(decode(output)["frames"]) == 8
    assert "dropped" not in capsys.readouterr().err


def test_without_a_window_a_camera_drops_what_the_engine_misses_and_says_how_many(tmp_path, capsys):
    output = tmp_path / "camera.mp4"
    run_file(RunSettings(style="warm", camera=0, display=False, output=output, max_frames=40), FastCamera(100),
             SlowEngine())
    written = len(decode(output)["frames"])
    assert written < 40
    assert f"dropped {40 - written} frames from fast test camera" in capsys.readouterr().err
