"""Text for the window's HUD, drawn into an RGBA image that the renderer overlays.

The HUD lives only in the window: recordings and screenshots get the frame alone.
"""
from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 0.5
LINE_HEIGHT = 20
PADDING = 8


COLUMN_GAP = 16


def _text_width(text: str) -> int:
    return cv2.getTextSize(text, FONT, SCALE, 1)[0][0]


def text_image(lines: list[str]) -> np.ndarray:
    """White text on a translucent dark panel, as an RGBA uint8 image.

    Tabs split a line into columns, which are aligned (the font is not monospaced).
    """
    rows = [line.split("\t") for line in lines]
    columns = max(len(row) for row in rows) if rows else 1
    widths = [max((_text_width(row[c]) for row in rows if len(row) > c), default=0) for c in range(columns)]
    starts = [PADDING + sum(widths[:c]) + COLUMN_GAP * c for c in range(columns)]
    width = starts[-1] + widths[-1] + PADDING
    height = LINE_HEIGHT * len(rows) + 2 * PADDING
    panel = np.zeros((height, width, 4), np.uint8)
    panel[:, :] = (0, 0, 0, 150)
    for row_index, row in enumerate(rows):
        baseline = PADDING + LINE_HEIGHT * row_index + 14
        for column, text in enumerate(row):
            cv2.putText(panel, text, (starts[column], baseline), FONT, SCALE, (255, 255, 255, 255), 1, cv2.LINE_AA)
    return panel


def _recording_dot(diameter: int = 22) -> np.ndarray:
    dot = np.zeros((diameter, diameter, 4), np.uint8)
    cv2.circle(dot, (diameter // 2, diameter // 2), diameter // 2 - 1, (230, 30, 30, 255), -1, cv2.LINE_AA)
    return dot


RECORDING_DOT = _recording_dot()  # shown top-right while R is recording
