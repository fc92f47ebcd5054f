"""The Python API: stylize pictures and videos from a program, with every option of `realtime run`'s look.

    from realtime import Stylizer
    Stylizer("starry_night").stylize("photo.jpg", output="styled.png")

A picture goes in as a file path, a NumPy array (uint8 H x W x 3, BGR as OpenCV reads it, or RGB with
order="rgb") or a PIL image, and comes back as the same kind. Building a Stylizer tunes nothing in the
process (realtime.tune_for_realtime() does, explicitly), and each stream() has its own memory of its last
frame, so streams through one Stylizer never mix.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from realtime.engine.build import build_engine
from realtime.engine.stream_state import StreamState
from realtime.errors import UserError
from realtime.io.capture import Source, open_video
from realtime.io.images import keep_alpha_of, write_styled
from realtime.io.user_files import read_bgr
from realtime.io.ndi import open_ndi
from realtime.io.sinks import ThreadedSink
from realtime.look import Look
from realtime.options import keyword_list, keyword_signature, keyword_values
from realtime.settings import DEFAULT_STYLE, RunSettings
from realtime.styles.registry import StyleRegistry

ORDERS = ("bgr", "rgb")


class Stylizer:
    """A style and how it is applied (the options of `realtime run`, by the same names), on one engine.

    The keywords are the options that realtime/settings.py's RUN_OPTIONS declares for the API (listed below),
    checked as the command line checks them. `checkpoints`: a folder of style checkpoints to find styles in
    instead of yours and the shipped ones; `stabilize` applies to stream() only (a picture on its own has no last
    frame); `inference_size`: "auto" (default, as image and file modes: at most 960x540, so strokes keep their
    size relative to the picture), "full" or (W, H); `stroke_scale`: 2 paints strokes twice as large, 0.5 half as
    large.
    """

    def __init__(self, style: str = DEFAULT_STYLE, *, checkpoints: str | Path | None = None, **options: Any):
        values = {option.name: option.default for option in RunSettings.OPTIONS}
        self.settings = RunSettings.from_options({**values, **keyword_values(RunSettings.OPTIONS, options, "Stylizer"),
                                                  "style": style})
        registry = StyleRegistry(Path(checkpoints)) if checkpoints is not None else StyleRegistry()
        # Not live: no clock to keep up with, so the stabilizer finds the flow finely, as file mode does.
        self.engine = build_engine(self.settings, registry, live=False)
        self.look: Look = self.settings.look()  # change it (dataclasses.replace) to change the next pictures

    def styles(self) -> list[str]:
        """The style names this Stylizer finds (any picture or checkpoint path works as a style too)."""
        return self.engine.registry.names()

    def stylize(self, image: Any, output: str | Path | None = None, order: str = "bgr") -> Any:
        """One picture on its own: a path (the result is written to `output`, by default NAME_STYLE.png beside
        it, and the path written is returned), or a NumPy array or a PIL image (the result is returned, the
        same kind)."""
        if isinstance(image, (str, Path)):
            picture = read_bgr(Path(image), "input picture")
            stylized = keep_alpha_of(Path(image), self.engine.process(picture, self.look))
            return write_styled(stylized, Path(image), self.engine.style(self.look.style).ref.name,
                                Path(output) if output is not None else None)
        if output is not None:
            raise UserError("output= names the file for a picture given by its path; save a returned array or "
                            "PIL image yourself (cv2.imwrite, image.save)")
        return self._process(image, order, None)

    def stream(self, frames: Iterable[Any] | str | Path, order: str = "bgr", ndi: str | None = None) -> Iterator[Any]:
        """Video: each frame (a NumPy array or a PIL image) stylized in turn, as the same kind; or a video
        file's path (or a stream URL), whose frames come out as BGR arrays (BGRA if it has alpha). The frames
        are one stream: the stabilizer and the person mask remember its last frame, and only its own.
        With `ndi`, each stylized frame also goes out, as it is made, as the NDI source of that name (as
        `run --ndi`; needs cyndilib), announced at a path's frame rate, else at 30 fps."""
        fps = Fraction(30)
        if isinstance(frames, (str, Path)):
            source = open_video(str(frames))
            frames, order, fps = video_frames(source), "bgr", source.fps
        state = self.engine.new_stream()
        sender: ThreadedSink | None = None
        try:
            for frame in frames:
                result = self._process(frame, order, state)
                if ndi is not None:
                    bgr = to_bgr(np.asarray(result), "rgb" if is_pil_image(result) else order)
                    sender = send_to_ndi(sender, ndi, bgr, fps)
                yield result
        finally:
            if sender is not None:
                sender.close()

    def _process(self, image: Any, order: str, state: StreamState | None) -> Any:
        one_of("order", order, ORDERS)
        if is_pil_image(image):
            from PIL import Image

            rgb = np.asarray(image.convert("RGB"))
            return Image.fromarray(to_bgr(self.engine.process(to_bgr(rgb, "rgb"), self.look, state), "rgb"))
        check_array(image)
        return to_bgr(self.engine.process(to_bgr(image, order), self.look, state), order)


def send_to_ndi(sender: ThreadedSink | None, name: str, image: np.ndarray, fps: Fraction) -> ThreadedSink:
    """Put a BGR(A) frame out over NDI; the source opens with the first, at its size."""
    if sender is None:
        sender = open_ndi(name, image.shape[1], image.shape[0], fps, alpha=image.shape[2] == 4)
    sender.put(image, time.monotonic())
    return sender


def video_frames(source: Source) -> Iterator[np.ndarray]:
    """A video's frames in order (BGR, as OpenCV decodes them; BGRA from a video with alpha)."""
    try:
        while (image := source.read()) is not None:
            yield image
    finally:
        source.release()


def is_pil_image(image: Any) -> bool:
    """Without importing Pillow: a PIL image exists only once its module was imported."""
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(image, pil.Image)


def check_array(image: Any) -> None:
    if not isinstance(image, np.ndarray):
        raise UserError(f"a picture is a file path, a NumPy array or a PIL image, not {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise UserError(f"a picture array is uint8 H x W x 3 (BGR or RGB), or x 4 with alpha, not {image.dtype} "
                        f"of shape {image.shape}")
    if 0 in image.shape:
        raise UserError(f"a picture array of shape {image.shape} is empty: it needs at least one pixel")


def to_bgr(image: np.ndarray, order: str) -> np.ndarray:
    """RGB(A) <-> BGR(A) where `order` is rgb (the same swap both ways; alpha, of a cut-out, stays last);
    BGR as it is."""
    return np.ascontiguousarray(image[..., [2, 1, 0, 3][:image.shape[2]]]) if order == "rgb" else image


def one_of(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"{name} {value!r}: use one of {', '.join(choices)}")


# help(Stylizer) and IDEs show the keywords the declarations give it.
Stylizer.__init__.__signature__ = keyword_signature(Stylizer.__init__, RunSettings.OPTIONS)  # type: ignore[attr-defined]
Stylizer.__doc__ += f"\n    Keywords and their defaults: {keyword_list(RunSettings.OPTIONS)}.\n"
