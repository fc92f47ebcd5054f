"""Command line: `realtime [run] ...`, `realtime train [style|segmentation] ...`, `realtime export ...`.

Bad input ends with one line on stderr and exit code 2, never a traceback. Building the parser
imports no torch, OpenCV or PyAV, so `--help` answers at once: each command's handler imports
what it runs.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from realtime import __version__
from realtime.cli.making import (
    add_export_arguments,
    add_paint_arguments,
    TRAIN_KINDS,
    add_train_arguments,
    command_export,
    command_paint,
)
from realtime.cli.measuring import (
    add_bench_arguments,
    add_eval_arguments,
    add_sheet_arguments,
    command_bench,
    command_eval,
    command_sheet,
)
from realtime.cli.run_options import (
    add_run_arguments,
    apply_config,
    command_run,
    run_settings,
)
from realtime.cli.values import OneLineErrorParser
from realtime.errors import UserError
from realtime.tuning import tune_for_realtime
from realtime.window.hotkeys import key_list_text

__all__ = ["COMMANDS", "apply_config", "build_parser", "main", "run_settings"]

# name -> (help, arguments, handler); `realtime --help` lists them in this order.
COMMANDS = {
    "run": ("stylize a camera, video, image or the demo (the default command)", add_run_arguments, command_run),
    "train": ("train a style network from a painting, or fine-tune the person segmenter", add_train_arguments, None),
    "export": ("write a style as a frozen TorchScript or an ONNX file", add_export_arguments, command_export),
    "bench": ("measure the pipeline's speed against the naive loop", add_bench_arguments, command_bench),
    "eval": ("measure styles (style), mask quality (segmentation), flicker (temporal) and long runs (soak)", add_eval_arguments, command_eval),
    "paint": ("paint one photo in any picture's style by optimisation (Gatys et al.; slow, best quality)",
              add_paint_arguments, command_paint),
    "sheet": ("a contact sheet: every style on a few photos, next to its painting", add_sheet_arguments, command_sheet),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = OneLineErrorParser(prog="realtime", description="Real-time style transfer for webcams and video files.")
    parser.add_argument("--version", action="version", version=f"realtime {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)
    subparsers = {}
    for name, (summary, add_arguments, handler) in COMMANDS.items():
        extra = {"epilog": f"keys in the window:\n{key_list_text()}",
                 "formatter_class": argparse.RawDescriptionHelpFormatter} if name == "run" else {}
        subparsers[name] = commands.add_parser(name, help=summary, **extra)
        add_arguments(subparsers[name])
        if handler is not None:  # else its subcommands set it
            subparsers[name].set_defaults(handler=handler)
    return parser, subparsers


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every finally block runs (recordings get finalized)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def _silence_stdout() -> None:
    """After the reader of stdout went away (`realtime --list-styles | head -1`): send what is left
    nowhere, so that the flush at exit raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")  # `realtime --camera 0` means `realtime run --camera 0`
    if argv[0] == "train" and (len(argv) == 1 or argv[1] not in (*TRAIN_KINDS, "-h", "--help")):
        argv.insert(1, "style")
    parser, subparsers = build_parser()
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        args = parser.parse_args(argv)
        if getattr(args, "config", None) is not None:
            apply_config(subparsers[args.command], args.config)
            args = parser.parse_args(argv)
        tune_for_realtime()  # before a handler imports torch: its OpenMP runtime reads the settings once
        args.handler(args)
        sys.stdout.flush()  # here, so that a closed pipe is the BrokenPipeError below, not one at exit
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except Terminated:
        print("stopped (SIGTERM)", file=sys.stderr)
        return 143
    except BrokenPipeError:
        _silence_stdout()
        return 141  # 128 + SIGPIPE, as a shell reports a command that wrote into a closed pipe
    return 0
