"""The app's recording, the one owner of a recording's lifetime: `Recording` opens the file (--output, R in
the window, the remote's `record start`), is the one way a frame goes into it (`put`, from the file loop or
the window's engine thread), and finalizes it, whatever ends it: stop, the end of the input, Ctrl-C,
SIGTERM, the window closing, an engine crash or a full disk.

A frame's way: the engine -> Recording.put -> the encoder thread (io/sinks.ThreadedSink) -> VideoWriter.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np

from realtime.app.hud_state import HudState
from realtime.errors import UserError
from realtime.io.capture import Source
from realtime.io.outputs import RecordingOptions, unused_path
from realtime.io.sinks import ThreadedSink
from realtime.io.video_file import VideoWriter
from realtime.tuning import drop_realtime_priority

DETACH_SECONDS = 30.0  # how long finalizing waits for a frame being put into the recording
log = logging.getLogger("realtime")


@dataclass(frozen=True)
class RecordingFormat:
    """What every recording of a run is: the source's frame rate, live (capture times, frames dropped when
    the encoder is behind) or a file's (its times, nothing dropped), the codec options, and the input file
    whose audio track goes along."""
    fps: Fraction
    live: bool
    options: RecordingOptions
    audio_from: Path | None = None

    @classmethod
    def of(cls, source: Source, options: RecordingOptions, input_path: str | None = None) -> RecordingFormat:
        audio_from = Path(input_path) if input_path and not source.live else None
        return cls(source.fps, source.live, options, audio_from)

    def open(self, path: Path) -> ThreadedSink:
        """The file at `path`, encoded on a thread of its own. Raises UserError (a bad path, a full disk)."""
        return ThreadedSink(VideoWriter(path, self.fps, live=self.live, options=self.options,
                                        audio_from=self.audio_from))


class Recording:
    """At most one recording at a time. `recorder` is the file being written now (None: not recording).

    keep_going: a recording that fails (a full disk) is finalized with what it holds and the run goes on
    (the window: `stop_on_error` does it on the window's thread); otherwise its failure raises from
    `put`, which ends the run (file mode). With a `hud`, starting and stopping show on it."""

    def __init__(self, form: RecordingFormat | None, folder: Path = Path("."), hud: HudState | None = None,
                 keep_going: bool = True):
        self.form, self.folder, self.hud, self.keep_going = form, folder, hud, keep_going
        self.recorder: ThreadedSink | None = None
        # Held while a frame goes in; finalizing waits for it. Reentrant: file mode puts and finalizes on one
        # thread, which an interrupt (Ctrl-C) may leave holding it.
        self._writing = threading.RLock()
        self._finishing: list[threading.Thread] = []
        self._last: ThreadedSink | None = None  # the recording finalized last, for summary()
        self._encoder_opened = False  # whether the current recording has encoded a frame

    # -- open ---------------------------------------------------------------------------
    def open(self, path: Path) -> None:
        """Start recording into `path` (nothing when already recording). Raises UserError."""
        if self.form is None or self.recorder is not None:
            return
        self.recorder = self.form.open(path)
        self._encoder_opened = False
        if self.hud is not None:
            self.hud.recording_since = time.monotonic()
            self.hud.flash(f"recording {path}")

    def start(self, path: Path) -> None:
        """As `open`, but a file that cannot be opened (e.g. the disk is full) is said on the HUD: the show goes on."""
        try:
            self.open(path)
        except UserError as exc:
            if self.hud is not None:
                self.hud.flash(str(exc), seconds=5.0)
            log.warning("%s", exc)

    def toggle(self) -> None:
        if self.recorder is not None:
            self.stop()
        else:
            self.start(unused_path(self.folder / f"realtime-{datetime.now():%Y%m%d-%H%M%S}.mp4"))

    # -- write: the one way in ----------------------------------------------------------
    def put(self, image: np.ndarray, timestamp: float) -> None:
        """Record a frame, if recording (called by whichever thread runs the engine)."""
        with self._writing:
            recorder = self.recorder
            if recorder is None or (self.keep_going and recorder.error is not None):
                return
            try:
                recorder.put(image, timestamp)
            except RuntimeError:
                if not self.keep_going or recorder.error is None:
                    raise
                # The recording failed: stop_on_error finalizes it and says why.
            if not self._encoder_opened and recorder.writer.frames_written:
                self._encoder_opened = True
                drop_realtime_priority()  # process-wide: SVT-AV1 put its threads on real-time priority

    @property
    def error(self) -> BaseException | None:
        return self.recorder.error if self.recorder is not None else None

    # -- finalize -------------------------------------------------------------------------
    def stop(self, wait: bool = False) -> None:
        """Finalize the current recording and say what it wrote; on a side thread unless `wait`, so drawing
        goes on. Never raises (a failure is logged)."""
        recorder = self._detach()
        if recorder is None:
            return
        if wait:
            self._finish(recorder)
        else:
            thread = threading.Thread(target=self._finish, args=(recorder,), name="finish-recording")
            thread.start()
            self._finishing.append(thread)
            if self.hud is not None:
                self.hud.flash(f"saved {recorder.writer.path}")

    def close(self, complete: bool = True) -> None:
        """Finalize the current recording now (file mode, as a FrameSink); complete=False: the run stopped
        early, so an existing file is not replaced. Raises UserError when it failed."""
        recorder = self._detach()
        if recorder is not None:
            self._let_go(recorder)
            recorder.close(complete)

    def summary(self) -> str:
        return self._last.summary() if self._last is not None else "nothing was recorded"

    def stop_on_error(self) -> None:
        """A recording whose writer failed (say, the disk filled up) is finalized with what it holds."""
        if self.recorder is not None and self.recorder.error is not None:
            error = self.recorder.error
            self.stop()  # the log says why it stopped
            if self.hud is not None:
                self.hud.flash(f"recording stopped: {error}", seconds=5.0)

    def wait(self) -> None:
        """Wait until the recordings stopped so far are finalized."""
        for thread in self._finishing:
            thread.join()

    def _detach(self) -> ThreadedSink | None:
        """The current recording, which no further frame goes into."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            self._last = recorder
            if self.hud is not None:
                self.hud.recording_since = None
        return recorder

    def _let_go(self, recorder: ThreadedSink) -> None:
        """Wait for a frame being put into `recorder` now (the engine's thread took it before `_detach`)."""
        if not self._writing.acquire(timeout=DETACH_SECONDS):
            raise UserError(f"recording {recorder.writer.path}: the engine did not let go of it in "
                            f"{DETACH_SECONDS:.0f} s; it may not be finalized")
        self._writing.release()

    def _finish(self, recorder: ThreadedSink) -> None:
        """Finalize, and say what was written or (one line) why it failed; never raises, as it also runs on
        a side thread. A live recording is complete wherever it stops."""
        try:
            self._let_go(recorder)
            recorder.close()
        except UserError as exc:
            log.error("%s", exc)
            return
        print(recorder.summary(), file=sys.stderr)
