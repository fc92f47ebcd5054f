"""The styles the app knows: <name>.<variant>.pt in the user's styles folder or the shipped checkpoints/,
a path to any checkpoint, or a picture."""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from realtime.assets import CHECKPOINTS, user_styles
from realtime.errors import UserError
from realtime.io.outputs import IMAGE_SUFFIXES
from realtime.io.pictures import check_file
from realtime.model.architectures import ARCHITECTURES, NETWORK_SIZES

CHECKPOINT_SUFFIXES = (".pt", ".pth", ".model", ".ts")  # .ts: from `realtime export`
STYLE_KINDS = ("--style takes a bundled style name (e.g. udnie), a style checkpoint (.pt, .pth or .model; "
               ".ts from 'realtime export') or a picture (.jpg, .png, .webp, ...)")


@dataclass(frozen=True)
class StyleRef:
    name: str
    path: Path
    kind: str  # "network" (a checkpoint), "exported" (TorchScript from `realtime export`) or "picture"
    size: str | None = None  # the network's row of ARCHITECTURES when found by name; None for a path or a picture
    pictures: tuple[Path, ...] = ()  # "picture": the picture, or the pictures whose styles are mixed


class StyleRegistry:
    """Styles by name from folders of NAME.VARIANT.pt files. A name in an earlier folder hides the same
    name in later ones, all its networks together (a style never mixes two trainings). By default the
    user's styles come first: a style they trained under a shipped style's name is the one they mean."""

    def __init__(self, *folders: Path):
        self.folders = folders or (user_styles(), CHECKPOINTS)
        self._files: dict[str, dict[str, Path]] = {}
        for folder in reversed(self.folders):  # earlier folders overwrite later ones
            found: dict[str, dict[str, Path]] = {}
            for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
                name, _, variant = path.stem.rpartition(".")
                if name and variant in ARCHITECTURES:
                    found.setdefault(name, {})[variant] = path
            self._files.update(found)

    def names(self) -> list[str]:
        return sorted(self._files)

    def variants(self, name: str) -> list[str]:
        return sorted(self._files.get(name, {}))

    def home(self, name: str) -> Path:
        """The folder a style name's networks are in."""
        return next(iter(self._files[name].values())).parent

    def searched(self) -> str:
        return " or ".join(str(folder) for folder in self.folders)

    def resolve(self, name_or_path: str, variant: str) -> StyleRef:
        """The checkpoint for a style name or a path to a checkpoint file. A style without the asked
        variant falls back to its lite network, then to the others (a style trained only as lite still
        runs where auto asks for fast)."""
        if name_or_path in self._files:
            files = self._files[name_or_path]
            chosen = next(v for v in (variant, *NETWORK_SIZES) if v in files)
            return StyleRef(name_or_path, files[chosen], "network", chosen)
        path = Path(name_or_path).expanduser()
        if path.is_dir():
            raise UserError(f"--style {path} is a folder; name one file in it, or give a folder of style "
                            f"pictures to 'realtime run --style-dir {path}'")
        if is_picture_style(name_or_path):
            pictures = tuple(Path(part.strip()).expanduser() for part in name_or_path.split(","))
            for picture in pictures:
                check_file(picture, "style picture")
            return StyleRef(" + ".join(p.stem for p in pictures), pictures[0], "picture", pictures=pictures)
        if "," in name_or_path:
            raise UserError(f"{name_or_path!r}: only pictures can be mixed (--style a.jpg,b.jpg --mix 0.3)")
        if path.suffix.lower() in CHECKPOINT_SUFFIXES or os.sep in name_or_path or path.exists():
            check_file(path, "style checkpoint")
            if path.suffix.lower() not in CHECKPOINT_SUFFIXES:
                raise UserError(f"--style {path}: a {path.suffix or 'suffix-less'} file is not a style; {STYLE_KINDS}")
            return StyleRef(path.stem, path, "exported" if path.suffix == ".ts" else "network")
        raise UserError(self._unknown_message(name_or_path))

    def _unknown_message(self, name: str) -> str:
        if not self._files:
            return f"unknown style {name!r}: no styles in {self.searched()}; train one with 'realtime train' or pass a checkpoint path"
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.4)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown style {name!r}; {hint}available: {', '.join(self.names())}"


def is_picture_style(name: str) -> bool:
    """A style given as a picture, or as several pictures to mix (a.jpg,b.png)."""
    return all(Path(part.strip()).suffix.lower() in IMAGE_SUFFIXES for part in name.split(","))


def style_pictures(folder: Path) -> list[str]:
    """Every picture in a --style-dir, as style names (their paths)."""
    if not folder.is_dir():
        raise UserError(f"--style-dir {folder} is not a folder")
    pictures = [str(path) for path in sorted(folder.iterdir()) if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()]
    if not pictures:
        raise UserError(f"--style-dir {folder} has no pictures ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return pictures


def display_name(style: str) -> str:
    """How a style is shown on screen: pictures by their file names, not their folders."""
    if is_picture_style(style):
        return " + ".join(Path(part.strip()).stem for part in style.split(","))
    return style
