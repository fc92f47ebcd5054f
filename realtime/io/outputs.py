"""Where results go: codecs and containers, and the checks on an output path made before any work
starts. Plain data, no PyAV or torch: the command line uses it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from realtime.errors import UserError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}



@dataclass(frozen=True)
class Codec:
    encoder: str
    quality_option: str  # the encoder's constant-quality knob
    default_quality: int
    # The scale of --crf: the encoder's best to its worst; x264 takes any number and clamps it, so
    # --crf 999 would silently be its blockiest picture. nvenc's cq 0 and SVT-AV1's crf 0 mean "unset".
    quality_range: tuple[int, int]
    file_options: dict[str, str] = field(default_factory=dict)  # best quality for the time
    # Fast enough to keep up; no lookahead, so each frame is in the file as soon as it is encoded.
    live_options: dict[str, str] = field(default_factory=dict)

    def quality_setting(self, quality: int | None) -> dict[str, str]:
        """The encoder option for --crf; 0 is a quality too (lossless for x264), not "the default"."""
        return {self.quality_option: str(self.default_quality if quality is None else quality)}


CODECS = {
    "h264": Codec("libx264", "crf", 18, (0, 51), {"preset": "medium"}, {"preset": "veryfast", "tune": "zerolatency"}),
    # forced-idr: the writer's forced keyframes (a fragment every second) become IDR frames, not plain I frames.
    "h264_nvenc": Codec("h264_nvenc", "cq", 21, (1, 51), {"preset": "p5"}, {"preset": "p2", "forced-idr": "1"}),
    "hevc": Codec("libx265", "crf", 22, (0, 51), {"preset": "medium", "x265-params": "log-level=error"},
                  {"preset": "veryfast", "tune": "zerolatency", "forced-idr": "1", "x265-params": "log-level=error"}),
    # lag-in-frames=0: libvpx otherwise holds 25 frames back even at the realtime deadline.
    "vp9": Codec("libvpx-vp9", "crf", 31, (0, 63), {"b": "0", "row-mt": "1"},
                 {"b": "0", "row-mt": "1", "deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}),
    # pred-struct=1: low delay; SVT-AV1's default holds ~13 frames back (seconds, on a slow machine).
    "av1": Codec("libsvtav1", "crf", 30, (1, 63), {"preset": "8"}, {"preset": "12", "svtav1-params": "pred-struct=1"}),
}


CONTAINERS = {".mp4": "h264", ".mov": "h264", ".mkv": "h264", ".webm": "vp9"}  # extension -> default codec


WEBM_CODECS = ("vp9", "av1")

# What keeps a cut-out's alpha: these pictures, and these containers with the pixel format they get it in
# (.webm: VP9 with an alpha plane; .mov: ProRes 4444, the format editors take alpha in).
ALPHA_IMAGE_SUFFIXES = (".png", ".webp", ".tif", ".tiff")
ALPHA_VIDEO = {".webm": "yuva420p", ".mov": "yuva444p10le"}
PRORES_4444 = ("prores_ks", {"profile": "4444"})  # no --codec of its own: only a transparent .mov uses it


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def check_image_output(path: Path) -> None:
    if not is_image_path(path):
        raise UserError(f"image input needs an image output (.png or .jpg), not {path.name}")


def check_quality(codec: str, quality: int | None) -> None:
    """--crf on the codec's scale, before any work."""
    low, high = CODECS[codec].quality_range
    if quality is not None and not low <= quality <= high:
        raise UserError(f"--crf {quality} is outside {codec}'s range: use {low} (best) to {high} (smallest file); "
                        f"its default is {CODECS[codec].default_quality}")


def check_output_folder(path: Path, example: str) -> None:
    """An output goes into a folder that exists: a mistyped folder is refused, not made (every command
    that writes a file); example is a file name to suggest when path is a folder itself."""
    if path.is_dir():
        raise UserError(f"--output {path} is a folder; name a file in it, like {path / example}")
    if not path.parent.is_dir():
        raise UserError(f"output folder does not exist: {path.parent}; create it, or choose another --output")


def check_output_path(path: Path, codec: str | None = None, example: str = "styled.mp4") -> None:
    check_output_folder(path, example)
    suffix = path.suffix.lower()
    if not (is_image_path(path) or suffix in CONTAINERS):
        raise UserError(f"cannot write {path.name}: use one of {', '.join(sorted(CONTAINERS))} for video "
                        "or .png/.jpg for an image")
    if codec is not None and codec not in CODECS:
        raise UserError(f"unknown codec {codec!r}; use one of {', '.join(CODECS)}")
    if suffix == ".webm" and codec is not None and codec not in WEBM_CODECS:
        raise UserError(f"WebM holds only {' or '.join(WEBM_CODECS)}, not {codec}; use .mp4 or .mkv for {codec}")


def check_alpha_output(path: Path, options: RecordingOptions) -> None:
    """A cut-out (--background transparent) goes only where alpha is kept, before any work."""
    suffix = path.suffix.lower()
    if is_image_path(path) and suffix not in ALPHA_IMAGE_SUFFIXES:
        raise UserError(f"{path.name} cannot keep the transparent background; use .png or .webp")
    if not is_image_path(path) and suffix not in ALPHA_VIDEO:
        raise UserError(f"{suffix} video cannot keep the transparent background; use .webm (VP9 with alpha) "
                        "or .mov (ProRes 4444)")
    if suffix == ".webm" and options.codec not in (None, "vp9"):
        raise UserError(f"--codec {options.codec} has no alpha; a transparent .webm is VP9: drop --codec")
    given = [name for name, value in (("--codec", options.codec), ("--crf", options.quality),
                                      ("--preset", options.preset)) if value is not None]
    if suffix == ".mov" and given:
        raise UserError(f"a transparent .mov is ProRes 4444, which takes no {', '.join(given)}; drop it, or use .webm")


def check_writable(path: Path) -> None:
    """Fail before any work if the output cannot be created there (read-only or virtual folders)."""
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}; choose another --output") from None
    if not existed:
        path.unlink()


def partial_path(path: Path) -> Path:
    """NAME.partial.EXT: where a recording is written until it is finalized, when it must not take
    NAME.EXT before then (a file job, or an existing NAME.EXT that only a complete run replaces)."""
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def unused_path(path: Path) -> Path:
    """path, or path with -2, -3, ... before its suffix if that name is taken: never overwrite a recording."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


@dataclass
class RecordingOptions:
    codec: str | None = None  # None: from the file extension (and nvenc on a CUDA machine)
    quality: int | None = None  # crf/cq; None: the codec's default
    preset: str | None = None
    size: tuple[int, int] | None = None  # scale frames to this size before encoding
    fragmented: bool = True  # a playable piece on disk every second (fragment_options), so a kill -9 loses ~1 s

