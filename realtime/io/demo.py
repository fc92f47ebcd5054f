"""The demo source: a moving view of a photo, paced like a camera, for trying the app without one."""
from __future__ import annotations

import math
import time
from fractions import Fraction
from importlib import resources

import cv2
import numpy as np

from realtime.errors import UserError


class DemoSource:
    """A slow pan and zoom over the public-domain NASA astronaut portrait shipped in scikit-image."""

    live = True
    frame_count = None
    description = "demo"
    position = None

    def __init__(self, width: int = 640, height: int = 360, fps: int = 30):
        photo_path = resources.files("skimage") / "data" / "astronaut.png"
        self.photo = cv2.imread(str(photo_path), cv2.IMREAD_COLOR)
        if self.photo is None:
            raise UserError("the demo needs scikit-image's astronaut.png; reinstall with: pip install scikit-image")
        self.width, self.height, self.fps = width, height, Fraction(fps)
        self.frame_size = (width, height)
        self._next_time = time.monotonic()
        self._t = 0.0

    def read(self) -> np.ndarray | None:
        # Pace like a camera: one frame per 1/fps seconds.
        delay = self._next_time - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next_time = max(self._next_time + 1 / float(self.fps), time.monotonic() - 0.1)
        self._t += 1 / float(self.fps)
        return self._view(self._t)

    def _view(self, t: float) -> np.ndarray:
        ph, pw = self.photo.shape[:2]
        aspect = self.width / self.height
        zoom = 1.0 + 0.15 * (1 - math.cos(t * 0.4))  # 1.0 .. 1.3: the person stays in view
        crop_w = min(pw, ph * aspect) / zoom
        crop_h = crop_w / aspect
        cx = pw / 2 + (pw - crop_w) / 2 * 0.8 * math.sin(t * 0.3)
        cy = ph / 2 - (ph - crop_h) / 2 * 0.8 * math.cos(t * 0.21)  # starts on the face, at the top
        scale_x, scale_y = self.width / crop_w, self.height / crop_h
        matrix = np.array([[scale_x, 0, -(cx - crop_w / 2) * scale_x], [0, scale_y, -(cy - crop_h / 2) * scale_y]])
        return cv2.warpAffine(self.photo, matrix, (self.width, self.height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def restart(self) -> bool:
        return True

    def release(self) -> None:
        pass
