"""`realtime run`: its options, the TOML config file that can set them, and RunSettings filled from them.

All three come from the declarations in realtime/settings.py (RUN_OPTIONS): a new option is one Option
there, plus the code that acts on it.
"""
from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from realtime.errors import UserError
from realtime.options import Option, add_arguments, config_defaults
from realtime.settings import RUN_OPTIONS, RunSettings


def add_run_arguments(parser: argparse.ArgumentParser, options: Sequence[Option] = RUN_OPTIONS) -> None:
    """An option per declaration, in --help's groups; the defaults are RunSettings', so the Python API and the
    command line agree."""
    add_arguments(parser, options)


def apply_config(parser: argparse.ArgumentParser, path: Path, options: Sequence[Option] = RUN_OPTIONS) -> None:
    """Make the file's values the parser's defaults, so flags on the command line still win."""
    try:
        text = path.read_text()
        values: dict[str, Any] = tomllib.loads(text)
    except FileNotFoundError:
        raise UserError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None

    def where(key: str) -> str:
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
                return f"{path}:{number}"
        return str(path)

    parser.set_defaults(**config_defaults(values, options, where))


def run_settings(args: argparse.Namespace, settings: type = RunSettings) -> RunSettings:
    """RunSettings from `realtime run`'s options (settings: a class made by settings.run_settings_class).
    realtime.app.run_checks.validate checks the settings; --mix is checked here, where it shows whether it was given."""
    if args.mix is not None and args.style.count(",") != 1:
        raise UserError("--mix blends two styles: two pictures (--style a.jpg,b.jpg --mix 0.3) or two styles of one pack "
                        "(--style ice_blue,red_embers --mix 0.3)")
    return settings.from_options(vars(args))


def list_styles() -> None:
    from realtime.styles.checkpoint import load_style
    from realtime.styles.registry import StyleRegistry

    registry = StyleRegistry()
    if not registry.names():
        print(f"no styles in {registry.searched()}")
    for name in registry.names():
        models = registry.models(name)
        ref = registry.resolve(name, models[0])
        painting = {**load_style(ref.path)[1], **registry.slot_meta(name)}.get("painting", {})
        about = f"{painting.get('title', '')}, {painting.get('artist', '')} ({painting.get('year', '')})" if painting else ""
        if ref.slots and not painting:
            about = f"slot {ref.slots[0]} of the style pack {ref.path.name}"
        print(f"{name:<20} {'/'.join(models):<29} {about:<60} {registry.home(name)}")


def command_run(args: argparse.Namespace) -> None:
    if args.list_styles:
        list_styles()
        return
    if args.list_monitors:
        from realtime.window.renderer import monitor_list

        print("\n".join(monitor_list()))
        return
    from realtime.app.run import run
    from realtime.logs import setup_logging

    setup_logging(args.log_file)
    report = run(run_settings(args))
    if args.json:
        print(report.to_json())
