"""Shared fixtures: small real style checkpoints, real H.264 clips, and the CLI as a subprocess."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from realtime.model.architectures import LITE
from realtime.model.transformer import TransformerNet
from realtime.styles.checkpoint import save_style

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    """@pytest.mark.cuda tests need a CUDA GPU: skipped without one."""
    if torch.cuda.is_available():
        return
    needs_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(needs_gpu)


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process in /proc (Linux; empty elsewhere)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended meanwhile
        # "pid (name) state ppid ...": the name may hold spaces and ')', so count fields after the last ')'.
        parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2:].split()[1])
    return parents


def _descendants(root: int) -> set[int]:
    parents, found, frontier = _parents(), set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"  # a zombie is dead, only not yet reaped


@pytest.fixture(scope="session", autouse=True)
def user_data_home(tmp_path_factory) -> Path:
    """XDG_DATA_HOME for every test and the processes they start: `realtime train` without --checkpoints,
    and --style NAME, use $XDG_DATA_HOME/realtime/styles, which must not be the user's real one."""
    folder = tmp_path_factory.mktemp("xdg-data")
    os.environ["XDG_DATA_HOME"] = str(folder)
    return folder


@pytest.fixture(autouse=True)
def no_process_outlives_its_test():
    """Every process a test starts (and whatever those start) is killed when the test ends, pass
    or fail: a failed recording test must not leave the app encoding at full CPU until pytest exits.
    Processes of wider-scoped fixtures are set up before this one, so they are left alone."""
    before = _descendants(os.getpid())
    yield
    leftover = _descendants(os.getpid()) - before
    for pid in leftover:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in leftover) and time.monotonic() < deadline:
        time.sleep(0.05)


def make_style(path: Path, rgb_bias: tuple[float, float, float], seed: int = 0) -> None:
    """A real lite TransformerNet checkpoint whose output leans strongly towards one colour."""
    torch.manual_seed(seed)
    net = TransformerNet(LITE)
    with torch.no_grad():
        net.deconv3.conv2d.weight.mul_(0.2)
        net.deconv3.conv2d.bias.copy_(torch.tensor(rgb_bias))
    name = path.name.split(".")[0]
    save_style(path, net, "lite", {"name": name, "painting": {"title": f"Test {name}", "artist": "pytest", "year": "2026"}})


@pytest.fixture(scope="session")
def style_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("checkpoints")
    make_style(folder / "warm.lite.pt", (3.0, 0.0, -3.0), seed=1)
    make_style(folder / "cool.lite.pt", (-3.0, 0.0, 3.0), seed=2)
    return folder


def pattern_frame(index: int, width: int, height: int, moving: bool = True) -> np.ndarray:
    """A BGR frame with gradients and a square that moves with the index."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 128)], axis=-1).astype(np.uint8)
    left = (index * 4 if moving else 0) % (width - 20)
    image[height // 3: height // 3 + 20, left: left + 20] = (255, 255, 255)
    return image


def real_photo(width: int = 160, height: int = 120) -> np.ndarray:
    """scikit-image's public-domain astronaut photo as BGR, resized: real detail for an encoder to compress."""
    import cv2
    import skimage.data

    return cv2.resize(skimage.data.astronaut()[:, :, ::-1], (width, height), interpolation=cv2.INTER_AREA)


# Where the command line takes a picture: `realtime run`'s input, style and background, `realtime paint`'s two.
PICTURE_ROLES = ("input", "style", "background", "paint-content", "paint-style")
PAINT_SIZE = 32  # paint's smallest --size: one step on it takes a moment


def picture_argv(role: str, picture: Path, photo: Path, style: Path, output: Path) -> list[str]:
    """The command line that gives `picture` in `role`; the other places get `photo`, a whole picture at
    least 17 pixels on each side, and `style`, a style checkpoint. Writes `output` (a picture)."""
    run = {"input": ["--input", picture, "--style", style], "style": ["--input", photo, "--style", picture],
           "background": ["--input", photo, "--style", style, "--background", picture]}
    if role in run:
        return [str(arg) for arg in run[role]] + ["--output", str(output)]
    content, painting = {"paint-content": (picture, photo), "paint-style": (photo, picture)}[role]
    return ["paint", "--content", str(content), "--style", str(painting), "--output", str(output), "--steps", "1",
            "--size", str(PAINT_SIZE)]


def special_file(kind: str, path: Path) -> Path:
    """What is not a file where a file goes: a folder at `path` (with a picture in it, as the user's would
    have), a named pipe at `path`, or /dev/null."""
    if kind == "folder":
        import cv2

        path.mkdir()
        cv2.imwrite(str(path / "photo.png"), real_photo())
        return path
    if kind == "pipe":
        os.mkfifo(path)
        return path
    return Path(os.devnull)


def write_clip(path: Path, count: int, width: int, height: int, fps: Fraction, moving: bool = True,
               audio_rate: int | None = None, frame_maker=None, title: str | None = None,
               times: list[float] | None = None) -> Path:
    """An H.264 clip of test patterns; with audio_rate, also an AAC sine tone as long as the video;
    with title, that title tag; with times, frame i shows at times[i] seconds (a variable frame rate,
    fps only declared), and the sound lasts one frame of fps past the last."""
    frame_maker = frame_maker or (lambda index: pattern_frame(index, width, height, moving))
    with av.open(str(path), "w") as container:
        if title is not None:
            container.metadata["title"] = title
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        audio = container.add_stream("aac", rate=audio_rate) if audio_rate else None
        for index in range(count):
            frame = av.VideoFrame.from_ndarray(frame_maker(index), format="bgr24")
            if times is not None:
                frame.pts, frame.time_base = round(times[index] * 1000), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        if audio is not None:
            last = times[-1] if times else (count - 1) / fps
            total = int(audio_rate * (last + 1 / fps))
            tone = (0.3 * np.sin(np.arange(total) * 2 * np.pi * 440 / audio_rate)).astype(np.float32)
            for start in range(0, total, 1024):
                chunk = tone[start:start + 1024][None, :]
                samples = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="mono")
                samples.sample_rate, samples.pts = audio_rate, start
                container.mux(audio.encode(samples))
            container.mux(audio.encode(None))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """36 frames of 160x96 at 25 fps."""
    return write_clip(tmp_path_factory.mktemp("clips") / "moving.mp4", 36, 160, 96, Fraction(25))


@pytest.fixture(scope="session")
def still_clip(tmp_path_factory) -> Path:
    """A clip whose frames are all the same, so what changes on screen is the style alone."""
    return write_clip(tmp_path_factory.mktemp("clips") / "still.mp4", 150, 192, 112, Fraction(30), moving=False)


def run_cli(*args: str, checkpoints: Path | None = None, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if checkpoints is not None:
        env["REALTIME_CHECKPOINTS"] = str(checkpoints)
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          env=env, timeout=timeout, **kwargs)


def shared_data(relative: str) -> Path:
    """A path under REALTIME_DATA; skips without it, fails loudly when it is set but the path is missing."""
    root = os.environ.get("REALTIME_DATA")
    if not root:
        pytest.skip("REALTIME_DATA is not set")
    path = Path(root) / relative
    if not path.exists():
        pytest.fail(f"REALTIME_DATA is set but {path} is missing")
    return path


def decode(path: Path) -> dict:
    """Every frame of a video file, with its stream's size and rate, and how long its audio plays."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = list(container.decode(stream))
        info = {
            "frames": [frame.to_ndarray(format="bgr24") for frame in decoded],
            "times": [float(frame.time) for frame in decoded],
            "width": stream.width, "height": stream.height, "rate": stream.average_rate,
            "audio_seconds": None,
        }
    with av.open(str(path)) as container:
        if container.streams.audio:
            samples = [frame for frame in container.decode(container.streams.audio[0])]
            info["audio_seconds"] = float(samples[-1].time) + samples[-1].samples / samples[-1].sample_rate
    return info


@pytest.fixture()
def app(still_clip, style_dir, tmp_path):
    """The window app, started, on the still clip (real window: needs a DISPLAY, e.g. xvfb-run)."""
    from live_app import make_app

    live = make_app(still_clip, style_dir, tmp_path)
    live.start()
    yield live
    live.close()


PORTRAIT = "pfcn_00002"  # a person against a busy background, with its ground-truth mask
PORTRAIT_SIZE = (300, 400)


@pytest.fixture(scope="session")
def portrait_clip(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    """A clip of the portrait panning 4 pixels a frame, with each frame's ground-truth mask (True: the person)."""
    import cv2

    image = cv2.resize(cv2.imread(str(shared_data(f"portraits/images/{PORTRAIT}.jpg"))), PORTRAIT_SIZE,
                       interpolation=cv2.INTER_AREA)
    mask = cv2.resize(cv2.imread(str(shared_data(f"portraits/masks/{PORTRAIT}.png")), cv2.IMREAD_GRAYSCALE),
                      PORTRAIT_SIZE, interpolation=cv2.INTER_AREA) > 127
    count = 12
    path = write_clip(tmp_path_factory.mktemp("portrait") / "portrait.mp4", count, *PORTRAIT_SIZE, Fraction(25),
                      frame_maker=lambda index: np.roll(image, index * 4, axis=1))
    return path, [np.roll(mask, index * 4, axis=1) for index in range(count)]


def alpha_means(alpha: np.ndarray, person: np.ndarray) -> tuple[float, float]:
    """Mean alpha (0-1) on the ground-truth background and on the person."""
    alpha = alpha.astype(np.float64) / 255.0
    return float(alpha[~person].mean()), float(alpha[person].mean())
