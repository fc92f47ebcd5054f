"""What the output looks like: the style and how it is applied and composited. Hotkeys and the
remote change it while the app runs; the engine reads a snapshot of it for every frame.
Plain data, no torch: the command line builds it."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.errors import UserError
from realtime.io.user_files import read_bgr

if TYPE_CHECKING:
    import numpy as np

STYLIZE_MODES = ("all", "person", "background")


@dataclass(frozen=True)
class Background:
    """What goes behind the person: "keep" (the frame itself), "blur", a colour, an image, or nothing:
    "transparent" cuts the person out, with the mask as alpha."""
    kind: str
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)  # RGB in [0, 1]
    image: np.ndarray | None = None  # BGR uint8

    @staticmethod
    def parse(text: str) -> Background:
        if text in ("keep", "blur", "transparent"):
            return Background(text)
        match = re.fullmatch(r"color:#?([0-9a-fA-F]{6})", text)
        if match:
            value = match.group(1)
            return Background("color", tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)))
        if text.startswith("color:"):
            raise UserError(f"bad background colour {text!r}; write it like color:#1e90ff")
        path = Path(text).expanduser()
        if not path.exists():
            raise UserError(f"--background {text!r}: use keep, blur, transparent, color:#RRGGBB or an image file")
        return Background("image", image=read_bgr(path, "background picture"))


@dataclass
class MaskSettings:
    """How the person mask is cut from the segmenter's probabilities and steadied over time."""
    threshold: float = 0.5
    feather: float = 0.15  # half-width of the soft edge around the threshold, in probability
    smoothing: float = 0.9  # how much an unsure pixel keeps of the previous mask (0: none)
    cut_reset: float = 0.25  # mean mask change that counts as a scene cut
    guided_radius: int = 4  # in full-resolution pixels of the working size
    guided_eps: float = 1e-3


@dataclass
class Look:
    """How frames are stylized and composited; hotkeys change it while the app runs."""
    style: str
    strength: float = 1.0  # 0 = original, 1 = fully stylized
    mirror: bool = False
    compare: bool = False  # left half original, right half stylized
    stylize: str = "all"  # all, person or background
    background: Background = Background("keep")
    show_mask: bool = False
    stabilize: float = 0.0  # 0-1: how much of the last output to keep where the picture is still
    keep_colors: bool = False  # the style's light and texture, the frame's colours
    stroke_scale: float = 1.0  # 2: strokes twice as large (the network runs at half the width and height)
    person_light: float = 1.0  # 0-1: how much a dim frame's person is lifted above the room (person_light.py)

    def snapshot(self) -> Look:
        return replace(self)

    @property
    def cuts_out(self) -> bool:
        """Whether frames come out as BGRA, the person with the mask as alpha (the mask view stays opaque)."""
        return self.background.kind == "transparent" and not self.show_mask

    @property
    def needs_mask(self) -> bool:
        return self.stylize != "all" or self.background.kind != "keep" or self.show_mask


DEFAULT_STABILIZE = 0.95  # `run --stabilize`: for video; single images have no last frame
STYLE_FADE_SECONDS = 0.3  # a style change fades over this long: pixels in the window, norm parameters in a pack
STROKE_SCALES = (0.25, 4.0)  # `--stroke-scale` and the window's [ and ] keys stay in this range

