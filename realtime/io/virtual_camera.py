"""A virtual camera output (pyvirtualcam): OBS, Zoom or a browser can open the stylized
stream as if it were a webcam. Linux needs the v4l2loopback kernel module; Windows and
macOS use the virtual camera that OBS installs."""
from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.io.sinks import ThreadedSink

SETUP_HINT = ("on Linux: sudo modprobe v4l2loopback exclusive_caps=1; "
              "on Windows or macOS: install OBS and start its virtual camera once")


class VirtualCameraWriter:
    """The writer side of a ThreadedSink: frames go to the virtual camera device instead of a file."""

    live = True  # behind a ThreadedSink, a slow consumer drops frames instead of stalling the show
    kept = None  # nothing on disk is ever kept or replaced

    def __init__(self, width: int, height: int, fps: Fraction):
        try:
            import pyvirtualcam
        except ImportError:
            raise UserError("--virtual-camera needs pyvirtualcam: pip install 'realtime[virtual-camera]'") from None
        try:
            self.camera = pyvirtualcam.Camera(width, height, float(fps), fmt=pyvirtualcam.PixelFormat.BGR)
        except RuntimeError as exc:
            reason = str(exc).splitlines()[0].split(": ", 1)[-1].split(". ")[0]  # the first backend's reason
            raise UserError(f"no virtual camera device ({reason}); {SETUP_HINT}") from None
        self.size = (width, height)
        self.path = f"virtual camera {self.camera.device}"  # for the ThreadedSink's summary line
        self.frames_written = 0

    def write(self, image: np.ndarray, timestamp: float) -> None:
        if (image.shape[1], image.shape[0]) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        self.camera.send(np.ascontiguousarray(image))
        self.frames_written += 1

    def close(self, complete: bool = True) -> None:
        self.camera.close()


def open_virtual_camera(width: int, height: int, fps: Fraction) -> ThreadedSink:
    """A sink like a recording: put() never blocks the engine, close() releases the device."""
    return ThreadedSink(VirtualCameraWriter(width, height, fps), depth=2)
