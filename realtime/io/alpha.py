"""Frames with alpha (a cut-out: --background transparent) meet outputs that keep it and outputs that
cannot: H x W x 4 BGRA, straight (not premultiplied) alpha, as PNG, VP9, ProRes 4444 and NDI take it."""
from __future__ import annotations

import cv2
import numpy as np

CHECKER_SQUARE = 16  # pixels: the size image editors show transparency with


def as_bgra(image: np.ndarray) -> np.ndarray:
    """BGRA as it is; BGR made opaque (the mask view, or a look without a cut-out, into an alpha output)."""
    return image if image.shape[2] == 4 else cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)


def with_alpha(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """BGRA: the image with `alpha` (H x W uint8, any size: scaled to the image's) as its alpha, or its own
    alpha (a cut-out) times `alpha`."""
    height, width = image.shape[:2]
    if alpha.shape != (height, width):
        alpha = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_AREA)
    out = as_bgra(image).copy()
    out[..., 3] = (out[..., 3].astype(np.uint16) * alpha // 255).astype(np.uint8)
    return out


def over(image: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """BGRA over an H x W x 3 BGR backdrop -> BGR; a BGR image as it is."""
    if image.shape[2] == 3:
        return image
    alpha = image[..., 3:].astype(np.float32) / 255.0
    mixed = backdrop.astype(np.float32) * (1.0 - alpha) + image[..., :3].astype(np.float32) * alpha
    return mixed.round().astype(np.uint8)


class Checkerboard:
    """Light and mid grey squares behind a cut-out, as image editors show transparency (the window)."""

    def __init__(self, square: int = CHECKER_SQUARE):
        self.square = square
        self._board = np.zeros((0, 0, 3), np.uint8)  # made again only when the frame size changes

    def behind(self, image: np.ndarray) -> np.ndarray:
        """BGRA -> BGR over the squares; BGR as it is."""
        if image.shape[2] == 3:
            return image
        height, width = image.shape[:2]
        if self._board.shape[:2] != (height, width):
            y, x = np.mgrid[0:height, 0:width]
            grey = np.where((x // self.square + y // self.square) % 2 == 0, 204, 153).astype(np.uint8)
            self._board = np.repeat(grey[..., None], 3, axis=2)
        return over(image, self._board)
