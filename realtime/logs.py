"""Logging for long unattended runs: warnings on stderr, everything in a rotating file."""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from realtime.errors import UserError

LOG_BYTES, LOG_BACKUPS = 5 * 2**20, 5  # 5 files of 5 MB: weeks of health lines


def setup_logging(log_file: Path | None) -> None:
    root = logging.getLogger()
    if not root.handlers:
        # python-osc logs with logging.debug(), which gives a root logger without handlers a stderr one on
        # first use; ours propagate to it, so every line would print twice from the first OSC message on.
        root.addHandler(logging.NullHandler())
    logger = logging.getLogger("realtime")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(console)
    if log_file is not None:
        try:
            handler = logging.handlers.RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS)
        except OSError as exc:
            raise UserError(f"cannot write the log file {log_file}: {exc.strerror}") from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
