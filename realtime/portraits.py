"""Person-segmentation data: a folder with images/NAME.jpg and masks/NAME.png (255 = person).

Used by `train segmentation` (the pairs it learns from) and `eval segmentation` (ground truth).
Every problem is found before any work and named in one line: no pairs, a picture without its
mask, an unreadable file, a mask of another size than its picture.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from realtime.errors import UserError
from realtime.io.images import fit_long_side, list_images
from realtime.io.user_files import read_bgr

LAYOUT = "images/NAME.jpg with masks/NAME.png (255 = person, 0 = background)"


@dataclass
class Portrait:
    name: str
    image: np.ndarray  # H x W x 3 BGR, uint8
    mask: np.ndarray  # H x W, float32 in [0, 1]


def portrait_pairs(data: Path) -> list[tuple[Path, Path]]:
    """(picture, mask) paths of every picture in data/images/, each with its mask in data/masks/."""
    if not data.is_dir():
        raise UserError(f"data folder not found: {data}; it needs {LAYOUT}")
    if not (data / "images").is_dir() or not (data / "masks").is_dir():
        raise UserError(f"{data} needs {LAYOUT}")
    pairs = [(image, data / "masks" / f"{image.stem}.png") for image in list_images(data / "images")]
    if not pairs:
        raise UserError(f"no pictures in {data / 'images'}; it needs {LAYOUT}")
    missing = [mask.name for _, mask in pairs if not mask.is_file()]
    if missing:
        raise UserError(f"{len(missing)} of {len(pairs)} pictures in {data / 'images'} have no mask in "
                        f"{data / 'masks'} (first: {missing[0]}); each images/NAME.* needs masks/NAME.png")
    return pairs


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """A mask as float32 in [0, 1], checked to be one channel of the picture's size."""
    mask = read_bgr(path, "mask")
    if mask.shape[:2] != shape:
        raise UserError(f"mask {path} is {mask.shape[1]}x{mask.shape[0]} but its picture is {shape[1]}x{shape[0]}; "
                        "a mask must have its picture's size")
    return mask[..., 0].astype(np.float32) / 255.0  # read as BGR: grey masks have three equal channels


def read_portrait(image_path: Path, mask_path: Path, long_side: int | None = None) -> Portrait:
    """One pair, both scaled down to long_side (if larger) so that a folder of camera photos fits in memory."""
    image = read_bgr(image_path, "picture")
    mask = read_mask(mask_path, image.shape[:2])
    if long_side is not None and max(image.shape[:2]) > long_side:
        image = fit_long_side(image, long_side)
        mask = cv2.resize(mask, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)
    return Portrait(image_path.stem, image, mask)
