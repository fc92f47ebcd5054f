"""Building blocks of the command line: the parser that fails in one line, and settings_from(), which
fills a settings dataclass from the parsed options (the value parsers that `type=` names are realtime/values.py's).
Plain Python: nothing here may import torch, OpenCV or PyAV (`--help` must start at once)."""
from __future__ import annotations

import argparse
import re
from dataclasses import fields
from typing import Any, Callable, TypeVar

from realtime.errors import UserError
from realtime.values import SIZE_FORMAT, parse_inference_size, parse_size

Settings = TypeVar("Settings")

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
