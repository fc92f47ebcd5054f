"""The files the user names, checked before they are read, and pictures read whole or not at all.

Imports no OpenCV or Pillow until a picture is read: the command line checks its files while it
parses, before anything heavy loads."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.errors import UserError
from realtime.io.quiet import imread_quietly, silenced_stderr

if TYPE_CHECKING:
    import numpy as np


def check_file(path: Path, what: str, folder_hint: str = "name a file inside it") -> None:
    """Refuse, in one line, a path that is not a regular file: missing, a folder, a device or a pipe
    (reading a pipe would wait for a writer forever, /dev/null reads as an empty file)."""
    if path.is_file():
        return
    if not path.exists():
        raise UserError(f"{what} not found: {path}")
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder; {folder_hint}")
    raise UserError(f"{what} {path} is not a regular file (a device or a pipe); pass a file saved on disk")


def read_bgr(path: Path, what: str = "picture") -> np.ndarray:
    """The whole picture as 8-bit BGR (OpenCV's decoding), or a one-line error for a missing, damaged
    or undecodable file. OpenCV hands back a JPEG cut short as its first rows over grey, so Pillow
    decodes it too, only to see that the data reaches the last pixel."""
    check_file(path, what)
    if is_damaged(path):
        raise UserError(f"{what} {path} is damaged or cut short (it does not decode to the end); "
                        "re-save or re-download it")
    image = imread_quietly(path)
    if image is None:
        raise UserError(f"cannot decode {what} {path}; use a JPEG, PNG or WebP picture")
    return image


def read_alpha(path: Path) -> np.ndarray | None:
    """A picture's alpha channel as 8 bits, None when it has none or is opaque all over. Read after
    read_bgr, which has checked the file."""
    import cv2

    with silenced_stderr():
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4:
        return None
    alpha = image[..., 3] if image.dtype == "uint8" else (image[..., 3] // 257).astype("uint8")  # 16-bit PNG
    return None if alpha.min() == 255 else alpha


def is_damaged(path: Path) -> bool:
    """True when Pillow knows the picture's format and its data stops or breaks before the end.
    A format Pillow does not know, or a picture too big for its safety limit, is left to OpenCV."""
    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow warns (corrupt EXIF, a huge picture) and its libtiff prints to fd 2: second lines on
        # stderr, about a file judged here in one.
        with silenced_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as picture:
                # A JPEG decodes at an eighth of its size, 4x faster, and still reads every byte.
                picture.draft(picture.mode, (1, 1))
                picture.load()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        return False
    except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow's decoders raise for broken data
        return True
    return False
