"""The window app: capture thread -> engine thread (realtime.app.worker) -> window on the main thread.

The engine works on its own thread, so the window keeps drawing (HUD, crossfades, key presses) at
display rate while the network runs at its own pace; each side hands over only the newest frame.
Hotkeys and remote commands (realtime.app.controls) change a shared Look that the engine reads once
per frame; everything else reaches the engine thread as a message.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from realtime.app.controls import apply_remote_commands, handle_action
from realtime.app.health import FrameRateMeter, resident_megabytes
from realtime.app.hud_state import HudState
from realtime.app.overlays import Overlays, network_size_text
from realtime.app.recording import Recording, RecordingFormat
from realtime.app.remote import RemoteControl
from realtime.app.restarts import RestartPolicy
from realtime.app.show import Show
from realtime.app.worker import EngineWorker, Stylized
from realtime.engine.style_engine import StyleEngine
from realtime.io.alpha import Checkerboard
from realtime.io.capture import CaptureThread
from realtime.io.images import write_image
from realtime.io.ndi import NdiWriter
from realtime.io.sinks import FrameSink, close_all
from realtime.look import Look
from realtime.styles.registry import display_name, is_picture_style
from realtime.window.renderer import Renderer

IDLE_REDRAW_SECONDS = 0.1  # redraw this often even when nothing changes (window exposure)
log = logging.getLogger("realtime")


@dataclass(frozen=True)
class Outputs:
    """Where the app's frames go besides the window: the one recording (R, the remote, --output; its format,
    None: no recording) into record_dir, screenshots (S) into screenshot_dir, and the other sinks (virtual
    camera, NDI) the engine thread writes every frame to."""
    recording_format: RecordingFormat | None = None
    record_dir: Path = Path(".")
    screenshot_dir: Path = Path(".")
    sinks: Sequence[FrameSink] = ()


@dataclass(frozen=True)
class Supervision:
    """How the app watches over itself: a health line in the log every health_every seconds, and
    --keep-going (a failed capture or engine thread restarted, realtime.app.restarts)."""
    health_every: float = 60.0
    keep_going: bool = False


class LiveApp:
    """The main thread's loop. Its jobs live apart: `recording` (realtime.app.recording), `restarts` (the
    --keep-going policy), `hud` (what the overlays draw; realtime.app.hud_state), and what keys and remote
    commands do (realtime.app.controls, which sees the app only as `Controlled`). `show` (--cycle) and
    `remote` (--http-port, --osc-port) change the style too."""

    def __init__(self, capture: CaptureThread, engine: StyleEngine, look: Look, styles: list[str],
                 renderer: Renderer, *, outputs: Outputs = Outputs(), show: Show | None = None,
                 remote: RemoteControl | None = None, supervision: Supervision = Supervision()):
        self.capture, self.engine, self.look, self.styles = capture, engine, look, styles
        self.renderer, self.screenshot_dir = renderer, outputs.screenshot_dir
        self.sinks = list(outputs.sinks)
        self.hud = HudState(look, f"{engine.device.type} / {engine.model}")
        # The one recording (R, the remote, --output): a sink of the engine thread, which outlives restarts.
        self.recording = Recording(outputs.recording_format, outputs.record_dir, self.hud)
        self.worker = EngineWorker(engine, capture, look, self._engine_outputs())
        self.show, self.remote = show, remote
        self.restarts = RestartPolicy(supervision.keep_going)
        self.health_every, self._last_health = supervision.health_every, time.monotonic()
        self.meter = FrameRateMeter()
        self.overlays = Overlays(renderer)
        self.checkerboard = Checkerboard()  # behind a cut-out (--background transparent)
        self.ndi = [sink.writer for sink in self.sinks if isinstance(getattr(sink, "writer", None), NdiWriter)]
        self.hud.ndi = True if self.ndi else None
        self.last: Stylized | None = None
        self.quitting = False
        self._last_draw = 0.0

    def start(self) -> None:
        log.info("started: %s, style %s, %s / %s", self.capture.source.description, self.look.style,
                 self.engine.device.type, self.engine.model)
        self.capture.start()
        self.worker.start()
        if self.show is not None:
            self.show.start()

    def step(self) -> bool:
        """Handle keys, show the newest frame, draw. False once the app should stop."""
        for action in self.renderer.poll_actions():
            self.handle(action)
        result = self.worker.results.get(timeout=0.0 if self.renderer.fading else 0.01)
        if result is not None:
            self.last = result
            self.meter.tick()
            self.renderer.show(self.checkerboard.behind(result.image), self.engine.crossfade_key(result.style))
            height, width = result.image.shape[:2]
            self.hud.network_size = network_size_text(self.engine.inference_size(width, height, self.look.stroke_scale), (width, height))
            self.hud.frames_shown = result.index + 1
        # Looked at before the errors: a failing thread sets its error, then closes its results; read the
        # other way round, a failure in between would pass for the end of the input (exit 0, a cut file).
        worker, input_ended = self.worker, self.worker.results.closed
        self.recording.stop_on_error()
        if self.capture.error is not None:
            self._restart_capture()
        elif self.worker.error is not None:
            self._restart_worker()
        self._advance_show()
        self.hud.fps, self.hud.camera_lost = self.meter.fps, self.capture.lost
        if self.remote is not None:
            apply_remote_commands(self, self.remote)
        self._log_health()
        overlays_changed = self.overlays.update(self.hud)
        now = time.monotonic()
        if result is not None or overlays_changed or self.renderer.fading or now - self._last_draw > IDLE_REDRAW_SECONDS:
            self.renderer.draw()
            self.renderer.present()
            self._last_draw = now
        if input_ended and self.worker is worker:  # not replaced after a failure
            self.quitting = True  # the input ended
        return not self.quitting

    def run(self) -> None:
        self.start()
        while self.step():
            pass

    def handle(self, action: str) -> None:
        handle_action(self, action)

    # -- supervision --------------------------------------------------------------
    def _restart_worker(self) -> None:
        self.restarts.allow("engine", self.worker.error)
        self._new_worker()

    def _restart_capture(self) -> None:
        """A new capture thread on the reopened source, and a new engine thread reading from it
        (the old one stops when the failed capture closes its queue)."""
        self.restarts.allow("capture", self.capture.error)
        self.capture = self.capture.restarted()
        self.worker.stop()
        self.worker.join(timeout=5)
        self._new_worker()
        self.capture.start()

    def _new_worker(self) -> None:
        """A fresh engine thread that goes on with the same recording and pause state."""
        self.worker = EngineWorker(self.engine, self.capture, self.look, self._engine_outputs(), self.hud.paused)
        self.worker.start()

    def _engine_outputs(self) -> list[FrameSink]:
        return [self.recording, *self.sinks]

    def _advance_show(self) -> None:
        entry = self.show.next_entry() if self.show is not None else None
        if entry is None:
            return
        style, stylize = entry
        self.set_style(style)
        if stylize is not None:
            self.look.stylize = stylize

    def _log_health(self) -> None:
        now = time.monotonic()
        if now - self._last_health < self.health_every:
            return
        self._last_health = now
        latency = (now - self.last.timestamp) * 1000 if self.last else float("nan")
        recorder = self.recording.recorder
        dropped = recorder.dropped if recorder else 0
        log.info("health: %.1f FPS, latency %.0f ms, capture dropped %d, recording dropped %d, memory %.0f MB%s",
                 self.meter.fps, latency, self.capture.frames.dropped, dropped,
                 resident_megabytes(), ", camera lost" if self.capture.lost else "")

    def close(self) -> None:
        """Stop the threads and finalize every recording."""
        self.capture.stop()
        self.worker.stop()
        if self.worker.is_alive():
            self.worker.join(timeout=5)
        try:
            if self.remote is not None:
                self.remote.close()
            self.recording.stop(wait=True)
            self.recording.wait()
        finally:
            self.renderer.close()
            close_all(self.sinks)
            log.info("stopped after %d frames (capture dropped %d)", self.last.index + 1 if self.last else 0,
                     self.capture.frames.dropped)

    # -- recording, NDI and pause ---------------------------------------------------------
    def toggle_recording(self) -> None:
        self.recording.toggle()

    def toggle_ndi(self) -> None:
        if not self.ndi:
            self.hud.flash("no NDI output: start with --ndi NAME")
            return
        self.hud.ndi = not self.hud.ndi
        for writer in self.ndi:
            writer.sending = self.hud.ndi
        self.hud.flash(f"NDI {'on' if self.hud.ndi else 'off'}")

    def toggle_pause(self) -> None:
        self.hud.paused = not self.hud.paused
        self.worker.set_paused(self.hud.paused)

    # -- styles -----------------------------------------------------------------------
    def set_style(self, name: str) -> bool:
        try:
            self.engine.style(name)  # load before switching, so the engine thread never waits for it
        except Exception as exc:  # a broken checkpoint must not end the show
            self.hud.flash(f"cannot load {display_name(name)}: {exc}")
            return False
        if name != self.look.style:
            log.info("style: %s", name)
        self.look.style = name
        return True

    def pick_style_number(self, number: int) -> None:
        if 1 <= number <= len(self.styles):
            self.set_style(self.styles[number - 1])

    def step_style(self, step: int) -> None:
        current = self.styles.index(self.look.style) if self.look.style in self.styles else 0
        self.set_style(self.styles[(current + step) % len(self.styles)])

    def use_dropped_file(self, path: str) -> None:
        """A picture dropped on the window becomes the style and joins the style list."""
        if not is_picture_style(path) or "," in path:
            self.hud.flash(f"not a picture: {Path(path).name}; drop a .jpg, .png or .webp file")
            return
        if self.set_style(path) and path not in self.styles:
            self.styles.append(path)

    # -- screenshots -----------------------------------------------------------------
    def save_screenshot(self) -> None:
        if self.last is None:
            return
        path = self.screenshot_dir / f"realtime-{datetime.now():%Y%m%d-%H%M%S-%f}.png"
        write_image(path, self.last.image)
        self.hud.flash(f"saved {path}")
        print(f"screenshot: {path}")
