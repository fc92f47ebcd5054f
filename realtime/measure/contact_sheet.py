"""`realtime sheet`: every style (or style picture) applied to a few photos, next to its painting, in one PNG."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.user_files import read_bgr
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


def painting_tile(paintings: Path | None, meta: dict) -> np.ndarray | None:
    """The painting a style was trained on, from the paintings folder; None where it is not there."""
    painting_file = paintings / meta.get("style_image", "") if paintings else None
    return fit_tile(read_bgr(painting_file)) if painting_file and painting_file.is_file() else None


def contact_sheet(engine: StyleEngine, styles: list[str], photos: list[Path],
                  paintings: Path | None) -> tuple[np.ndarray, bool]:
    """One row per style: the painting (black where it is not in paintings), then each photo stylized
    (processed at 512 px, shown at 256). With no painting found at all, no painting column (False)."""
    if len(photos) < 1:
        raise UserError("give at least one photo")
    originals = [read_bgr(path) for path in photos]
    metas = [engine.style(name).meta for name in styles]  # also for TorchScript files, which load_style cannot read
    tiles = [painting_tile(paintings, meta) for meta in metas]
    painted = any(tile is not None for tile in tiles)
    header = ([label("painting", TILE)] if painted else []) + [label(path.stem, TILE) for path in photos]
    corner = [np.full((TILE, TILE, 3), 255, np.uint8)] if painted else []
    rows = [np.hstack(header), np.hstack(corner + [fit_tile(o) for o in originals])]
    for name, meta, tile in zip(styles, metas, tiles):
        painting = ([np.zeros((TILE, TILE, 3), np.uint8) if tile is None else tile] if painted else [])
        stylized = [fit_tile(engine.process(fit_tile(o, 2 * TILE), Look(name))) for o in originals]
        shown_name, title = display_name(name), meta.get("painting", {}).get("title", "")
        heading = shown_name if title in ("", shown_name) else f"{shown_name}: {title}"
        rows.append(np.hstack([label(heading, TILE * (len(painting) + len(photos)))]))
        rows.append(np.hstack(painting + stylized))
    return np.vstack(rows), painted
