"""Where the files that ship beside the code are, and where the user's own styles go.

The checkout keeps them at its top level (checkpoints/, shaders/); the wheel maps them into the package
(realtime/checkpoints, realtime/shaders: pyproject.toml, [tool.setuptools.package-dir])."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(folder: str) -> Path:
    """A shipped folder ("checkpoints" or "shaders"). Run from a checkout (bare, or an editable install's
    source) it is the checkout's top-level folder; installed, it is package data next to this module.
    The checkout is asked first: an old one may still hold a stale realtime/checkpoints/ of trained styles.
    Resources are looked up from this very package, not by the name realtime.checkpoints, which another
    checkout's editable install on the same interpreter would answer with its own folder."""
    checkout = PACKAGE.parent / folder
    if (PACKAGE.parent / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return Path(str(resources.files(__package__).joinpath(folder)))  # a real folder: wheels install unzipped


def user_styles() -> Path:
    """Where `realtime train` saves styles and `--style NAME` finds them: $XDG_DATA_HOME/realtime/styles,
    ~/.local/share/realtime/styles by default (never the installed package, which may be read-only or shared)."""
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"  # XDG: relative ones are ignored
    return base / "realtime" / "styles"


SHIPPED_CHECKPOINTS = shipped("checkpoints")  # trained styles, the Magenta weights, the person-segmentation weights
# Where `--style NAME` looks up shipped styles; REALTIME_CHECKPOINTS points it at another folder.
CHECKPOINTS = Path(os.environ.get("REALTIME_CHECKPOINTS", SHIPPED_CHECKPOINTS))
SHADERS = Path(os.environ.get("REALTIME_SHADERS", shipped("shaders")))
