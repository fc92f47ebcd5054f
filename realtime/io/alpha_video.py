"""Video files with alpha (VP9's alpha plane in a WebM, ProRes 4444 in a MOV). OpenCV drops the alpha, so
these are read with PyAV, as H x W x 4 BGRA frames: the engine stylizes the colour and gives the alpha back."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from realtime.errors import UserError

# FFmpeg's own VP9 decoder ignores the alpha that WebM keeps beside the picture; libvpx's reads it.
ALPHA_DECODERS = {"vp9": "libvpx-vp9"}


def has_alpha(path: Path) -> bool:
    """Whether the file's video carries alpha: a pixel format with it, or WebM's alpha_mode tag."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                return False
            stream = container.streams.video[0]
            pixel_format = stream.codec_context.pix_fmt or ""
            return stream.metadata.get("alpha_mode") == "1" or pixel_format.startswith(("yuva", "rgba", "bgra",
                                                                                          "argb", "gbrap"))
    except (av.error.FFmpegError, ValueError):
        return False  # left to OpenCV, which says what is wrong with it


class AlphaVideoSource:
    """A video file with alpha, read in order (a Source, as capture.py's OpenCVSource)."""

    live = False

    def __init__(self, path: Path):
        self.path, self.description = path, f"video {path}"
        self._open()
        first = self.read()
        if first is None:
            raise UserError(f"video {path} has no frame that decodes; check that it plays")
        self.frame_size = (first.shape[1], first.shape[0])
        self._pending: tuple[np.ndarray, float | None] | None = (first, self.position)
        stream = self.container.streams.video[0]
        self.fps = Fraction(stream.average_rate or 30)
        self.frame_count = stream.frames or None

    def _open(self) -> None:
        self.container = av.open(str(self.path))
        self._frames = self._decode(self.container)
        self._pending = None
        self.position: float | None = None  # the time in the file of the frame last read, in seconds

    @staticmethod
    def _decode(container: av.container.InputContainer) -> Iterator[av.VideoFrame]:
        stream = container.streams.video[0]
        name = ALPHA_DECODERS.get(stream.codec_context.name)
        decoder = av.CodecContext.create(name, "r") if name else stream.codec_context
        for packet in container.demux(stream):  # the last, empty packet flushes the decoder
            yield from decoder.decode(packet)

    def read(self) -> np.ndarray | None:
        if self._pending is not None:
            (image, self.position), self._pending = self._pending, None
            return image
        frame = next(self._frames, None)
        if frame is None:
            return None
        self.position = frame.time
        return frame.to_ndarray(format="bgra")

    def restart(self) -> bool:
        self.release()
        self._open()
        return True

    def release(self) -> None:
        self.container.close()
