"""NDI output (cyndilib, whose wheel carries the NDI runtime, so no SDK install): the stylized stream as
a source that TouchDesigner, OBS, Resolume or vMix anywhere on the network can receive by name."""
from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.io.sinks import ThreadedSink

INSTALL_HINT = "pip install -e '.[ndi]'"


class NdiWriter:
    """The writer side of a ThreadedSink: each frame goes out as one NDI video frame."""

    live = True  # behind a ThreadedSink, a slow network drops frames (counted) instead of stalling the engine
    kept = None  # nothing on disk

    def __init__(self, name: str, width: int, height: int, fps: Fraction, alpha: bool = False):
        try:
            from cyndilib.sender import Sender
            from cyndilib.video_frame import VideoSendFrame
            from cyndilib.wrapper.ndi_structs import FourCC
        except ImportError:
            raise UserError(f"--ndi needs cyndilib: {INSTALL_HINT}") from None
        except OSError as exc:  # the NDI runtime in cyndilib's wheel did not load on this system
            raise UserError(f"the NDI runtime did not load ({exc}); reinstall it with {INSTALL_HINT}") from None
        frame = VideoSendFrame()
        frame.set_resolution(width, height)
        frame.set_frame_rate(fps)
        # BGRX: the receiver ignores the fourth byte, so opaque frames need no alpha to be made up.
        frame.set_fourcc(FourCC.BGRA if alpha else FourCC.BGRX)
        # clock_video=False: frames go out as the engine makes them; NDI's clock would block the thread.
        self.sender = Sender(name, clock_video=False)
        self.sender.set_video_frame(frame)
        try:
            self.sender.open()
        except Exception as exc:  # cyndilib raises bare Exceptions
            raise UserError(f"cannot start the NDI source {name!r} ({exc or 'NDI did not start'}); "
                            "try another --ndi name") from None
        self.size = (width, height)
        self.path = f"NDI source {name!r}"  # for the ThreadedSink's summary line
        self.frames_written = 0
        self.sending = True  # the window's O key and the remote's /ndi pause it; receivers keep the last frame

    def write(self, image: np.ndarray, timestamp: float) -> None:
        if not self.sending:
            return
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if image.shape[2] == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
        self.sender.write_video(np.ascontiguousarray(image).reshape(-1))
        self.frames_written += 1

    def close(self, complete: bool = True) -> None:
        self.sender.close()


def open_ndi(name: str, width: int, height: int, fps: Fraction, alpha: bool = False) -> ThreadedSink:
    """A sink like the virtual camera: put() never blocks the engine; a receiver may come and go."""
    return ThreadedSink(NdiWriter(name, width, height, fps, alpha), depth=2)
