"""Writing stylized frames to a video file with PyAV, or to an image file."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from realtime.errors import UserError
from realtime.images import IMAGE_SUFFIXES

# Container (by file extension) -> encoder.
VIDEO_CODECS = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx-vp9"}


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def check_output_path(path: Path) -> None:
    if not (is_image_path(path) or path.suffix.lower() in VIDEO_CODECS):
        raise UserError(f"cannot write {path.name}: use one of {', '.join(sorted(VIDEO_CODECS))} for video "
                        "or .png/.jpg for an image")
    if not path.parent.is_dir():
        raise UserError(f"output folder does not exist: {path.parent}")


def write_image(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):
        raise UserError(f"could not write image {path}")


class VideoWriter:
    """Encodes H x W x 3 uint8 BGR frames.

    From a file, frame n is shown at n / fps seconds, as in the source. From a live
    source, frames are stamped with their capture times (millisecond time base), so
    playback runs at the speed of reality even when the frame rate varies.
    """

    def __init__(self, path: Path, fps: Fraction, live: bool = False, crf: int = 18):
        check_output_path(path)
        self.path, self.fps, self.live, self.crf = path, fps, live, crf
        self.container = av.open(str(path), mode="w")
        self.stream: av.video.stream.VideoStream | None = None  # added with the first frame's size
        self.frames_written = 0
        self._first_timestamp: float | None = None
        self._last_pts = -1

    def _add_stream(self, width: int, height: int) -> av.video.stream.VideoStream:
        codec = VIDEO_CODECS[self.path.suffix.lower()]
        stream = self.container.add_stream(codec, rate=self.fps)
        stream.width, stream.height = width, height
        # 4:2:0 needs even sizes in x264; 4:4:4 keeps an odd-sized input's exact size.
        even = width % 2 == 0 and height % 2 == 0
        stream.pix_fmt = "yuv420p" if even or codec != "libx264" else "yuv444p"
        stream.time_base = Fraction(1, 1000) if self.live else 1 / self.fps
        stream.options = {"crf": str(self.crf)} if codec == "libx264" else {"crf": str(self.crf + 13), "b": "0"}
        return stream

    def write(self, image: np.ndarray, timestamp: float) -> None:
        """timestamp: the frame's capture time in seconds (used for live sources)."""
        if self.stream is None:
            self.stream = self._add_stream(image.shape[1], image.shape[0])
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        if self.live:
            if self._first_timestamp is None:
                self._first_timestamp = timestamp
            self._last_pts = max(self._last_pts + 1, round((timestamp - self._first_timestamp) * 1000))
            frame.pts = self._last_pts
        else:
            frame.pts = self.frames_written
        self.container.mux(self.stream.encode(frame))
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finalize the container (for mp4, write the index)."""
        if self.stream is not None:
            self.container.mux(self.stream.encode(None))
        self.container.close()
