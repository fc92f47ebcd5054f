"""Fuzzing the command line's promise (#16): whatever files `realtime run` is given, it either exits 0
with a valid output, or exits 2 with one line on stderr ("error: ...") and the user's files as they
were. Never exit 1, a traceback, a second line (from us, or from a C library writing straight to
file descriptor 2), or a crash.

The cases are drawn once from a seeded RNG, so every run tries the same ones, and each has an id
to rerun it alone: `python -m pytest tests/test_fuzz.py -k bytes-input-07`. They run in-process
(realtime.cli.main) under capfd, which also sees what OpenCV, libpng or FFmpeg print to fd 2.
Styles are the conftest's lite checkpoints, given by path. Besides `realtime run`'s files, pictures cut
short, folders, /dev/null, named pipes and pictures of extreme sizes go wherever the command line takes a
picture (run's input, style and background, paint's content and style): a picture cut short must not
exit 0, and a named pipe must be refused, never read.
"""
from __future__ import annotations

import os
import re
import shlex
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from conftest import (PAINT_SIZE, PICTURE_ROLES, pattern_frame, picture_argv, real_photo, run_cli, special_file,
                      write_clip)
from PIL import Image, UnidentifiedImageError

from realtime.cli import main

# The whole file takes 20 s or more on two cores (70-odd runs of the app, five of them in a new process).
pytestmark = pytest.mark.slow

DEFAULT_SEED = 16  # the number; REALTIME_FUZZ_SEED=N explores other cases
SEED = int(os.environ.get("REALTIME_FUZZ_SEED", DEFAULT_SEED))
IMAGE_EXTENSIONS = (".png", ".jpg", ".bmp", ".tiff", ".webp")
SIXTEEN_BIT_EXTENSIONS = (".png", ".tiff")  # the others are 8-bit only
IMAGE_OUTPUTS = ("out.png", "out.jpg", "out.webp", "out.bmp", "out.tif")
VIDEO_OUTPUTS = ("out.mp4", "out.mkv", "out.webm")
INPUT_NAMES = (".png", ".jpg", ".tiff", ".webp", ".mp4", ".mkv", ".webm")
CHECKPOINT_NAMES = (".pt", ".pth", ".ts")
CUT_FORMATS = (".jpg", ".png", ".webp")  # a real photo in each, cut short
SPECIAL_FILES = ("folder", "devnull", "pipe")
SPECIAL_SUFFIXES = ("", ".jpg", ".png", ".mp4", ".pt")  # what a folder or a pipe may be named
# Width x height: strips, a line, the smallest style picture and the thinnest one there is room for, dots.
EXTREME_SHAPES = ((20000, 20), (20, 20000), (4000, 1), (1, 4000), (1024, 32), (510, 17), (17, 17), (16, 16),
                  (8, 8), (1, 1))
# tqdm's progress bar (from "\r"s, so it splits into lines): shown before an error in a real run too.
PROGRESS_LINE = re.compile(r"^(stylizing \(.*\): .*frame.*)?$")
# What Python's default filters hide outside __main__; every other warning is printed in a real run.
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@dataclass
class Case:
    """One run: what kind of files it is given, and how build() makes them (params, and an RNG seed)."""
    name: str  # the pytest id: `-k NAME` runs it alone
    kind: str
    seed: int
    params: dict = field(default_factory=dict)


def _draw_cases() -> list:
    rng = np.random.default_rng(SEED)
    cases = []

    def add(kind: str, label: str, **params) -> None:
        number = sum(case.values[0].kind == kind for case in cases)
        name = f"{kind}-{number:02d}-{label}"
        cases.append(pytest.param(Case(name, kind, int(rng.integers(2**31)), params), id=name))

    # Valid small images of every shape, depth, channel count and format, as image input.
    for index in range(20):
        width, height = (int(v) for v in rng.integers(1, 49, size=2))
        if index % 5 == 0:
            width = 1  # a column
        elif index % 5 == 1:
            height = 1  # a row
        extension = str(rng.choice(IMAGE_EXTENSIONS))
        depth = 16 if extension in SIXTEEN_BIT_EXTENSIONS and rng.random() < 0.5 else 8
        channels = int(rng.choice([1, 3, 4]))
        output = str(rng.choice(IMAGE_OUTPUTS))
        add("image", f"{width}x{height}x{channels}-{depth}bit{extension}-to-{output}", width=width, height=height,
            channels=channels, depth=depth, extension=extension, output=output, style=str(rng.choice(["warm", "cool"])))

    # Bytes that are not what their name says, as --input: random, a valid file cut short, a valid
    # file with bytes overwritten.
    for index in range(22):
        extension = str(rng.choice(INPUT_NAMES))
        how = str(rng.choice(["random", "prefix", "mutated"]))
        source = str(rng.choice(["png", "jpg", "tiff", "mp4", "mkv", "pt"]))
        label = f"{how}-{source}" if how != "random" else "random"
        add("bytes-input", f"{label}-as{extension}", extension=extension, how=how, source=source)

    # What a download cut short or a bad disk leaves, under its own name.
    for how, source in (("prefix", "mp4"), ("mutated", "mp4"), ("prefix", "mkv"), ("mutated", "mkv"), ("mutated", "png")):
        add("bytes-input", f"{how}-{source}-as.{source}", extension=f".{source}", how=how, source=source)

    # Bytes named as checkpoints, as --style.
    for index in range(12):
        extension = str(rng.choice(CHECKPOINT_NAMES))
        how = str(rng.choice(["random", "prefix", "mutated"]))
        source = str(rng.choice(["pt", "ts"]))
        label = f"{how}-{source}" if how != "random" else "random"
        add("bytes-style", f"{label}-as{extension}", extension=extension, how=how, source=source)
    # Bytes named as pictures, as --style (a picture style is read before AdaIN's network loads).
    for extension in (".jpg", ".png"):
        add("bytes-style", f"random-as{extension}", extension=extension, how="random", source="png")
    # Whole valid checkpoints under the other kind's name.
    add("bytes-style", "whole-ts-as.pt", extension=".pt", how="whole", source="ts")
    add("bytes-style", "whole-pt-as.ts", extension=".ts", how="whole", source="pt")

    # Bytes named as pictures, as --background; and two tiny valid backgrounds.
    for index in range(4):
        extension = str(rng.choice([".png", ".jpg"]))
        how = str(rng.choice(["random", "prefix", "mutated"]))
        add("bytes-background", f"{how}-as{extension}", extension=extension, how=how, source="png")
    for width, height in ((1, 1), (3, 1)):
        add("background", f"{width}x{height}", width=width, height=height)

    # Tiny valid videos, file to file.
    videos = [(2, 2, 1, "libx264", ".mp4"), (4, 4, 3, "libx264", ".mp4"), (2, 6, 2, "libx264", ".mkv"),
              (6, 2, 2, "libvpx-vp9", ".webm"), (16, 8, 3, "libx264", ".mkv"), (1, 1, 1, "ffv1", ".mkv"),
              (3, 5, 2, "ffv1", ".mkv"), (5, 1, 2, "ffv1", ".mkv")]
    for width, height, frames, codec, extension in videos:
        output = str(rng.choice(VIDEO_OUTPUTS))
        add("video", f"{width}x{height}x{frames}-{codec}{extension}-to-{output}", width=width, height=height,
            frames=frames, codec=codec, extension=extension, output=output)

    # Wherever a picture goes: a real photo cut short, a folder, a device or a pipe, an extreme size.
    for role in PICTURE_ROLES:
        for extension in CUT_FORMATS:
            add("cut-picture", f"{role}{extension}", role=role, extension=extension)
    for role in PICTURE_ROLES:
        for special in SPECIAL_FILES:
            suffix = str(rng.choice(SPECIAL_SUFFIXES)) if special != "devnull" else ""
            add("special-file", f"{role}-{special}{suffix}", role=role, special=special, suffix=suffix)
    for role in PICTURE_ROLES:
        for _ in range(2):
            width, height = EXTREME_SHAPES[int(rng.integers(len(EXTREME_SHAPES)))]
            model = str(rng.choice(["magenta", "adain"])) if role == "style" else None
            add("extreme-picture", f"{role}-{width}x{height}{f'-{model}' if model else ''}", role=role,
                width=width, height=height, model=model)
    return cases


CASES = _draw_cases()


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The networks here run on a few pixels, where a second thread only waits for the first (and, on a
    busy machine, for a core); one thread keeps the file's time steady. Restored for the other files."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def seeds(style_dir, tmp_path_factory) -> dict[str, bytes]:
    """Valid files whose prefixes and mutations are fuzzed: images, two clips, two checkpoints."""
    from realtime.export import export_torchscript
    from realtime.styles.registry import StyleRegistry

    folder = tmp_path_factory.mktemp("seeds")
    photo = pattern_frame(0, 40, 24)
    images = {kind: cv2.imencode(f".{kind}", photo)[1].tobytes() for kind in ("png", "jpg", "tiff")}
    images |= {f"photo{extension}": cv2.imencode(extension, real_photo())[1].tobytes() for extension in CUT_FORMATS}
    write_clip(folder / "clip.mp4", 6, 32, 24, Fraction(25))
    write_clip(folder / "clip.mkv", 6, 32, 24, Fraction(25))
    export_torchscript(StyleRegistry(style_dir), "warm", "lite", folder / "warm.ts")
    return {**images, "mp4": (folder / "clip.mp4").read_bytes(), "mkv": (folder / "clip.mkv").read_bytes(),
            "pt": (style_dir / "warm.lite.pt").read_bytes(), "ts": (folder / "warm.ts").read_bytes()}


def fuzzed_bytes(rng: np.random.Generator, how: str, seed: bytes) -> bytes:
    if how == "random":
        size = int(rng.choice([0, 1, 8, int(rng.integers(2, 4096))]))
        return rng.bytes(size)
    if how == "whole":
        return seed
    if how == "prefix":
        return seed[: int(rng.integers(0, len(seed)))]
    data = bytearray(seed)  # "mutated": a few runs of bytes overwritten, the header left alone
    for _ in range(int(rng.integers(1, 6))):
        start = int(rng.integers(min(16, len(data) - 1), len(data)))
        chunk = rng.bytes(int(rng.integers(1, 64)))
        data[start: start + len(chunk)] = chunk
    return bytes(data[: len(seed)])


def random_image(rng: np.random.Generator, width: int, height: int, channels: int, depth: int) -> np.ndarray:
    dtype, top = (np.uint16, 65536) if depth == 16 else (np.uint8, 256)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, top, size=shape, dtype=dtype)


def tiny_video(path: Path, rng: np.random.Generator, width: int, height: int, frames: int, codec: str) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(10))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv444p" if codec == "ffv1" else "yuv420p"
        for _ in range(frames):
            image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode(None))


def build(case: Case, folder: Path, style_dir: Path, seeds: dict[str, bytes]) -> tuple[list[str], list[Path], Path]:
    """Create the case's files in `folder`; returns the arguments, the files given, and the output."""
    rng = np.random.default_rng(case.seed)
    p = case.params
    warm = style_dir / "warm.lite.pt"
    photo = folder / "photo.png"
    photo.write_bytes(seeds["png"])
    if case.kind == "image":
        source = folder / f"input{p['extension']}"
        assert cv2.imwrite(str(source), random_image(rng, p["width"], p["height"], p["channels"], p["depth"]))
        output = folder / p["output"]
        return ["--input", str(source), "--output", str(output), "--style", str(style_dir / f"{p['style']}.lite.pt")], \
            [source], output
    if case.kind == "bytes-input":
        source = folder / f"input{p['extension']}"
        source.write_bytes(fuzzed_bytes(rng, p["how"], seeds[p["source"]]))
        if p["extension"] in IMAGE_EXTENSIONS:
            output = folder / "out.png"
            return ["--input", str(source), "--output", str(output), "--style", str(warm)], [source], output
        output = folder / "out.mp4"
        return ["--input", str(source), "--output", str(output), "--no-display", "--style", str(warm)], [source], output
    if case.kind == "bytes-style":
        style = folder / f"style{p['extension']}"
        style.write_bytes(fuzzed_bytes(rng, p["how"], seeds[p["source"]]))
        output = folder / "out.png"
        return ["--input", str(photo), "--output", str(output), "--style", str(style)], [photo, style], output
    if case.kind in ("bytes-background", "background"):
        if case.kind == "background":
            background = folder / "background.png"
            cv2.imwrite(str(background), random_image(rng, p["width"], p["height"], 3, 8))
        else:
            background = folder / f"background{p['extension']}"
            background.write_bytes(fuzzed_bytes(rng, p["how"], seeds[p["source"]]))
        output = folder / "out.png"
        return ["--input", str(photo), "--output", str(output), "--style", str(warm), "--background", str(background)], \
            [photo, background], output
    if case.kind == "video":
        source = folder / f"input{p['extension']}"
        tiny_video(source, rng, p["width"], p["height"], p["frames"], p["codec"])
        output = folder / p["output"]
        return ["--input", str(source), "--output", str(output), "--no-display", "--style", str(warm)], [source], output
    if case.kind in ("cut-picture", "special-file", "extreme-picture"):
        return picture_case(case, folder, rng, photo, warm, seeds)
    raise AssertionError(f"unknown case kind {case.kind}")


def picture_case(case: Case, folder: Path, rng: np.random.Generator, photo: Path, warm: Path,
                 seeds: dict[str, bytes]) -> tuple[list[str], list[Path], Path]:
    """A picture cut short, a special file, or a picture of an extreme size, in its role."""
    p = case.params
    if case.kind == "cut-picture":
        picture = folder / f"picture{p['extension']}"
        picture.write_bytes(fuzzed_bytes(rng, "prefix", seeds[f"photo{p['extension']}"]))
    elif case.kind == "special-file":
        picture = special_file(p["special"], folder / f"special{p['suffix']}")
    else:
        picture = folder / "picture.png"
        assert cv2.imwrite(str(picture), random_image(rng, p["width"], p["height"], 3, 8))
    output = folder / "out.png"
    argv = picture_argv(p["role"], picture, photo, warm, output)
    if p.get("model"):
        argv += ["--picture-model", p["model"]]
    # The files the run reads, its source first (what the output is checked against); a special file is none.
    given = [picture, photo] if p["role"] in ("input", "paint-content") else [photo, picture]
    return argv, [path for path in given if path.is_file()], output


@contextmanager
def pipe_readers_released(argv: list[str]) -> Iterator[list[str]]:
    """A run that opens a named pipe it was given waits for a writer forever. Open the write end of each
    whenever someone reads it, so that run sees an empty file and ends (the case fails), not hangs."""
    pipes = [arg for arg in argv if Path(arg).is_fifo()]
    read: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.2):
            for pipe in pipes:
                try:  # without a reader this fails (ENXIO) at once
                    os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                except OSError:
                    continue
                read.append(pipe)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield read
    finally:
        stop.set()
        watcher.join()


def decodes_to_the_end(path: Path) -> bool:
    """Pillow's verdict on a picture it knows: every pixel decodes (OpenCV hands back a JPEG cut short as
    its first rows over grey). What it does not know is left to OpenCV."""
    try:
        with Image.open(path) as picture:
            picture.load()
    except UnidentifiedImageError:
        return True
    except Exception:  # noqa: BLE001 - any decoder error is a picture that does not decode
        return False
    return True


def valid_output(output: Path, given: list[Path], painted: bool = False) -> str | None:
    """None when `output` holds a whole result for the input (for `paint`, at PAINT_SIZE); else what is wrong."""
    if not output.is_file():
        return f"exit 0 but no {output.name}"
    if not given:
        return "exit 0 with no input file"
    damaged = [path.name for path in given if path.suffix in IMAGE_EXTENSIONS and not decodes_to_the_end(path)]
    if damaged:
        return f"exit 0, but {', '.join(damaged)} does not decode to the end"
    source = given[0]
    if output.suffix in (".mp4", ".mkv", ".webm"):
        capture = cv2.VideoCapture(str(source))  # what the app reads the input with (a lone JPEG, too)
        read, first = capture.read()
        capture.release()
        if not read:
            return f"exit 0, but OpenCV reads no frame of {source.name}"
        width, height = first.shape[1], first.shape[0]
        expected = {(width, height), (width + width % 2, height + height % 2)}  # H.264 wants even sizes
        try:
            with av.open(str(output)) as container:
                frames = [frame for frame in container.decode(video=0)]
        except (av.error.FFmpegError, IndexError) as exc:
            return f"{output.name} does not decode: {exc!r}"
        if not frames:
            return f"{output.name} holds no frames"
        if (frames[0].width, frames[0].height) not in expected:
            return f"{output.name} is {frames[0].width}x{frames[0].height}, expected one of {expected}"
        return None
    image = cv2.imread(str(output), cv2.IMREAD_UNCHANGED)
    if image is None:
        return f"{output.name} does not decode"
    expected = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if expected is None:
        return None
    (height, width), (source_height, source_width) = image.shape[:2], expected.shape[:2]
    if painted and (max(height, width) != PAINT_SIZE or (width >= height) != (source_width >= source_height)):
        return f"{output.name} is {width}x{height}, not the {source_width}x{source_height} input at {PAINT_SIZE}"
    if not painted and (height, width) != (source_height, source_width):
        return f"{output.name} is {width}x{height}, the input {source_width}x{source_height}"
    return None


def check_outcome(case: Case, argv: list[str], given: dict[Path, bytes], output: Path, code: int | None,
                  stderr: str, stdout: str = "", raised: BaseException | None = None) -> None:
    """Exit 0 with a valid output, or exit 2 with one line and the given files as they were."""
    report = (f"\nrerun: python -m pytest tests/test_fuzz.py -k {case.name}\nrealtime {shlex.join(argv)}\n"
              f"case: {case.params} (seed {case.seed})\nexit: {code}{f', raised {raised!r}' if raised else ''}"
              f"\nstderr:\n{stderr}")
    assert raised is None, report
    assert "Traceback" not in stderr + stdout, report
    for path, content in given.items():
        assert path.read_bytes() == content, f"{path.name} changed{report}"
    if code == 0:
        problem = valid_output(output, list(given), painted=argv[0] == "paint")
        assert problem is None, f"{problem}{report}"
        return
    assert code == 2, report
    lines = [line for line in stderr.splitlines() if not PROGRESS_LINE.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0] != "error: ", report


@pytest.mark.parametrize("case", CASES)
def test_exit_0_with_a_valid_output_or_exit_2_with_one_line(case, style_dir, seeds, tmp_path, capfd):
    argv, files, output = build(case, tmp_path, style_dir, seeds)
    given = {path: path.read_bytes() for path in files}
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught, pipe_readers_released(argv) as pipes_read:
        warnings.simplefilter("always")
        try:
            code, raised = main(argv), None
        except BaseException as exc:  # noqa: BLE001 - a crash is a finding, reported with the arguments
            code, raised = None, exc
    captured = capfd.readouterr()
    assert not pipes_read, f"read the named pipe {pipes_read[0]} instead of refusing it: realtime {shlex.join(argv)}"
    # pytest collects the warnings that a real run prints to stderr: put them back where they would be.
    shown = [w for w in caught if not issubclass(w.category, HIDDEN_WARNINGS)]
    stderr = "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in shown) + captured.err
    check_outcome(case, argv, given, output, code, stderr, captured.out, raised)


# A few cases again as the user runs them, in a fresh process: what the in-process runs cannot show
# (the environment OpenCV reads when it loads, warnings printed at exit, a crash of the interpreter).
FRESH_PROCESS_CASES = ("bytes-input-22-prefix-mp4-as.mp4", "bytes-input-26-mutated-png-as.png",
                       "bytes-style-14-whole-ts-as.pt", "bytes-background-00-mutated-as.png",
                       "video-01-4x4x3-libx264.mp4-to-out.mkv")


@pytest.mark.parametrize("case", [case for case in CASES if case.id in FRESH_PROCESS_CASES])
def test_the_same_in_a_fresh_process(case, style_dir, seeds, tmp_path):
    argv, files, output = build(case, tmp_path, style_dir, seeds)
    given = {path: path.read_bytes() for path in files}
    result = run_cli(*argv, timeout=300)
    check_outcome(case, argv, given, output, result.returncode, result.stderr, result.stdout)


@pytest.mark.skipif(SEED != DEFAULT_SEED, reason="the fresh-process cases are named for the default seed")
def test_the_fresh_process_cases_exist():
    assert set(FRESH_PROCESS_CASES) <= {case.id for case in CASES}, "SEED or the case lists changed: pick others"
