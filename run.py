#!/usr/bin/env python3
"""Thin entry point: `python run.py --camera 0 --style starry_night` runs the stylizer
(`python run.py --help` lists its options and keys); `python run.py train ...` and the
other subcommands work as in `python -m realtime`."""
import sys

from realtime.cli import COMMANDS, main

if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args if args and args[0] in (*COMMANDS, "--version") else ["run", *args]))
