"""Building blocks of the command line: the parser that fails in one line, the value parsers that
`type=` names, and settings_from(), which fills a settings dataclass from the parsed options.
Plain Python: nothing here may import torch, OpenCV or PyAV (`--help` must start at once)."""
from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any, Callable, TypeVar

from realtime.errors import UserError
from realtime.look import STYLIZE_MODES

Settings = TypeVar("Settings")

MODEL_HELP = ("style network; auto (= magenta): the style's network fine-tuned from Magenta's arbitrary-style network; "
              "lite, fast, full: Johnson et al.'s networks (fast: the lite one without full-resolution layers); a style "
              "without the one asked for runs the next of magenta, fast, lite, full")


class OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message} (see {self.prog} --help)")


def settings_from(cls: Callable[..., Settings], args: argparse.Namespace, **built: Any) -> Settings:
    """cls's fields from the options whose dest is the field's name, and from built (the fields that
    are made of other options). A field without either is an AttributeError, not a silent default:
    a new option is its dataclass field plus its add_argument."""
    return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if f.init and f.name not in built}, **built)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x360, not {text!r}") from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"size {text} is too small; use at least 16x16")
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
