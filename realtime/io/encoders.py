"""The encoders this machine has, and the checks on --codec, --preset and --crf before any work."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

from realtime.errors import UserError
from realtime.io.outputs import CODECS, CONTAINERS, RecordingOptions, check_quality
from realtime.io.quiet import silenced_stderr


def open_encoder(encoder: str, options: dict[str, str]) -> None:
    """Open encoder on a small test picture (256x256: above NVENC's smallest size); raises what it raises."""
    context = av.CodecContext.create(encoder, "w")
    context.width, context.height, context.pix_fmt = 256, 256, "yuv420p"
    context.time_base = Fraction(1, 30)
    context.options = options
    with silenced_stderr():  # x264 prints its own complaint, which would be a second line
        context.open()


def encoder_opens(encoder: str) -> bool:
    """Whether this machine can use the encoder at all (in PyAV's build, and its hardware there)."""
    try:
        open_encoder(encoder, {})
        return True
    except (av.error.FFmpegError, ValueError):
        return False


def check_encoder(path: Path, options: RecordingOptions) -> None:
    """Open the encoder once with the chosen --preset/--crf, so a bad value fails before any work."""
    name = options.codec or CONTAINERS[path.suffix.lower()]
    codec = CODECS[name]
    check_quality(name, options.quality)
    settings = codec.quality_setting(options.quality) | ({"preset": options.preset} if options.preset else {})
    try:
        open_encoder(codec.encoder, settings)
    except (av.error.FFmpegError, ValueError) as exc:
        raise UserError(encoder_refusal(path, name, options, exc)) from None


def encoder_refusal(path: Path, name: str, options: RecordingOptions, exc: Exception) -> str:
    """Why the encoder did not open, and what to do: an encoder this machine lacks is not a bad --preset."""
    encoder, default = CODECS[name].encoder, CONTAINERS[path.suffix.lower()]
    if not encoder_opens(encoder):
        needs = " (it needs an NVIDIA GPU with a video encoder, and its driver)" if "nvenc" in encoder else ""
        return (f"the {encoder} encoder is not available on this machine{needs}; use --codec {default} "
                f"({CODECS[default].encoder}), the default for {path.suffix.lower()}")
    given = " ".join(f"--{option} {value}" for option, value in (("preset", options.preset), ("crf", options.quality))
                     if value is not None) or "its default settings"
    reason = getattr(exc, "strerror", None) or exc.__class__.__name__  # never empty
    return f"the {encoder} encoder rejects {given} ({reason}); use a preset that encoder knows"


def nvenc_available() -> bool:
    """Whether NVIDIA's hardware H.264 encoder opens here (it needs a GPU and its driver)."""
    return encoder_opens("h264_nvenc")
