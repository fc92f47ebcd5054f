"""Pictures as arrays: to and from torch tensors, fitted to a size, listed from a folder, and a stylized
picture written out (with its input's transparency). Reading the files the user names, checked, is
io/user_files.py's job."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from realtime.errors import UserError
from realtime.io.alpha import over, with_alpha
from realtime.io.outputs import ALPHA_IMAGE_SUFFIXES, IMAGE_SUFFIXES, check_image_output, check_writable
from realtime.io.user_files import read_alpha


def list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise UserError(f"image folder not found: {folder}")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def bgr_to_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 H x W x 3 BGR -> float 1 x 3 x H x W RGB in [0, 1]."""
    rgb = np.ascontiguousarray(image[:, :, ::-1])
    return torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div_(255.0)


def tensor_to_bgr(rgb: torch.Tensor) -> np.ndarray:
    """float 1 x 3 x H x W RGB in [0, 1] -> uint8 H x W x 3 BGR."""
    array = rgb[0].detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(array[:, :, ::-1])


def fit_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    size = (max(4, round(w * scale)), max(4, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def write_image(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):
        check_writable(path)  # says why, when the system does (a read-only folder, a folder by that name)
        raise UserError(f"could not write image {path}; choose another --output")


def keep_alpha_of(path: Path, stylized: np.ndarray) -> np.ndarray:
    """The stylized picture with the transparency of the picture at `path` (a logo, a cut-out), if it has any."""
    alpha = read_alpha(path)
    return stylized if alpha is None else with_alpha(stylized, alpha)


def write_styled(image: np.ndarray, input_path: Path, style_name: str, output: Path | None = None) -> Path:
    """Write a stylized picture (BGR, or BGRA with transparency) to `output`, by default as NAME_STYLE.png
    beside its input; returns where. A format without alpha gets the picture over black."""
    output = output or input_path.with_name(f"{input_path.stem}_{style_name}.png")
    check_image_output(output)
    if output.suffix.lower() not in ALPHA_IMAGE_SUFFIXES:
        image = over(image, np.zeros_like(image[..., :3]))
    write_image(output, image)
    return output

