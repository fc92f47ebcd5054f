"""The window app on a real GLFW window (under Xvfb) and a real engine, and helpers that step it
until a condition holds (conftest's `app` fixture is one of these, started)."""
from __future__ import annotations

import time
from pathlib import Path

import glfw
import numpy as np
import torch
from OpenGL import GL

from realtime.app.recording import RecordingFormat
from realtime.app.window_app import LiveApp, Outputs
from realtime.engine.style_engine import StyleEngine
from realtime.io.capture import CaptureThread, open_video
from realtime.io.outputs import RecordingOptions
from realtime.io.sinks import FrameSink
from realtime.look import Look
from realtime.styles.registry import StyleRegistry
from realtime.look import STYLE_FADE_SECONDS
from realtime.window.renderer import Renderer, overlay_rect


def make_app(clip: Path, style_dir: Path, tmp_path: Path, loop: bool = False, look: Look | None = None,
             sinks: list[FrameSink] = ()) -> LiveApp:
    """The app on the warm/cool test styles (by default the warm one, nothing else changed), showing `clip`
    at its own rate in a window of its size, recording into tmp_path."""
    registry = StyleRegistry(style_dir)
    engine = StyleEngine(registry, torch.device("cpu"), "lite")
    source = open_video(str(clip))
    capture = CaptureThread(source, paced=True, loop=loop)
    live = LiveApp(capture, engine, look or Look("warm"), registry.names(), Renderer(*source.frame_size),
                   outputs=Outputs(RecordingFormat.of(source, RecordingOptions()), tmp_path, tmp_path, sinks))
    live.hud.show_hud = False  # compare the frame alone
    return live


def step_until(app: LiveApp, condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the window"
        assert app.step(), "the app stopped"


def read_pixels(renderer: Renderer) -> np.ndarray:
    """The drawn (back) buffer as H x W x 3 uint8 BGR, top row first."""
    window_w, window_h = glfw.get_framebuffer_size(renderer.window)
    GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
    GL.glReadBuffer(GL.GL_BACK)
    data = GL.glReadPixels(0, 0, window_w, window_h, GL.GL_BGR, GL.GL_UNSIGNED_BYTE)
    return np.frombuffer(data, np.uint8).reshape(window_h, window_w, 3)[::-1].copy()


def overlay_rects(renderer: Renderer) -> list[tuple[int, int, int, int]]:
    """(left, top, width, height) of each overlay as draw() places it now."""
    return [overlay_rect(anchor, image.shape[1], image.shape[0], *renderer.size) for image, anchor in renderer.overlays]


def shown(app: LiveApp) -> np.ndarray:
    app.renderer.draw()
    return read_pixels(app.renderer)


def settled_pixels(app: LiveApp, style: str) -> np.ndarray:
    """Step until a frame of `style` is on screen and the crossfade is over; return the pixels."""
    step_until(app, lambda: app.last is not None and app.last.style == style)
    end = time.monotonic() + STYLE_FADE_SECONDS + 0.1
    step_until(app, lambda: time.monotonic() > end)
    return shown(app)
