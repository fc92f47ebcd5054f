"""The window app: capture thread -> engine thread (realtime.app.worker) -> window on the main thread.

The engine works on its own thread, so the window keeps drawing (HUD, crossfades, key presses) at
display rate while the network runs at its own pace; each side hands over only the newest frame.
Hotkeys and remote commands (realtime.app.controls) change a shared Look that the engine reads once
per frame; everything else reaches the engine thread as a message.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

from realtime.app.controls import apply_remote_commands, handle_action
from realtime.app.health import FrameRateMeter, resident_megabytes
from realtime.app.overlays import Overlays
from realtime.app.remote import RemoteControl
from realtime.app.show import Show
from realtime.app.worker import EngineWorker, Stylized
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.capture import CaptureThread
from realtime.io.images import write_image
from realtime.io.outputs import unused_path
from realtime.io.sinks import FrameSink, ThreadedSink, close_all
from realtime.look import Look
from realtime.styles.registry import display_name, is_picture_style
from realtime.window.renderer import Renderer

MAX_RESTARTS_PER_MINUTE = 5
IDLE_REDRAW_SECONDS = 0.1  # redraw this often even when nothing changes (window exposure)
DETACH_SECONDS = 30.0  # how long closing waits for the engine thread to let go of a recording
log = logging.getLogger("realtime")


def finish_recording(recorder: FrameSink, detached: Future | None = None) -> None:
    """Finalize a recording once the engine thread no longer writes to it, and say what it wrote,
    or (one line) why it failed; never raises, because it also runs on a side thread."""
    try:
        if detached is not None:
            detached.result(timeout=DETACH_SECONDS)
        recorder.close()
    except (UserError, TimeoutError) as exc:
        log.error("%s", exc)
        return
    print(recorder.summary(), file=sys.stderr)


class LiveApp:
    def __init__(self, capture: CaptureThread, engine: StyleEngine, look: Look, styles: list[str],
                 renderer: Renderer, new_recording: Callable[[Path], ThreadedSink] | None = None,
                 screenshot_dir: Path = Path("."), record_dir: Path = Path("."), show: Show | None = None,
                 health_every: float = 60.0, remote: RemoteControl | None = None, keep_going: bool = False,
                 sinks: list[FrameSink] = ()):
        self.capture, self.engine, self.look, self.styles = capture, engine, look, styles
        self.renderer, self.new_recording = renderer, new_recording
        self.screenshot_dir, self.record_dir = screenshot_dir, record_dir
        self.sinks = list(sinks)
        self.recorder: ThreadedSink | None = None  # the recording the engine thread writes to
        self.paused = False
        self.worker = EngineWorker(engine, capture, look, self.sinks)
        self.recording_started = 0.0
        self._finishing: list[threading.Thread] = []
        self.show, self.remote, self.keep_going = show, remote, keep_going
        self.restarts: list[float] = []  # when a failed thread was replaced (--keep-going)
        self.health_every, self._last_health = health_every, time.monotonic()
        self.meter = FrameRateMeter()
        self.overlays = Overlays(self)
        self.show_hud, self.show_keys = True, False
        self.last: Stylized | None = None
        self.message, self.message_until = "", 0.0
        self.quitting = False
        self._last_draw = 0.0

    def start(self) -> None:
        log.info("started: %s, style %s, %s / %s", self.capture.source.description, self.look.style,
                 self.engine.device.type, self.engine.variant)
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
            self.renderer.show(result.image, result.style)
        if self.recorder is not None and self.recorder.error is not None:
            error = self.recorder.error
            self.stop_recording()  # finalizes what it holds; the log says why it stopped
            self.flash(f"recording stopped: {error}", seconds=5.0)
        if self.capture.error is not None:
            self._restart_capture()
        elif self.worker.error is not None:
            self._restart_worker()
        self._advance_show()
        apply_remote_commands(self)
        self._log_health()
        overlays_changed = self.overlays.update()
        now = time.monotonic()
        if result is not None or overlays_changed or self.renderer.fading or now - self._last_draw > IDLE_REDRAW_SECONDS:
            self.renderer.draw()
            self.renderer.present()
            self._last_draw = now
        if self.worker.results.closed:
            self.quitting = True  # the input ended
        return not self.quitting

    def run(self) -> None:
        self.start()
        while self.step():
            pass

    def handle(self, action: str) -> None:
        handle_action(self, action)

    # -- supervision --------------------------------------------------------------
    def _allow_restart(self, thread: str, error: BaseException) -> None:
        """With --keep-going, a failed thread may be replaced (at most 5 times a minute); else re-raise."""
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 60] + [now]
        if not self.keep_going or len(self.restarts) > MAX_RESTARTS_PER_MINUTE:
            log.error("%s thread failed: %r", thread, error)
            raise error
        log.error("%s thread failed, restarting it: %r", thread, error)

    def _restart_worker(self) -> None:
        self._allow_restart("engine", self.worker.error)
        self._new_worker()

    def _restart_capture(self) -> None:
        """A new capture thread on the reopened source, and a new engine thread reading from it
        (the old one stops when the failed capture closes its queue)."""
        self._allow_restart("capture", self.capture.error)
        self.capture = self.capture.restarted()
        self.worker.stop()
        self.worker.join(timeout=5)
        self._new_worker()
        self.capture.start()

    def _new_worker(self) -> None:
        """A fresh engine thread that goes on with the same recording and pause state."""
        self.worker = EngineWorker(self.engine, self.capture, self.look, self.sinks, self.recorder, self.paused)
        self.worker.start()

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
        dropped = self.recorder.dropped if self.recorder else 0
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
            self.stop_recording(wait=True)
            self.wait_for_recordings()
        finally:
            self.renderer.close()
            close_all(self.sinks)
            log.info("stopped after %d frames (capture dropped %d)", self.last.index + 1 if self.last else 0,
                     self.capture.frames.dropped)

    # -- recording and pause (messages to the engine thread) ------------------------
    def start_recording(self, path: Path) -> None:
        if self.new_recording is None or self.recorder is not None:
            return
        try:
            self.recorder = self.new_recording(path)
        except UserError as exc:  # e.g. the disk is full: say so, the show goes on
            self.flash(str(exc), seconds=5.0)
            log.warning("%s", exc)
            return
        self.worker.set_recorder(self.recorder)
        self.recording_started = time.monotonic()
        self.flash(f"recording {path}")

    def stop_recording(self, wait: bool = False) -> None:
        """Finalize the current recording; on a side thread unless `wait`, so drawing goes on."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        detached = self.worker.set_recorder(None)
        if wait:
            finish_recording(recorder, detached)
        else:
            thread = threading.Thread(target=finish_recording, args=(recorder, detached), name="finish-recording")
            thread.start()
            self._finishing.append(thread)
            self.flash(f"saved {recorder.writer.path}")

    def wait_for_recordings(self) -> None:
        """Wait until recordings stopped with R are finalized."""
        for thread in self._finishing:
            thread.join()

    def toggle_recording(self) -> None:
        if self.recorder is not None:
            self.stop_recording()
        else:
            self.start_recording(unused_path(self.record_dir / f"realtime-{datetime.now():%Y%m%d-%H%M%S}.mp4"))

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.worker.set_paused(self.paused)

    # -- styles -----------------------------------------------------------------------
    def set_style(self, name: str) -> bool:
        try:
            self.engine.style(name)  # load before switching, so the engine thread never waits for it
        except Exception as exc:  # a broken checkpoint must not end the show
            self.flash(f"cannot load {display_name(name)}: {exc}")
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
            self.flash(f"not a picture: {Path(path).name}; drop a .jpg, .png or .webp file")
            return
        if self.set_style(path) and path not in self.styles:
            self.styles.append(path)

    # -- screenshots and messages ----------------------------------------------------
    def save_screenshot(self) -> None:
        if self.last is None:
            return
        path = self.screenshot_dir / f"realtime-{datetime.now():%Y%m%d-%H%M%S-%f}.png"
        write_image(path, self.last.image)
        self.flash(f"saved {path}")
        print(f"screenshot: {path}")

    def flash(self, message: str, seconds: float = 2.0) -> None:
        self.message, self.message_until = message, time.monotonic() + seconds
