"""`--json [FILE]` of the commands that report (`bench`, `eval`): alone, the report as one JSON object on
stdout that a script can read, and the text report on stderr; with FILE, the JSON written there and the
text on stdout as without it. (`run --json` is a flag: run_options.py.)"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

STDOUT = Path("-")


def add_json_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", type=Path, nargs="?", const=STDOUT, metavar="FILE",
                        help=f"{what} as JSON: alone, one JSON object on stdout (the text report goes to stderr); "
                             "with FILE, written there")


def emit(report: dict, text: str, json_to: Path | None) -> None:
    """The text report, and the JSON one where --json asked for it."""
    if json_to == STDOUT:
        print(text, file=sys.stderr)
        print(json.dumps(report))
        return
    if json_to is not None:
        json_to.write_text(json.dumps(report, indent=2))
    print(text)
