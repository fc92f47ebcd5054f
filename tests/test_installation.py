"""Unattended shows: lost cameras come back, files loop, playlists cycle, logs and config errors help."""
from __future__ import annotations

import glob
import json
import logging
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import decode, run_cli
from test_capture import FastCamera

from realtime.io.capture import CaptureThread, open_video
from realtime.logs import setup_logging


class FlakyCamera(FastCamera):
    """A live source that stops after 10 frames and refuses two reconnection tries before it returns."""

    description = "flaky test camera"

    def __init__(self):
        super().__init__(count=10**6)
        self.failed_reopens, self.unplugged = 0, False

    def read(self):
        if self.unplugged:
            return None
        if self.sent == 9:
            self.unplugged = True
        return super().read()

    def restart(self):
        if self.failed_reopens < 2:
            self.failed_reopens += 1
            return False
        self.unplugged = False
        return True


def test_lost_camera_is_reopened_and_frames_resume(caplog):
    source = FlakyCamera()
    capture = CaptureThread(source, max_frames=30, reconnect=True)
    with caplog.at_level(logging.WARNING, logger="realtime"):
        capture.start()
        seen_lost, frames = False, []
        while (frame := capture.frames.get(timeout=10)) is not None:
            frames.append(frame.index)
            seen_lost = seen_lost or capture.lost
            time.sleep(0.005)
        capture.join(timeout=10)
    assert capture.reconnects == 1 and source.failed_reopens == 2 and not capture.lost
    assert frames[-1] == 29  # it went on after the camera came back
    assert "stopped delivering frames" in caplog.text and "is back" in caplog.text


class UnpluggableCamera(BaseHTTPRequestHandler):
    """An IP camera (MJPEG over HTTP): the first viewer gets 30 frames, then the camera is
    unplugged for `down_seconds` (503 to everyone), then it streams until the test ends."""

    connections = 0
    unplugged_until = 0.0
    down_seconds = 2.0
    finished = threading.Event()

    def do_GET(self) -> None:
        if time.monotonic() < self.unplugged_until:
            self.send_error(503)
            return
        cls = type(self)
        cls.connections += 1
        first = cls.connections == 1
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        index = 0
        while not self.finished.is_set() and (index < 30 or not first):
            image = np.full((180, 320, 3), 40 + index % 200, np.uint8)
            jpeg = cv2.imencode(".jpg", image)[1].tobytes()
            try:
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                                 + jpeg + b"\r\n")
            except OSError:  # the app closed the connection
                return
            index += 1
            time.sleep(1 / 20)
        if first:
            cls.unplugged_until = time.monotonic() + self.down_seconds

    def log_message(self, *args) -> None:
        pass


def test_lost_stream_is_reconnected_by_the_running_app(style_dir, tmp_path):
    """A real process on a real network camera that drops out: it keeps recording once the camera is back."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), UnpluggableCamera)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    output, log_file = tmp_path / "reconnected.mp4", tmp_path / "show.log"
    try:
        result = run_cli("--input", f"http://127.0.0.1:{server.server_port}/stream.mjpg", "--style", "warm",
                         "--no-display", "--output", str(output), "--max-frames", "100", "--log-file", str(log_file),
                         checkpoints=style_dir, timeout=120)
    finally:
        UnpluggableCamera.finished.set()
        server.shutdown()
    assert result.returncode == 0, result.stderr
    log = log_file.read_text()
    assert "stopped delivering frames; reconnecting" in log and "is back" in log
    assert UnpluggableCamera.connections >= 2
    times = decode(output)["times"]  # live recordings keep capture times, so the outage shows as a gap
    gaps = np.diff(times)
    outage = int(np.argmax(gaps))
    assert gaps[outage] >= UnpluggableCamera.down_seconds * 0.8, times
    assert len(times) - outage - 1 >= 3, times  # it went on recording after the camera came back
    assert "Traceback" not in result.stderr


def test_virtual_camera_without_a_device_is_one_clear_line(style_dir, tmp_path):
    if glob.glob("/dev/video*"):
        pytest.skip("this machine has video devices; the error path needs none")
    output = tmp_path / "not_started.mp4"
    result = run_cli("--demo", "--style", "warm", "--no-display", "--virtual-camera", "--output", str(output),
                     checkpoints=style_dir, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: no virtual camera device (")
    assert "modprobe v4l2loopback" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not output.exists()  # checked before anything was written


def test_file_loops(clip):
    capture = CaptureThread(open_video(str(clip)), max_frames=80, loop=True)
    capture.start()
    indexes = []
    while (frame := capture.frames.get(timeout=10)) is not None:
        indexes.append(frame.index)
    assert indexes == list(range(80))  # 36 frames a pass, so more than two passes


def test_config_errors_name_the_line(tmp_path):
    config = tmp_path / "show.toml"
    config.write_text('style = "warm"\n\n# the show\ncycle = 5\nmodle = "lite"\n')
    result = run_cli("--config", str(config))
    assert result.returncode == 2
    assert f"unknown key 'modle' at {config}:5" in result.stderr


def test_log_file_records_health_and_styles(tmp_path, still_clip, style_dir):
    if not os.environ.get("DISPLAY"):
        pytest.skip("the show runs in the window: needs xvfb-run")
    from realtime.app.show import Show
    from realtime.app.window_app import LiveApp, Supervision
    from realtime.engine.style_engine import StyleEngine
    from realtime.look import Look
    from realtime.styles.registry import StyleRegistry
    from realtime.window.renderer import Renderer

    log_file = tmp_path / "show.log"
    setup_logging(log_file)
    registry = StyleRegistry(style_dir)
    engine = StyleEngine(registry, torch.device("cpu"), "lite")
    app = LiveApp(CaptureThread(open_video(str(still_clip)), paced=True, loop=True), engine, Look("warm"),
                  registry.names(), Renderer(192, 112), show=Show([("cool", None), ("warm", "person")], 0.5),
                  supervision=Supervision(health_every=0.5))
    app.start()
    styles_seen = set()
    try:
        deadline = time.monotonic() + 30  # the show switches every 0.5 s; a slow machine gets time to warm up
        while styles_seen != {"warm", "cool"} and time.monotonic() < deadline:
            app.step()
            if app.last is not None:
                styles_seen.add(app.last.style)
    finally:
        app.close()
        setup_logging(None)
    assert styles_seen == {"warm", "cool"}  # the playlist cycled
    text = log_file.read_text()
    assert "started: video" in text and "style: cool" in text and "health:" in text and "MB" in text


@pytest.mark.slow
def test_one_minute_soak(clip, style_dir, tmp_path):
    """The CI version of the 30-minute soak: no crash, memory flat, styles cycling."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("the soak runs the real window: needs xvfb-run")
    report_path = tmp_path / "soak.json"
    result = run_cli("eval", "soak", "--input", str(clip), "--minutes", "1", "--cycle", "3", "--size", "320x180",
                     "--json", str(report_path), checkpoints=style_dir, timeout=240)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    assert report["memory_growth_mb"] < 50
    assert report["style_changes"] >= 10 and report["fps_min"] > 0
    assert len(report["samples"]) >= 10


def keep_going_app(source, style_dir):
    from realtime.app.window_app import LiveApp, Supervision
    from realtime.engine.style_engine import StyleEngine
    from realtime.look import Look
    from realtime.styles.registry import StyleRegistry
    from realtime.window.renderer import Renderer

    registry = StyleRegistry(style_dir)
    engine = StyleEngine(registry, torch.device("cpu"), "lite")
    return LiveApp(CaptureThread(source, paced=True), engine, Look("warm"), registry.names(), Renderer(192, 112),
                   supervision=Supervision(keep_going=True))


def step_while(app, condition, deadline: float) -> None:
    while condition() and time.monotonic() < deadline:
        app.step()


def test_keep_going_restarts_a_failed_engine_thread(still_clip, style_dir, caplog):
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs xvfb-run")
    app = keep_going_app(open_video(str(still_clip)), style_dir)
    app.start()
    try:
        deadline = time.monotonic() + 30
        step_while(app, lambda: app.last is None, deadline)
        app.look.style = "missing"  # the engine thread fails on the next frame: no such style
        step_while(app, lambda: not app.restarts.times, deadline)
        app.look.style = "cool"
        shown = app.last.index
        step_while(app, lambda: app.last.index < shown + 5, deadline)
    finally:
        app.close()
    assert app.restarts.times and app.last.style == "cool" and app.last.index >= shown + 5
    assert "engine thread failed, restarting it" in caplog.text


class BreaksOnce:
    """A real video file whose reader throws once, at the 10th frame, as a flaky driver might."""

    def __init__(self, path: Path):
        self.source, self.reads = open_video(str(path)), 0

    def __getattr__(self, name: str):
        return getattr(self.source, name)

    def read(self):
        self.reads += 1
        if self.reads == 10:
            raise cv2.error("driver hiccup")
        return self.source.read()


def test_keep_going_restarts_a_failed_capture_thread(still_clip, style_dir, caplog):
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs xvfb-run")
    source = BreaksOnce(still_clip)
    app = keep_going_app(source, style_dir)
    app.start()
    try:
        deadline = time.monotonic() + 40
        step_while(app, lambda: not app.restarts.times, deadline)
        restarted = time.monotonic()
        step_while(app, lambda: app.last.timestamp < restarted + 0.2, deadline)  # frames read after the restart
    finally:
        app.close()
    assert app.restarts.times and source.reads > 15 and app.last.timestamp >= restarted + 0.2
    assert "capture thread failed, restarting it: error('driver hiccup')" in caplog.text
