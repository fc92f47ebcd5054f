"""One job per output file: a second job writing the same --output is refused, instead of mixing its
frames into the first one's file."""
from __future__ import annotations

import os
from pathlib import Path

from realtime.errors import UserError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks there; jobs are not kept apart
    fcntl = None


def claim(writing: Path, output: Path) -> int:
    """Create `writing` (empty, or as a killed job left it) and lock it for this process; returns the
    descriptor, which holds the lock until it is closed. The kernel drops the lock of a killed job, so
    its leftover file never blocks the next one. Writing beside `output`, `output` must not be locked
    either: a live recording writes into its name directly."""
    if writing != output and output.exists():
        probe = os.open(output, os.O_RDONLY)
        try:
            _lock(probe, writing, output)
        finally:
            os.close(probe)  # the lock goes with it
    descriptor = os.open(writing, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        _lock(descriptor, writing, output)
    except UserError:
        os.close(descriptor)
        raise
    return descriptor


def _lock(descriptor: int, writing: Path, output: Path) -> None:
    if fcntl is None:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(f"another job is writing {output} (into {writing.name}) right now; wait until it has "
                        "finished, or choose another --output") from None
