"""The styles the app knows: <name>.<model>.pt in the user's styles folder or the shipped checkpoints/,
the named slots of a style pack (<pack>.pack.json beside its conditional network <pack>.pack.pt), a path to
any checkpoint, or a picture."""
from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from realtime.assets import CHECKPOINTS, user_styles
from realtime.errors import UserError
from realtime.io.outputs import IMAGE_SUFFIXES
from realtime.io.user_files import check_file
from realtime.model.architectures import ARCHITECTURES, MODELS

PACK_MODEL = "multistyle"  # the ARCHITECTURES row of a pack's conditional network
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".model", ".ts")  # .ts: from `realtime export`
STYLE_KINDS = ("--style takes a bundled style name (e.g. udnie), a style checkpoint (.pt, .pth or .model; "
               ".ts from 'realtime export') or a picture (.jpg, .png, .webp, ...)")


@dataclass(frozen=True)
class StyleRef:
    name: str
    path: Path
    kind: str  # "network" (a checkpoint), "exported" (TorchScript from `realtime export`) or "picture"
    model: str | None = None  # the network's row of ARCHITECTURES when found by name; None for a path or a picture
    pictures: tuple[Path, ...] = ()  # "picture": the picture, or the pictures whose styles are mixed
    slots: tuple[int, ...] = ()  # a style pack's slot, or the two slots whose styles are mixed (--mix)


class StyleRegistry:
    """Styles by name from folders of NAME.MODEL.pt files. A name in an earlier folder hides the same
    name in later ones, all its networks together (a style never mixes two trainings). By default the
    user's styles come first: a style they trained under a shipped style's name is the one they mean."""

    def __init__(self, *folders: Path):
        self.folders = folders or (user_styles(), CHECKPOINTS)
        self._files: dict[str, dict[str, Path]] = {}
        self._slots: dict[str, int] = {}  # a name's slot in the pack its PACK_MODEL file is
        self._slot_meta: dict[str, dict] = {}  # what a pack says of a slot: its painting
        for folder in reversed(self.folders):  # earlier folders overwrite later ones
            found: dict[str, dict[str, Path]] = {}
            for path in sorted(folder.glob("*.pt")) if folder.is_dir() else []:
                name, _, model = path.stem.rpartition(".")
                if name and model in ARCHITECTURES:
                    found.setdefault(name, {})[model] = path
            for name in found:
                self._slots.pop(name, None)
            for pack in sorted(folder.glob("*.pack.json")) if folder.is_dir() else []:
                network, styles = read_pack(pack)
                for name, entry in styles.items():
                    if PACK_MODEL in found.get(name, {}):  # a trained NAME.multistyle.pt beats the pack's slot
                        continue
                    found.setdefault(name, {})[PACK_MODEL] = network
                    self._slots[name] = entry.pop("slot")
                    self._slot_meta[name] = entry
            self._files.update(found)

    def names(self) -> list[str]:
        return sorted(self._files)

    def models(self, name: str) -> list[str]:
        return sorted(self._files.get(name, {}))

    def home(self, name: str) -> Path:
        """The folder a style name's networks are in."""
        return next(iter(self._files[name].values())).parent

    def searched(self) -> str:
        return " or ".join(str(folder) for folder in self.folders)

    def resolve(self, name_or_path: str, model: str) -> StyleRef:
        """The checkpoint for a style name or a path to a checkpoint file. A style without the asked
        model falls back to its lite network, then to the others (a style trained only as lite still
        runs where auto asks for fast)."""
        if name_or_path in self._files:
            files = self._files[name_or_path]
            chosen = next(v for v in (model, *MODELS) if v in files)
            slots = (self._slots[name_or_path],) if chosen == PACK_MODEL and name_or_path in self._slots else ()
            return StyleRef(name_or_path, files[chosen], "network", chosen, slots=slots)
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
            return self._pack_mix(name_or_path)
        if path.suffix.lower() in CHECKPOINT_SUFFIXES or os.sep in name_or_path or path.exists():
            check_file(path, "style checkpoint")
            if path.suffix.lower() not in CHECKPOINT_SUFFIXES:
                raise UserError(f"--style {path}: a {path.suffix or 'suffix-less'} file is not a style; {STYLE_KINDS}")
            return StyleRef(path.stem, path, "exported" if path.suffix == ".ts" else "network")
        raise UserError(self._unknown_message(name_or_path))

    def _pack_mix(self, names: str) -> StyleRef:
        """Two styles of one pack, mixed in their norm parameters (--mix)."""
        parts = [part.strip() for part in names.split(",")]
        packs = {self._files[part][PACK_MODEL] for part in parts if part in self._slots}
        if len(parts) != 2 or len(packs) != 1 or not all(part in self._slots for part in parts):
            raise UserError(f"{names!r}: only two pictures (--style a.jpg,b.jpg --mix 0.3) or two styles of one "
                            f"pack ({', '.join(self.pack_names()[:3])}, ...; --list-styles) can be mixed")
        return StyleRef(" + ".join(parts), packs.pop(), "network", PACK_MODEL,
                        slots=tuple(self._slots[part] for part in parts))

    def slot_meta(self, name: str) -> dict:
        """What a pack says of one of its styles (the painting it shows), merged into the network's metadata."""
        return dict(self._slot_meta.get(name, {}))

    def pack_names(self) -> list[str]:
        """The styles that are slots of a pack, which blend smoothly into each other."""
        return sorted(self._slots)

    def packs(self) -> dict[str, Path]:
        """Each pack style's name -> its pack's file: two styles of one pack mix (--mix, the remote)."""
        return {name: self._files[name][PACK_MODEL] for name in self._slots}

    def _unknown_message(self, name: str) -> str:
        if not self._files:
            return f"unknown style {name!r}: no styles in {self.searched()}; train one with 'realtime train' or pass a checkpoint path"
        close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.4)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown style {name!r}; {hint}available: {', '.join(self.names())}"


def read_pack(path: Path) -> tuple[Path, dict[str, dict]]:
    """A style pack's network file and its named slots: {name: {"slot": N, and what else it says of the style}}."""
    try:
        pack = json.loads(path.read_text())
        entries = {str(name): entry if isinstance(entry, dict) else {"slot": entry}
                   for name, entry in pack["styles"].items()}
        styles = {name: {**entry, "slot": int(entry["slot"])} for name, entry in entries.items()}
        network = path.parent / pack["network"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"{path} is not a style pack ({exc.__class__.__name__}): it needs \"network\" (a .pack.pt "
                        "file beside it) and \"styles\" ({name: slot}); fix or remove it") from None
    return network, styles


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
