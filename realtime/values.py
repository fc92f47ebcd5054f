"""Text to values: the parsers a command line option's `type=` names (and a config file's values go through),
and the help text about the style networks. Plain Python: nothing here may import torch, OpenCV or PyAV
(`--help` must start at once)."""
from __future__ import annotations

import argparse
from typing import Any

from realtime.look import STROKE_SCALES, STYLIZE_MODES
from realtime.model.architectures import ARCHITECTURES, MODELS

MODELS_HELP = "; ".join(f"{name}: {row.about}" for name, row in ARCHITECTURES.items())  # model/architectures.py
MODEL_HELP = (f"style network; auto (= {MODELS[0]}); {MODELS_HELP}; "
              f"a style without the one asked for runs the next of {', '.join(MODELS)}")


# Pixels a side. 16384 x 16384 is more than any H.264 or HEVC level holds, and 3 GB a frame in float pixels.
MIN_SIDE, MAX_SIDE = 16, 16384
SIZE_RULE = f"WIDTHxHEIGHT, each side {MIN_SIDE} to {MAX_SIDE}"
SIZE_FORMAT = f"a size is {SIZE_RULE}, like 640x360"


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


def checked(value: Any, ok: bool, message: str) -> Any:
    """value, if ok; else the error argparse shows as "argument --OPTION: message"."""
    if not ok:
        raise argparse.ArgumentTypeError(message)
    return value


def unit_interval(text: str) -> float:
    value = float(text)
    return checked(value, 0.0 <= value <= 1.0, f"must be between 0 and 1, not {text}")


def stroke_scale(text: str) -> float:
    (low, high), value = STROKE_SCALES, float(text)
    return checked(value, low <= value <= high, f"must be between {low:g} and {high:g}, not {text}")


def non_negative_int(text: str) -> int:
    value = int(text)
    return checked(value, value >= 0, f"must be 0 or more, not {text}")


def port_number(text: str) -> int:
    value = int(text)
    return checked(value, 1 <= value <= 65535, f"a port is 1 to 65535, not {text}")


def positive_int(text: str) -> int:
    value = int(text)
    return checked(value, value > 0, f"must be a positive number, not {text}")


def comma_list(convert):
    def parse(text: str) -> list:
        return [convert(item.strip()) for item in text.split(",") if item.strip()]
    return parse


def on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"use on, off or on,off, not {text!r}")
    return text == "on"
