"""Text for the window's HUD, drawn into an RGBA image that the renderer overlays.

The HUD lives only in the window: recordings and screenshots get the frame alone.
"""
from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 0.5
LINE_HEIGHT = 20  # at SCALE, as are the two below: they shrink with the type
BASELINE = 14
PADDING = 8
COLUMN_GAP = 16
MARGIN = 10  # between a panel and the window's edge, or another panel
MIN_SCALE = 0.05  # type a window too small for any key list still gets, unreadable but inside it
MAX_KEY_COLUMNS = 3  # side-by-side blocks of the key list, when its rows do not fit one above the other


def _text_width(text: str, scale: float = SCALE) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def _layout(rows: list[list[str]], scale: float) -> tuple[list[int], int, int, float]:
    """Column starts, panel width and height, and the line height, for tab-split rows at a font scale."""
    k = scale / SCALE
    columns = max(len(row) for row in rows) if rows else 1
    widths = [max((_text_width(row[c], scale) for row in rows if len(row) > c), default=0) for c in range(columns)]
    padding, gap = round(PADDING * k), round(COLUMN_GAP * k)
    starts = [padding + sum(widths[:c]) + gap * c for c in range(columns)]
    return starts, starts[-1] + widths[-1] + padding, round(LINE_HEIGHT * k * len(rows)) + 2 * padding, LINE_HEIGHT * k


def panel_size(lines: list[str], scale: float = SCALE) -> tuple[int, int]:
    """(width, height) of text_image(lines, scale), without drawing it."""
    _, width, height, _ = _layout([line.split("\t") for line in lines], scale)
    return width, height


def text_image(lines: list[str], scale: float = SCALE) -> np.ndarray:
    """White text on a translucent dark panel, as an RGBA uint8 image.

    Tabs split a line into columns, which are aligned (the font is not monospaced).
    """
    rows = [line.split("\t") for line in lines]
    starts, width, height, line_height = _layout(rows, scale)
    panel = np.zeros((height, width, 4), np.uint8)
    panel[:, :] = (0, 0, 0, 150)
    k = scale / SCALE
    for row_index, row in enumerate(rows):
        baseline = round(PADDING * k) + round(line_height * row_index + BASELINE * k)
        for column, text in enumerate(row):
            cv2.putText(panel, text, (starts[column], baseline), FONT, scale, (255, 255, 255, 255), 1, cv2.LINE_AA)
    return panel


def in_columns(rows: list[tuple[str, str]], blocks: int) -> list[str]:
    """(keys, description) rows as `blocks` side-by-side blocks, top to bottom then left to right.
    An empty column between blocks doubles the gap there, so each pair reads as one."""
    height = -(-len(rows) // blocks)
    return ["\t\t".join(f"{keys}\t{description}" for keys, description in rows[row::height])
            for row in range(height)]


def fitting_scale(lines: list[str], width: int, height: int) -> float:
    """The largest font scale, at most SCALE, at which the panel fits in width x height (MIN_SCALE if
    none does). Bisected: the glyphs' widths do not shrink in proportion to the scale."""
    def fits(scale: float) -> bool:
        panel_w, panel_h = panel_size(lines, scale)
        return panel_w <= width and panel_h <= height

    if fits(SCALE):
        return SCALE
    low, high = MIN_SCALE, SCALE
    for _ in range(12):  # to within 1e-4 of the scale
        middle = (low + high) / 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def key_list_image(title: str, rows: list[tuple[str, str]], width: int, height: int) -> np.ndarray:
    """The key list, in width x height: in as many blocks side by side (up to MAX_KEY_COLUMNS) as give
    the largest type, the full size where it fits, and smaller type only where it must."""
    layouts = [[title, *in_columns(rows, blocks)] for blocks in range(1, MAX_KEY_COLUMNS + 1)]
    best = max(layouts, key=lambda lines: fitting_scale(lines, width, height))  # the first of equals: fewer blocks
    return text_image(best, fitting_scale(best, width, height))


def _recording_dot(diameter: int = 22) -> np.ndarray:
    dot = np.zeros((diameter, diameter, 4), np.uint8)
    cv2.circle(dot, (diameter // 2, diameter // 2), diameter // 2 - 1, (230, 30, 30, 255), -1, cv2.LINE_AA)
    return dot


RECORDING_DOT = _recording_dot()  # shown top-right while R is recording
