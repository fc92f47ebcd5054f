"""The inference engine: stylizes and composites frames on the chosen device.

Everything after the upload happens on the device: uint8 -> float, BGR -> RGB,
mirroring, the resize to the inference size (`--inference-size`), the style network (TorchScript,
frozen, channels_last; fp16 on CUDA, bf16 on CPUs with native bf16), the
way back to the frame's size (`--upsample`), the blend with the original (strength), the person mask and
person/background compositing, and the split-screen compare. On CUDA the work runs on a
dedicated stream from pinned host buffers with non-blocking copies, and submit()
returns before the frame is done, so the next frame's upload overlaps this one.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from realtime.engine.composite import BackgroundLayer, compose, cut_out, opaque, with_colors_of
from realtime.engine.cpu_share import CpuShare
from realtime.engine.device import fast_cpu_bfloat16
from realtime.engine.person_light import dimness, with_rim_light
from realtime.engine.segmenters import Segmenter, SegmenterChoice, open_segmenter
from realtime.engine.sizes import MIN_INFERENCE_PIXELS, network_size
from realtime.engine.stabilizer import Stabilizer
from realtime.engine.stream_state import StreamState
from realtime.engine.style_cache import PRECISIONS, LoadedStyle, PictureStyles, StyleCache
from realtime.engine.style_fade import set_pack_mix
from realtime.engine.upsample import upsample
from realtime.errors import UserError
from realtime.io.alpha import with_alpha
from realtime.look import Look, MaskSettings
from realtime.settings import DEFAULT_SEGMENTER, DEFAULT_UPSAMPLE
from realtime.styles.registry import StyleRegistry

log = logging.getLogger("realtime")


# CUDA raises OutOfMemoryError; on the CPU, PyTorch's allocator raises "can't allocate memory", and
# oneDNN reports a failed allocation while it builds a convolution for a new size only as
# "could not create a primitive" (the same sizes' primitives had been built before with less memory).
CPU_OUT_OF_MEMORY_MESSAGES = ("can't allocate memory", "could not create a primitive")


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and any(text in str(exc) for text in CPU_OUT_OF_MEMORY_MESSAGES))


class PendingResult:
    """A frame in flight; wait() returns it as H x W x 3 uint8 BGR (x 4 BGRA for a cut-out, or a frame
    that came with alpha: `alpha`, given back as it was, mirrored with the frame)."""

    def __init__(self, host: torch.Tensor, event: torch.cuda.Event | None, alpha: np.ndarray | None = None):
        self._host, self._event, self.alpha = host, event, alpha

    def wait(self) -> np.ndarray:
        if self._event is None:
            out = self._host.numpy()  # a CPU frame's own buffer
        else:
            self._event.synchronize()
            out = self._host.numpy().copy()  # the pinned buffer is reused two frames later
        return out if self.alpha is None else with_alpha(out, self.alpha)


@dataclass(frozen=True)
class Sizes:
    """The sizes an engine works at: each frame's output (--size; None: the frame's own), about the style
    network's pixels (--inference-size, resolved: engine/sizes.py; None: the output's; out of memory lowers
    it), and how the network's output gets back to the output's size (--upsample)."""
    output: tuple[int, int] | None = None
    inference: tuple[int, int] | None = None
    upsample: str = DEFAULT_UPSAMPLE


@dataclass(frozen=True)
class Masking:
    """How the person is found: the segmenter (--segmenter: a shipped name or a checkpoint) and how its mask
    is cut and steadied (--mask-*)."""
    segmenter: str | Path = DEFAULT_SEGMENTER
    settings: MaskSettings = field(default_factory=MaskSettings)


class StyleEngine:
    """Frames stylized by the `model` networks (a row of model/architectures.py's ARCHITECTURES) of the
    registry's styles. `live`: a live stream, whose stabilizer finds the flow faster, less finely."""

    def __init__(self, registry: StyleRegistry, device: torch.device, model: str, *, precision: str = "auto",
                 sizes: Sizes = Sizes(), pictures: PictureStyles = PictureStyles(), masking: Masking | None = None,
                 torchscript: bool = True, live: bool = False):
        self.registry, self.device, self.model = registry, device, model
        self.live = live  # a live stream's stabilizer finds the flow faster, less finely (stabilizer.py)
        self.upsample_mode = sizes.upsample  # how the network's output gets back to the frame's size
        self.output_size = sizes.output
        # The style network runs at about this many pixels (in the frame's aspect) and is
        # upsampled; None: at the processing size. Out of memory lowers it.
        self.max_inference_pixels = sizes.inference[0] * sizes.inference[1] if sizes.inference else None
        # Pixels (and the segmenter) are handled in fp16 on a GPU and fp32 on a CPU. The style
        # network runs in bf16 on CPUs that compute it natively: 3x faster there, same look.
        self.dtype = torch.float16 if device.type == "cuda" else torch.float32
        self.net_dtype = PRECISIONS[precision] if precision != "auto" else (
            torch.bfloat16 if device.type == "cpu" and fast_cpu_bfloat16() else self.dtype)
        self.torchscript = torchscript
        self.cuda_stream = torch.cuda.Stream(device) if device.type == "cuda" else None
        # On a CPU in a process tuned by tune_for_realtime(): as many torch threads as other programs
        # leave cores free (cpu_share.py). Otherwise the process's thread counts are left as they are.
        self.cpu_share = CpuShare.shared() if device.type == "cpu" else None
        self.styles = StyleCache(registry, device, model, self.net_dtype, self.cuda_stream, torchscript, pictures)
        self.stage_times: dict[str, list[float]] | None = None  # while profiling(): each stage's times
        masking = masking or Masking()  # its MaskSettings, the engine's own
        self.mask_settings = masking.settings
        self.backgrounds = BackgroundLayer()
        self.segmenter_choice = masking.segmenter  # --segmenter: a shipped name or a checkpoint
        self._segmenter: SegmenterChoice | None = None  # opened when a frame first needs a mask

    def new_stream(self) -> StreamState:
        """The memory of a new stream of frames, passed with each of its frames to submit() or process()."""
        return StreamState(Stabilizer(self.live))

    def style(self, name: str) -> LoadedStyle:
        """A style, loaded once (on any thread) into the engine's cache."""
        return self.styles.get(name)

    def crossfade_key(self, name: str) -> str:
        """What a window compares to start a crossfade of pictures: the style, or for a style of a pack the
        pack, whose changes the engine fades itself in the norm parameters."""
        style = self.style(name)
        return str(style.ref.path) if style.mix is not None else name

    def segmenter(self, width: int, height: int) -> Segmenter:
        if self._segmenter is None:
            self._segmenter = open_segmenter(self.segmenter_choice, self.device, self.dtype, self.torchscript)
        return self._segmenter.for_frame(width, height)

    def inference_size(self, width: int, height: int, stroke_scale: float = 1.0) -> tuple[int, int]:
        return network_size(width, height, self.max_inference_pixels, stroke_scale)

    def processing_size(self, image: np.ndarray) -> tuple[int, int]:
        return self.output_size or (image.shape[1], image.shape[0])

    def process(self, image: np.ndarray, look: Look, stream: StreamState | None = None) -> np.ndarray:
        return self.submit(image, look, stream).wait()

    def submit(self, image: np.ndarray, look: Look, stream: StreamState | None = None) -> PendingResult:
        """Start stylizing one H x W x 3 uint8 BGR frame of `stream` (None: a picture on its own, with no
        frame before it), or x 4 BGRA, whose alpha comes back with the result; out of memory, go on at a
        smaller size."""
        alpha = None
        if image.shape[2] == 4:
            image, alpha = image[..., :3], image[..., 3]
            alpha = cv2.flip(alpha, 1) if look.mirror else alpha
        stream = stream or self.new_stream()
        # The pinned buffers of the stream's frame still in flight must survive a retry: one slot per frame.
        stream.slot = 1 - stream.slot
        if self.cpu_share is not None:
            self.cpu_share.update()
        width, height = self.processing_size(image)
        first_size = self.inference_size(width, height, look.stroke_scale)
        while True:
            try:
                pending = self._submit(image, look, stream)
                break
            except (torch.OutOfMemoryError, RuntimeError) as exc:
                if not is_out_of_memory(exc):
                    raise
                self._shrink_after_out_of_memory(width, height, first_size, look.stroke_scale)
        new_size = self.inference_size(width, height, look.stroke_scale)
        if new_size != first_size:  # one line however many halvings it took
            log.warning("%s ran out of memory at %dx%d; processing at %dx%d from now on", self.device, *first_size, *new_size)
        pending.alpha = alpha
        return pending

    def _shrink_after_out_of_memory(self, width: int, height: int, first_size: tuple[int, int],
                                    stroke_scale: float) -> None:
        old_w, old_h = self.inference_size(width, height, stroke_scale)
        if old_w * old_h <= MIN_INFERENCE_PIXELS:
            raise UserError(f"{self.device} ran out of memory at {first_size[0]}x{first_size[1]} and still at "
                            f"{old_w}x{old_h}; close other programs using it, or choose a smaller --size")
        self.max_inference_pixels = round(old_w * old_h * stroke_scale ** 2) // 2
        if self.device.type == "cuda":
            torch.cuda.empty_cache()

    def _submit(self, image: np.ndarray, look: Look, stream: StreamState) -> PendingResult:
        style = self.style(look.style)
        frame = torch.from_numpy(np.ascontiguousarray(image))
        if self.cuda_stream is None:
            with torch.inference_mode():
                out = self._composite(frame, look, style, stream)
                with self._stage("download"):
                    return PendingResult(out.cpu(), None)
        pinned_in = self._pinned_buffer(stream.pinned_in, stream.slot, frame.shape)
        pinned_in.copy_(frame)
        width, height = self.processing_size(image)
        pinned_out = self._pinned_buffer(stream.pinned_out, stream.slot, (height, width, 4 if look.cuts_out else 3))
        with torch.cuda.stream(self.cuda_stream), torch.inference_mode():
            out = self._composite(pinned_in, look, style, stream)
            with self._stage("download"):
                pinned_out.copy_(out, non_blocking=True)
            event = torch.cuda.Event()
            event.record(self.cuda_stream)
        return PendingResult(pinned_out, event)

    @staticmethod
    def _pinned_buffer(buffers: list[torch.Tensor | None], slot: int, shape) -> torch.Tensor:
        buffer = buffers[slot]
        if buffer is None or tuple(buffer.shape) != tuple(shape):
            buffer = buffers[slot] = torch.empty(tuple(shape), dtype=torch.uint8, pin_memory=True)
        return buffer

    @contextmanager
    def profiling(self) -> Iterator[dict[str, list[float]]]:
        """Time every stage of the frames processed inside (waiting for the device after each, so slower)."""
        self.stage_times = {}
        try:
            yield self.stage_times
        finally:
            self.stage_times = None

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        """Time a stage when profiling (waiting for the device, so only in benchmarks)."""
        if self.stage_times is None:
            yield
            return
        if self.cuda_stream is not None:
            self.cuda_stream.synchronize()
        start = time.perf_counter()
        yield
        if self.cuda_stream is not None:
            self.cuda_stream.synchronize()
        self.stage_times.setdefault(name, []).append(time.perf_counter() - start)

    def _composite(self, frame: torch.Tensor, look: Look, style: LoadedStyle, stream: StreamState) -> torch.Tensor:
        """uint8 H x W x 3 BGR on the host -> uint8 h x w x 3 BGR on the device, at the processing size
        (x 4 BGRA when the look cuts the person out)."""
        stabilizer = stream.stabilizer
        height, width = frame.shape[:2]
        out_w, out_h = self.output_size or (width, height)
        inf_w, inf_h = self.inference_size(out_w, out_h, look.stroke_scale)
        with self._stage("upload"):
            motion = stabilizer.motion(frame.numpy(), look.mirror) if look.stabilize > 0 else None
            original = self._to_rgb(frame, look.mirror).permute(2, 0, 1).unsqueeze(0).to(self.dtype).div_(255.0)
            if (out_h, out_w) != (height, width):
                original = F.interpolate(original, size=(out_h, out_w), mode="bilinear", antialias=True, align_corners=False)
            small = original
            if (inf_h, inf_w) != (out_h, out_w):
                small = F.interpolate(original, size=(inf_h, inf_w), mode="bilinear", antialias=True, align_corners=False)
            small = small.contiguous(memory_format=torch.channels_last)  # as the networks' weights (style_cache.py)
        alpha = None
        rim_light = look.person_light * dimness(small) if look.person_light > 0 and not look.show_mask else 0.0
        if look.needs_mask or rim_light > 0:
            with self._stage("segmentation"):
                alpha, stream.mask = self.segmenter(out_w, out_h).alpha(original, self.mask_settings, stream.mask)
                alpha = alpha.to(self.dtype)
        strength = float(np.clip(look.strength, 0.0, 1.0))
        with self._stage("style"):
            if style.mix is not None:  # a pack's style, faded in from the last style of the pack (style_fade.py)
                set_pack_mix(style.module, stream.fade.weights(style.module, style.mix))
            styled = self._run_style(style, small, strength)
            if style.strength_in_features:
                strength = 1.0
            if motion is not None:  # steadied by the last frame, along the motion (stabilizer.py)
                styled = stabilizer(motion, small, styled, look.stabilize, style)
            else:
                stabilizer.reset()
        with self._stage("composite"):
            if styled.shape[-2:] != original.shape[-2:]:
                styled = upsample(self.upsample_mode, styled, small, original)
            styled = styled.to(self.dtype)
            if look.keep_colors:
                styled = with_colors_of(original, styled)
            # Nothing below writes into out: it may be the stabilizer's last output.
            out = styled if strength == 1.0 else torch.lerp(original, styled, strength)
            if alpha is not None and look.show_mask:
                out = original * 0.25 + alpha * 0.75  # the mask, over a dimmed frame for orientation
            elif alpha is not None and look.cuts_out:
                out = cut_out(original, out, alpha, look.stylize)
            elif alpha is not None and look.needs_mask:
                out = compose(original, out, alpha, look.stylize, self.backgrounds.render(look.background, original, alpha))
            if rim_light > 0:  # a dim room: the person's outline lit, so it reads against the room (person_light.py)
                out = torch.cat([with_rim_light(out[:, :3], alpha, rim_light), out[:, 3:]], dim=1)
            if look.compare:
                left = original if out.shape[1] == 3 else opaque(original)
                out = torch.cat([left[..., : out_w // 2], out[..., out_w // 2:]], dim=-1)
            return self._to_bgr(out.clamp(0, 1).mul_(255).round_().to(torch.uint8)[0].permute(1, 2, 0))

    @staticmethod
    def _run_style(style: LoadedStyle, small: torch.Tensor, strength: float) -> torch.Tensor:
        """The style network on the frame; a TorchScript file of the user's that fails on it, or returns
        something else than a picture, is one line (out of memory is left to submit(), which shrinks)."""
        try:
            if style.strength_in_features:
                return style.module(small.to(style.dtype), strength)
            styled = style.module(small.to(style.dtype))
        except RuntimeError as exc:
            if is_out_of_memory(exc) or style.ref.kind != "exported":
                raise
            reason = str(exc).strip().splitlines()[-1]  # TorchScript's own traceback comes first
            raise UserError(f"the style model {style.ref.path} failed on a {small.shape[-1]}x{small.shape[-2]} "
                            f"frame ({reason}); it must take and return a 1x3xHxW RGB tensor in 0..1") from None
        if style.ref.kind == "exported" and (styled.ndim != 4 or styled.shape[:2] != (1, 3)):
            raise UserError(f"the style model {style.ref.path} returned a tensor of shape {tuple(styled.shape)}; "
                            "it must take and return a 1x3xHxW RGB tensor in 0..1")
        return styled

    def _to_rgb(self, frame: torch.Tensor, mirror: bool) -> torch.Tensor:
        """uint8 H x W x 3 BGR on the host -> RGB on the device, mirrored if asked. On uint8, before the
        conversion to floats; on a CPU with OpenCV, 10x faster there than torch.flip."""
        if self.device.type == "cpu":
            rgb = cv2.cvtColor(frame.numpy(), cv2.COLOR_BGR2RGB)
            return torch.from_numpy(cv2.flip(rgb, 1) if mirror else rgb)
        rgb = frame.to(self.device, non_blocking=True).flip(2)
        return rgb.flip(1) if mirror else rgb

    def _to_bgr(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 H x W x 3 RGB -> BGR (x 4 RGBA -> BGRA), contiguous."""
        if self.device.type == "cpu":
            code = cv2.COLOR_RGB2BGR if rgb.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
            return torch.from_numpy(cv2.cvtColor(rgb.contiguous().numpy(), code))
        return torch.cat([rgb[..., :3].flip(2), rgb[..., 3:]], dim=2).contiguous()


