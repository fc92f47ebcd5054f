"""The window app's recording (R, the remote's record, --output): opened here, handed to the engine
thread, and finalized when it stops, on a side thread so drawing goes on, or at once on close."""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

from realtime.app.hud_state import HudState
from realtime.errors import UserError
from realtime.io.outputs import unused_path
from realtime.io.sinks import FrameSink, ThreadedSink

DETACH_SECONDS = 30.0  # how long closing waits for the engine thread to let go of a recording
log = logging.getLogger("realtime")

OpenRecording = Callable[[Path], ThreadedSink]
# Hands the engine thread its recording (None: stop writing); done once the thread has taken it.
Attach = Callable[[ThreadedSink | None], Future]


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


class Recording:
    def __init__(self, open_file: OpenRecording | None, folder: Path, hud: HudState, attach: Attach):
        self.open_file, self.folder, self.hud, self.attach = open_file, folder, hud, attach
        self.recorder: ThreadedSink | None = None  # the recording the engine thread writes to
        self._finishing: list[threading.Thread] = []

    def start(self, path: Path) -> None:
        if self.open_file is None or self.recorder is not None:
            return
        try:
            self.recorder = self.open_file(path)
        except UserError as exc:  # e.g. the disk is full: say so, the show goes on
            self.hud.flash(str(exc), seconds=5.0)
            log.warning("%s", exc)
            return
        self.attach(self.recorder)
        self.hud.recording_since = time.monotonic()
        self.hud.flash(f"recording {path}")

    def stop(self, wait: bool = False) -> None:
        """Finalize the current recording; on a side thread unless `wait`, so drawing goes on."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        self.hud.recording_since = None
        detached = self.attach(None)
        if wait:
            finish_recording(recorder, detached)
        else:
            thread = threading.Thread(target=finish_recording, args=(recorder, detached), name="finish-recording")
            thread.start()
            self._finishing.append(thread)
            self.hud.flash(f"saved {recorder.writer.path}")

    def toggle(self) -> None:
        if self.recorder is not None:
            self.stop()
        else:
            self.start(unused_path(self.folder / f"realtime-{datetime.now():%Y%m%d-%H%M%S}.mp4"))

    def stop_on_error(self) -> None:
        """A recording whose writer failed (say, the disk filled up) is finalized with what it holds."""
        if self.recorder is not None and self.recorder.error is not None:
            error = self.recorder.error
            self.stop()  # the log says why it stopped
            self.hud.flash(f"recording stopped: {error}", seconds=5.0)

    def wait(self) -> None:
        """Wait until the recordings stopped so far are finalized."""
        for thread in self._finishing:
            thread.join()
