"""C libraries (libpng, libjpeg, libtiff via OpenCV; x264) print their own complaints straight to file
descriptor 2, which would be a second line beside our one-line errors. Plain Python, no OpenCV or
PyAV: the command line's torch-free parts use it."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


# File descriptor 2 is the process's: two threads silencing it at once would restore it in the wrong
# order and leave it silenced for good. Reentrant, so a silenced call may call another.
_fd2_lock = threading.RLock()


@contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment (C libraries write there directly)."""
    with _fd2_lock:
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def imread_quietly(path: Path) -> np.ndarray | None:
    """cv2.imread as 8-bit BGR, None when it does not decode; what the decoder says about a damaged
    file is left unsaid (the caller reports it in one line)."""
    import cv2

    with silenced_stderr():
        return cv2.imread(str(path), cv2.IMREAD_COLOR)
