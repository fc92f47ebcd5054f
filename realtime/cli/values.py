"""Building blocks of the command line: the parser that fails in one line, the value parsers that
`type=` names, and settings_from(), which fills a settings dataclass from the parsed options.
Plain Python: nothing here may import torch, OpenCV or PyAV (`--help` must start at once)."""
from __future__ import annotations

import argparse
import re
from dataclasses import fields
from typing import Any, Callable, TypeVar

from realtime.errors import UserError
from realtime.look import STROKE_SCALES, STYLIZE_MODES
from realtime.model.architectures import ARCHITECTURES, NETWORK_SIZES

Settings = TypeVar("Settings")

NETWORKS_HELP = "; ".join(f"{name}: {row.about}" for name, row in ARCHITECTURES.items())  # model/architectures.py
MODEL_HELP = (f"style network; auto (= {NETWORK_SIZES[0]}); {NETWORKS_HELP}; "
              f"a style without the one asked for runs the next of {', '.join(NETWORK_SIZES)}")


# Pixels a side. 16384 x 16384 is more than any H.264 or HEVC level holds, and 3 GB a frame in float pixels.
MIN_SIDE, MAX_SIDE = 16, 16384
SIZE_RULE = f"WIDTHxHEIGHT, each side {MIN_SIDE} to {MAX_SIDE}"
SIZE_FORMAT = f"a size is {SIZE_RULE}, like 640x360"
MISSING_VALUE = re.compile(r"argument (\S+?)(?:/\S+)?: expected one argument")


class OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        missing = MISSING_VALUE.fullmatch(message)
        if missing:
            message = self._missing_value(missing.group(1))
        raise UserError(f"{message} (see {self.prog} --help)")

    def _missing_value(self, option: str) -> str:
        """argparse takes a value that starts with '-' (--size -100x50) for the next option, and says
        only "expected one argument": say what the value looks like instead."""
        action = next(action for action in self._actions if option in action.option_strings)
        if action.type in (parse_size, parse_inference_size):
            return f"{option} takes {action.metavar}; {SIZE_FORMAT}"
        return f"{option} needs a value ({action.metavar or action.dest.upper()})"


def settings_from(cls: Callable[..., Settings], args: argparse.Namespace, **built: Any) -> Settings:
    """cls's fields from the options whose dest is the field's name, and from built (the fields that
    are made of other options). A field without either is an AttributeError, not a silent default:
    a new option is its dataclass field plus its add_argument."""
    return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if f.init and f.name not in built}, **built)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x360 ({SIZE_RULE}), not {text!r}") from None
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"size {text} is out of range; {SIZE_FORMAT}")
    return width, height


def parse_inference_size(text: str) -> str | tuple[int, int]:
    if text in ("auto", "full"):
        return text
    try:
        return parse_size(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or use auto or full") from None


def parse_playlist(text: str) -> list[tuple[str, str | None]]:
    playlist = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, mode = item.partition(":")
        if mode and mode not in STYLIZE_MODES:
            raise argparse.ArgumentTypeError(f"{item!r}: the mode after ':' must be one of {', '.join(STYLIZE_MODES)}")
        playlist.append((name, mode or None))
    if not playlist:
        raise argparse.ArgumentTypeError("the playlist is empty")
    return playlist


def unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def stroke_scale(text: str) -> float:
    low, high = STROKE_SCALES
    value = float(text)
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def port_number(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def comma_list(convert):
    def parse(text: str) -> list:
        return [convert(item.strip()) for item in text.split(",") if item.strip()]
    return parse


def on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"use on, off or on,off, not {text!r}")
    return text == "on"
