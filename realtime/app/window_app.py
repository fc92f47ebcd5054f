"""The live loop: capture thread -> engine thread -> window on the main thread.

The engine works on its own thread, so the window keeps drawing (HUD, crossfades,
key presses) at display rate while the network runs at its own pace; each side
hands over only the newest frame. Hotkeys change a shared Look that the engine
reads once per frame.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from realtime.app.remote import RemoteControl
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.capture import CaptureThread, Frame
from realtime.io.images import write_image
from realtime.io.outputs import unused_path
from realtime.io.sinks import Recorder, close_all
from realtime.look import STYLIZE_MODES, Look
from realtime.mailbox import LatestMailbox
from realtime.styles.registry import display_name, is_picture_style
from realtime.window.hotkeys import key_list_rows
from realtime.window.hud import RECORDING_DOT, text_image
from realtime.window.renderer import Renderer

STRENGTH_STEP = 0.1
CAMERA_LOST = text_image(["camera lost, reconnecting..."])
MAX_RESTARTS_PER_MINUTE = 5
log = logging.getLogger("realtime")
IDLE_REDRAW_SECONDS = 0.1  # redraw this often even when nothing changes (window exposure)


@dataclass
class Stylized:
    image: np.ndarray  # H x W x 3 uint8 BGR, the composite frame (no HUD)
    index: int
    timestamp: float  # capture time of the source frame
    style: str


class EngineWorker(threading.Thread):
    """Stylizes frames from the capture thread; publishes the newest result and records every one."""

    def __init__(self, engine: StyleEngine, capture: CaptureThread, look: Look, sinks: list[Recorder] = ()):
        super().__init__(name="engine", daemon=True)
        self.engine, self.capture, self.look = engine, capture, look
        self.recorder: Recorder | None = None  # swapped by the main thread to start/stop recording
        self.sinks = list(sinks)  # outputs for the whole run, such as the virtual camera
        self.results: LatestMailbox[Stylized] = LatestMailbox()
        self.paused = False
        self.error: BaseException | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        frames = self.capture.frames
        pending = None
        try:
            while not self._stop_event.is_set():
                if self.paused:
                    time.sleep(0.05)
                    continue
                # With a frame in flight, only take a next frame that is already waiting,
                # so overlap never adds latency.
                frame = frames.get(timeout=0 if pending else 0.1)
                if frame is None:
                    if pending:
                        self._publish(*pending)
                        pending = None
                    elif frames.closed:
                        break
                    continue
                look = self.look.snapshot()
                submitted = (self.engine.submit(frame.image, look), frame, look.style)
                if pending:
                    self._publish(*pending)
                pending = submitted
            if pending:
                self._publish(*pending)
        except BaseException as exc:  # the main thread reports it
            self.error = exc
        finally:
            self.results.close()

    def _publish(self, result, frame: Frame, style: str) -> None:
        stylized = Stylized(result.wait(), frame.index, frame.timestamp, style)
        recorder = self.recorder
        for sink in ([recorder] if recorder is not None else []) + self.sinks:
            if sink is recorder and recorder.error is not None:
                continue  # the main thread stops a failed recording and says why; the show goes on
            sink.put(stylized.image, stylized.timestamp)
        self.results.put(stylized)

    def stop(self) -> None:
        self._stop_event.set()


def finish_recording(recorder: Recorder) -> None:
    """Finalize a recording and say what it wrote, or (one line) why it failed; never raises,
    because it also runs on a side thread and the show goes on."""
    try:
        recorder.close()
    except UserError as exc:
        log.error("%s", exc)
        return
    print(recorder.summary(), file=sys.stderr)


def resident_megabytes() -> float:
    """This process's resident memory (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FrameRateMeter:
    def __init__(self, window_seconds: float = 1.0):
        self.window_seconds = window_seconds
        self.times: list[float] = []

    def tick(self) -> None:
        now = time.monotonic()
        self.times = [t for t in self.times if now - t <= self.window_seconds] + [now]

    @property
    def fps(self) -> float:
        if len(self.times) < 2:
            return 0.0
        return (len(self.times) - 1) / max(self.times[-1] - self.times[0], 1e-6)


@dataclass
class Show:
    """An unattended show: step through a playlist of (style, stylize mode) every `cycle_seconds`."""
    playlist: list[tuple[str, str | None]]
    cycle_seconds: float
    position: int = 0
    last_change: float = 0.0


class LiveApp:
    def __init__(self, capture: CaptureThread, engine: StyleEngine, look: Look, styles: list[str],
                 renderer: Renderer, new_recording: Callable[[Path], Recorder] | None = None,
                 screenshot_dir: Path = Path("."), record_dir: Path = Path("."), show: Show | None = None,
                 health_every: float = 60.0, remote: RemoteControl | None = None, keep_going: bool = False,
                 sinks: list[Recorder] = ()):
        self.capture, self.engine, self.look, self.styles = capture, engine, look, styles
        self.renderer, self.new_recording = renderer, new_recording
        self.screenshot_dir, self.record_dir = screenshot_dir, record_dir
        self.worker = EngineWorker(engine, capture, look, sinks)
        self.recording_started = 0.0
        self._finishing: list[threading.Thread] = []
        self.show, self.remote, self.keep_going = show, remote, keep_going
        self.restarts: list[float] = []  # when a failed thread was replaced (--keep-going)
        self.health_every, self._last_health = health_every, time.monotonic()
        self.meter = FrameRateMeter()
        self.show_hud, self.show_keys = True, False
        self.last: Stylized | None = None
        self.message, self.message_until = "", 0.0
        self.quitting = False
        self._hud_text: tuple | None = None
        self._last_draw = 0.0

    def start(self) -> None:
        log.info("started: %s, style %s, %s / %s", self.capture.source.description, self.look.style,
                 self.engine.device.type, self.engine.variant)
        self.capture.start()
        self.worker.start()
        if self.show is not None:
            self.show.last_change = time.monotonic()

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
        self._apply_remote()
        self._log_health()
        overlays_changed = self._update_overlays()
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
        error = self.capture.error
        self._allow_restart("capture", error)
        self.capture = self.capture.restarted()
        self.worker.stop()
        self.worker.join(timeout=5)
        self._new_worker()
        self.capture.start()

    def _new_worker(self) -> None:
        recorder = self.worker.recorder
        self.worker = EngineWorker(self.engine, self.capture, self.look, self.worker.sinks)
        self.worker.recorder = recorder
        self.worker.start()

    def _advance_show(self) -> None:
        show = self.show
        if show is None or time.monotonic() - show.last_change < show.cycle_seconds:
            return
        show.position = (show.position + 1) % len(show.playlist)
        show.last_change = time.monotonic()
        style, stylize = show.playlist[show.position]
        self.set_style(style)
        if stylize is not None:
            self.look.stylize = stylize

    def _apply_remote(self) -> None:
        if self.remote is None:
            return
        for name, value in self.remote.pending():
            if name == "style":
                self.set_style(value)
            elif name == "mode":
                self.look.stylize = value
            elif name == "strength":
                self.look.strength = value
            elif name == "record" and (value == "start") != (self.recorder is not None):
                self.toggle_recording()
        self.remote.status = {
            "style": self.look.style, "mode": self.look.stylize, "strength": self.look.strength,
            "fps": round(self.meter.fps, 1), "recording": self.recorder is not None,
            "camera_lost": self.capture.lost, "frames_shown": self.last.index + 1 if self.last else 0,
        }

    def _log_health(self) -> None:
        now = time.monotonic()
        if now - self._last_health < self.health_every:
            return
        self._last_health = now
        latency = (now - self.last.timestamp) * 1000 if self.last else float("nan")
        recorder = self.recorder
        log.info("health: %.1f FPS, latency %.0f ms, capture dropped %d, recording dropped %d, memory %.0f MB%s",
                 self.meter.fps, latency, self.capture.frames.dropped, recorder.dropped if recorder else 0,
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
            close_all(self.worker.sinks)
            log.info("stopped after %d frames (capture dropped %d)", self.last.index + 1 if self.last else 0,
                     self.capture.frames.dropped)

    # -- recording ----------------------------------------------------------------
    @property
    def recorder(self) -> Recorder | None:
        return self.worker.recorder

    def start_recording(self, path: Path) -> None:
        if self.new_recording is None or self.worker.recorder is not None:
            return
        try:
            self.worker.recorder = self.new_recording(path)
        except UserError as exc:  # e.g. the disk is full: say so, the show goes on
            self.flash(str(exc), seconds=5.0)
            log.warning("%s", exc)
            return
        self.recording_started = time.monotonic()
        self.flash(f"recording {path}")

    def stop_recording(self, wait: bool = False) -> None:
        """Finalize the current recording; on a side thread unless `wait`, so drawing goes on."""
        recorder, self.worker.recorder = self.worker.recorder, None
        if recorder is None:
            return
        if wait:
            finish_recording(recorder)
        else:
            thread = threading.Thread(target=finish_recording, args=(recorder,), name="finish-recording")
            thread.start()
            self._finishing.append(thread)
            self.flash(f"saved {recorder.writer.path}")

    def wait_for_recordings(self) -> None:
        """Wait until recordings stopped with R are finalized."""
        for thread in self._finishing:
            thread.join()

    def toggle_recording(self) -> None:
        if self.worker.recorder is not None:
            self.stop_recording()
        else:
            self.start_recording(unused_path(self.record_dir / f"realtime-{datetime.now():%Y%m%d-%H%M%S}.mp4"))

    # -- hotkeys ----------------------------------------------------------------
    def handle(self, action: str) -> None:
        look = self.look
        if action.startswith("style:"):
            number = int(action.split(":")[1])
            if number <= len(self.styles):
                self.set_style(self.styles[number - 1])
        elif action in ("next_style", "previous_style"):
            step = 1 if action == "next_style" else -1
            current = self.styles.index(look.style) if look.style in self.styles else 0
            self.set_style(self.styles[(current + step) % len(self.styles)])
        elif action in ("stronger", "weaker"):
            delta = STRENGTH_STEP if action == "stronger" else -STRENGTH_STEP
            look.strength = round(min(1.0, max(0.0, look.strength + delta)), 2)
        elif action == "compare":
            look.compare = not look.compare
        elif action == "stylize_mode":
            look.stylize = STYLIZE_MODES[(STYLIZE_MODES.index(look.stylize) + 1) % len(STYLIZE_MODES)]
        elif action == "mask":
            look.show_mask = not look.show_mask
        elif action == "mirror":
            look.mirror = not look.mirror
        elif action == "keep_colors":
            look.keep_colors = not look.keep_colors
        elif action.startswith("drop:"):
            self.use_dropped_file(action.removeprefix("drop:"))
        elif action == "pause":
            self.worker.paused = not self.worker.paused
        elif action == "screenshot":
            self.save_screenshot()
        elif action == "record":
            self.toggle_recording()
        elif action == "fullscreen":
            self.renderer.toggle_fullscreen()
        elif action == "vsync":
            self.renderer.toggle_vsync()
            self.flash(f"vsync {'on' if self.renderer.vsync else 'off'}")
        elif action == "hud":
            self.show_hud = not self.show_hud
        elif action == "help":
            self.show_keys = not self.show_keys
        elif action == "quit":
            self.quitting = True

    def use_dropped_file(self, path: str) -> None:
        """A picture dropped on the window becomes the style and joins the style list."""
        if not is_picture_style(path) or "," in path:
            self.flash(f"not a picture: {Path(path).name}; drop a .jpg, .png or .webp file")
            return
        if self.set_style(path) and path not in self.styles:
            self.styles.append(path)

    def set_style(self, name: str) -> bool:
        try:
            self.engine.style(name)  # load before switching, so the engine thread never stalls on it
        except Exception as exc:  # a broken checkpoint must not end the show
            self.flash(f"cannot load {display_name(name)}: {exc}")
            return False
        if name != self.look.style:
            log.info("style: %s", name)
        self.look.style = name
        return True

    def save_screenshot(self) -> None:
        if self.last is None:
            return
        path = self.screenshot_dir / f"realtime-{datetime.now():%Y%m%d-%H%M%S-%f}.png"
        write_image(path, self.last.image)
        self.flash(f"saved {path}")
        print(f"screenshot: {path}")

    def flash(self, message: str, seconds: float = 2.0) -> None:
        self.message, self.message_until = message, time.monotonic() + seconds

    def network_size_text(self) -> str:
        """The size the style network runs at, and the size it is upsampled to when that differs."""
        if self.last is None:
            return ""
        height, width = self.last.image.shape[:2]
        net_w, net_h = self.engine.inference_size(width, height)
        return f"net {net_w}x{net_h}" + (f" -> {width}x{height}" if (net_w, net_h) != (width, height) else "")

    def hud_lines(self) -> list[str]:
        look = self.look
        state = [f"strength {look.strength:.0%}", f"stylize {look.stylize}"] + ["keep colours"] * look.keep_colors
        state += [f"background {look.background.kind}"] * (look.background.kind != "keep") + ["MASK"] * look.show_mask
        state += ["mirror"] * look.mirror + ["compare"] * look.compare + ["PAUSED"] * self.worker.paused
        if self.recorder is not None:
            state.insert(0, f"REC {time.monotonic() - self.recording_started:5.1f} s")
        lines = [f"{display_name(look.style)}   {self.meter.fps:4.1f} FPS   {self.engine.device.type} / {self.engine.variant}"
                 f"   {self.network_size_text()}",
                 "   ".join(state) + "   ? keys"]
        if time.monotonic() < self.message_until:
            lines.append(self.message)
        return lines

    def _update_overlays(self) -> bool:
        text = self.hud_lines() if self.show_hud else []
        text_and_dot = (text, self.recorder is not None, self.capture.lost)
        keys = [f"{k}\t{d}" for k, d in key_list_rows()] if self.show_keys else []
        if (text_and_dot, keys) == self._hud_text:
            return False
        self._hud_text = (text_and_dot, keys)
        overlays = []
        if text:
            overlays.append((text_image(text), "top-left"))
        if self.capture.lost:
            overlays.append((CAMERA_LOST, "center"))
        if self.recorder is not None:
            overlays.append((RECORDING_DOT, "top-right"))
        if keys:
            overlays.append((text_image(["Keys"] + keys), "center"))
        self.renderer.set_overlays(overlays)
        return True
