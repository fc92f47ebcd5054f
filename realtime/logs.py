"""Logging for long unattended runs: warnings on stderr, everything in a rotating file."""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from realtime.errors import UserError

LOG_BYTES, LOG_BACKUPS = 5 * 2**20, 5  # 5 files of 5 MB: weeks of health lines


def setup_logging(log_file: Path | None) -> None:
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
