"""Styles loaded once and shared between threads: the window's thread loads a style before it
switches to it, the engine's thread runs it. Loading happens on the engine's CUDA stream, so a
style's weights are on the device before that stream runs it."""
from __future__ import annotations

import json
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch

from realtime.errors import UserError
from realtime.styles.adain import adain_style
from realtime.styles.arbitrary import arbitrary_style
from realtime.styles.checkpoint import load_style
from realtime.styles.packs import load_pack_style
from realtime.styles.registry import StyleRef, StyleRegistry

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class PictureStyles:
    """How styles that are no one trained network are made: a picture given as the style, painted by
    picture_model (magenta or adain: settings.PICTURE_MODELS), and the second style's share where a style
    mixes two pictures or two styles of a pack (--mix)."""
    mix: float = 0.5
    picture_model: str = "magenta"


@dataclass
class LoadedStyle:
    ref: StyleRef
    module: torch.jit.ScriptModule | torch.nn.Module  # eager only when benchmarking against TorchScript
    dtype: torch.dtype  # what the module computes in
    meta: dict = field(default_factory=dict)
    # A style of a pack: the weights of the pack's slots, which the engine sets on the pack's shared network
    # for each frame (faded from the last style of the pack, engine/style_fade.py); None for other styles.
    mix: tuple[float, ...] | None = None

    @property
    def strength_in_features(self) -> bool:
        """AdaIN takes the strength as its alpha (a blend of features); trained networks blend pixels."""
        return self.meta.get("strength") == "features"


class StyleCache:
    """Name -> LoadedStyle, each loaded once: frozen TorchScript on the device in the engine's precision.

    Safe from any thread. A style already loaded is returned at once, even while another one loads,
    so the engine thread never waits for a style it is not about to run."""

    def __init__(self, registry: StyleRegistry, device: torch.device, model: str, dtype: torch.dtype,
                 cuda_stream: torch.cuda.Stream | None = None, torchscript: bool = True,
                 pictures: PictureStyles = PictureStyles()):
        self.registry, self.device, self.model, self.dtype = registry, device, model, dtype
        self.cuda_stream, self.torchscript = cuda_stream, torchscript
        self.pictures = pictures
        self._styles: dict[str, LoadedStyle] = {}
        self._packs: dict[object, torch.nn.Module] = {}  # a pack's network, shared by its styles (not frozen)
        self._lock = threading.Lock()  # guards _styles
        self._loading = threading.Lock()  # one load at a time

    def get(self, name: str) -> LoadedStyle:
        with self._lock:
            style = self._styles.get(name)
        if style is not None:
            return style
        with self._loading:
            with self._lock:
                style = self._styles.get(name)
            if style is None:
                style = self._load(name)
                with self._lock:
                    self._styles[name] = style
        return style

    def _load(self, name: str) -> LoadedStyle:
        ref = self.registry.resolve(name, self.model)
        with torch.cuda.stream(self.cuda_stream) if self.cuda_stream is not None else nullcontext():
            if ref.kind == "picture":
                make = adain_style if self.pictures.picture_model == "adain" else arbitrary_style
                style = self._prepare(ref, *make(ref.pictures, self.pictures.mix))
            elif ref.kind == "exported":
                style = self._load_exported(ref)
            elif ref.slots:  # a style of a pack, or two mixed in the norms (exact: Dumoulin et al.)
                style = self._pack_style(ref)
            else:
                style = self._prepare(ref, *load_style(ref.path))
        return style

    def _prepare(self, ref: StyleRef, net: torch.nn.Module, meta: dict, freeze: bool = True) -> LoadedStyle:
        """A style network on the device in the engine's precision, in TorchScript (frozen, unless its
        conditional norms' weights must stay settable)."""
        # Channels-last on every device: convolutions skip their layout conversions, and the
        # networks' instance norm has a channels-last kernel (model/transformer.py): 2x on a CPU.
        net = net.to(self.device, self.dtype).to(memory_format=torch.channels_last)
        if not self.torchscript:
            return LoadedStyle(ref, net, self.dtype, meta)
        with torch.no_grad():
            module = torch.jit.script(net)
            module = torch.jit.freeze(module) if freeze else module.eval()
        return LoadedStyle(ref, module, self.dtype, meta)

    def _pack_style(self, ref: StyleRef) -> LoadedStyle:
        """A style of a pack: the pack's one network (loaded once) and the style's weights of its slots."""
        net, meta = load_pack_style(ref, self.registry, self.pictures.mix)
        mix = tuple(net.norms()[0].mix.tolist())
        if ref.path not in self._packs:
            self._packs[ref.path] = self._prepare(ref, net, meta, freeze=False).module
        return LoadedStyle(ref, self._packs[ref.path], self.dtype, meta, mix)

    def _load_exported(self, ref: StyleRef) -> LoadedStyle:
        extra = {"meta.json": "", "dtype": ""}  # torch fills in the files' bytes
        try:
            module = torch.jit.load(str(ref.path), map_location=self.device, _extra_files=extra)
            meta = json.loads(extra["meta.json"] or "{}")
            half = extra["dtype"] in (b"float16", "float16")
        # torch's message for a damaged file may quote bytes that are not UTF-8 (a ValueError)
        except (RuntimeError, ValueError) as exc:
            text = str(exc).strip()
            # The first sentence; not the zip reader's paragraph on miniz and corrupted checkpoints.
            reason = "not an archive torch.jit.save wrote" if "zip archive" in text else text.splitlines()[0].split(". ")[0]
            raise UserError(f"cannot load TorchScript file {ref.path}: {reason}; make one with `realtime export` "
                            "or torch.jit.save") from exc
        if not isinstance(meta, dict):
            raise UserError(f"cannot load TorchScript file {ref.path}: its meta.json is not a JSON object")
        return LoadedStyle(ref, module, torch.float16 if half else torch.float32, meta)

    def check(self, name: str) -> LoadedStyle:
        """Load a style up front, so a bad name or file fails in one line before any window opens."""
        try:
            return self.get(name)
        except UserError:
            raise
        except RuntimeError as exc:
            raise UserError(f"style {name!r} failed to load on {self.device}: {str(exc).splitlines()[0]}") from exc
