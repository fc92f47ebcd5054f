"""`realtime sheet`: every style (or style picture) applied to a few photos, next to its painting, in one PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.images import read_bgr
from realtime.look import Look
from realtime.styles.registry import display_name
from realtime.window.hud import FONT, SCALE

TILE = 256
LABEL_HEIGHT = 36


def fit_tile(image: np.ndarray, size: int = TILE) -> np.ndarray:
    """Centre-crop to a square and scale to size x size."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return cv2.resize(image[top:top + side, left:left + side], (size, size), interpolation=cv2.INTER_AREA)


def label(text: str, width: int) -> np.ndarray:
    strip = np.full((LABEL_HEIGHT, width, 3), 255, np.uint8)
    cv2.putText(strip, text, (6, 24), FONT, SCALE, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def contact_sheet(engine: StyleEngine, styles: list[str], photos: list[Path], paintings: Path | None) -> np.ndarray:
    """One row per style: the painting (black where it is not in paintings), then each photo stylized
    (processed at 512 px, shown at 256)."""
    if len(photos) < 1:
        raise UserError("give at least one photo")
    originals = [read_bgr(path) for path in photos]
    header = [label("painting", TILE)] + [label(path.stem, TILE) for path in photos]
    rows = [np.hstack(header), np.hstack([np.full((TILE, TILE, 3), 255, np.uint8)] + [fit_tile(o) for o in originals])]
    for name in styles:
        meta = engine.style(name).meta  # also for exported TorchScript files, which load_style cannot read
        painting_file = paintings / meta.get("style_image", "") if paintings else None
        painting = (fit_tile(read_bgr(painting_file)) if painting_file and painting_file.is_file()
                    else np.zeros((TILE, TILE, 3), np.uint8))
        stylized = [fit_tile(engine.process(fit_tile(o, 2 * TILE), Look(name))) for o in originals]
        shown_name, title = display_name(name), meta.get("painting", {}).get("title", "")
        heading = shown_name if title in ("", shown_name) else f"{shown_name}: {title}"
        rows.append(np.hstack([label(heading, TILE * (1 + len(photos)))]))
        rows.append(np.hstack([painting] + stylized))
    return np.vstack(rows)
