"""--ndi: the real command sends to an NDI receiver made with cyndilib on this machine."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, alpha_means, real_photo, run_cli, write_clip
from ndi_receiver import NdiReceiver, local_ndi_config

WIDTH, HEIGHT = 640, 360


@pytest.fixture(scope="module")
def panning_clip(tmp_path_factory) -> Path:
    """A photo panning sideways: every frame differs all over, so the stylized frames do too."""
    photo = real_photo(WIDTH, HEIGHT)
    return write_clip(tmp_path_factory.mktemp("ndi") / "pan.mp4", 40, WIDTH, HEIGHT, Fraction(25),
                      frame_maker=lambda index: np.roll(photo, index * 12, axis=1))


@pytest.fixture()
def ndi_env(tmp_path, monkeypatch) -> dict[str, str]:
    """NDI on this machine only, for this test process (before cyndilib loads NDI) and the app it starts."""
    monkeypatch.setenv("NDI_CONFIG_DIR", str(local_ndi_config(tmp_path / "ndi-config")))
    return dict(os.environ)


def start_app(style_dir: Path, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *args],
                            env={**env, "REALTIME_CHECKPOINTS": str(style_dir)},
                            stdout=subprocess.DEVNULL, stderr=log.open("w"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop(app: subprocess.Popen, log: Path) -> str:
    """Ctrl-C, as at the end of a show; the app's stderr."""
    app.send_signal(signal.SIGINT)
    try:
        app.wait(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
    return log.read_text()


def test_a_looping_file_goes_out_over_ndi_and_survives_a_receiver_leaving(panning_clip, style_dir, ndi_env, tmp_path):
    name = f"pytest-{os.getpid()}"  # not another test run's source
    log = tmp_path / "app.log"
    app = start_app(style_dir, ndi_env, log, "--input", str(panning_clip), "--loop", "--no-display", "--ndi", name,
                    "--style", "warm", "--style-strength", "0.5", "--inference-size", "320x180")  # half the photo: motion shows
    receiver = NdiReceiver(name)
    try:
        receiver.connect(timeout=120)
        receiver.first_frame(timeout=120)  # the app loads torch and the style after announcing the source
        frames = receiver.distinct_frames(6.0)
        print(f"{len(frames)} distinct frames in 6 s")
        assert len(frames) >= 20, f"{len(frames)} distinct frames in 6 s"
        assert all(frame.shape == (HEIGHT, WIDTH, 4) for frame in frames)
        assert receiver.fourcc() == "BGRX"  # opaque: no alpha to carry
        changes = [np.abs(a[..., :3].astype(int) - b[..., :3]).mean() for a, b in zip(frames, frames[1:])]
        assert np.median(changes) > 5, changes  # moving pictures, not noise on one frame
        receiver.disconnect()
        receiver.connect(timeout=30)  # a receiver that comes back gets frames again
        receiver.first_frame(timeout=30)
        assert len(receiver.distinct_frames(2.0)) >= 3
        assert app.poll() is None
    finally:
        receiver.close()
        stderr = stop(app, log)
    assert f"NDI source '{name}'" in stderr and "Traceback" not in stderr, stderr


def test_a_cut_out_goes_out_with_its_alpha(portrait_clip, style_dir, ndi_env, tmp_path):
    clip, masks = portrait_clip
    name = f"pytest-cut-{os.getpid()}"
    log = tmp_path / "app.log"
    app = start_app(style_dir, ndi_env, log, "--input", str(clip), "--loop", "--no-display", "--ndi", name,
                    "--style", "warm", "--stylize", "person", "--background", "transparent")
    receiver = NdiReceiver(name)
    try:
        receiver.connect(timeout=120)
        receiver.first_frame(timeout=120)
        frames = receiver.distinct_frames(2.0)
        assert receiver.fourcc() == "BGRA" and frames
        for frame in frames:
            alpha = frame[..., 3]
            # The receiver does not know which frame of the panning clip it got: the mask that fits best.
            mask = min(masks, key=lambda person: np.abs(alpha / 255.0 - person).mean())
            background, on_person = alpha_means(alpha, mask)
            assert background < 0.1 and on_person > 0.85, (background, on_person)
        print(f"NDI alpha: {background:.3f} on the background, {on_person:.3f} on the person")
    finally:
        receiver.close()
        stop(app, log)


def distinct_while_running(app, receiver: NdiReceiver, seconds: float) -> int:
    """How many different frames the receiver gets while the window app runs for `seconds`."""
    from live_app import step_until

    seen = set()
    end = time.monotonic() + seconds

    def look() -> bool:
        if (frame := receiver.newest()) is not None:
            seen.add(hash(frame.tobytes()))
        return time.monotonic() > end

    step_until(app, look, seconds + 10)
    return len(seen)


def difference(received: np.ndarray | None, image: np.ndarray) -> float:
    """Mean absolute difference of the colours (NDI's compression leaves about 1)."""
    return 255.0 if received is None else float(np.abs(received[..., :3].astype(int) - image[..., :3]).mean())


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="the window needs a DISPLAY: run under xvfb-run")
def test_the_window_sends_over_ndi_without_the_hud_and_its_key_holds_it_back(panning_clip, style_dir, ndi_env,
                                                                            tmp_path):
    from live_app import make_app, shown, step_until

    from realtime.io.ndi import open_ndi

    name = f"pytest-window-{os.getpid()}"
    app = make_app(panning_clip, style_dir, tmp_path, loop=True, sinks=[open_ndi(name, WIDTH, HEIGHT, Fraction(25))])
    app.hud.show_hud = True
    app.start()
    receiver = NdiReceiver(name)
    try:
        receiver.connect(timeout=30)
        step_until(app, lambda: receiver.newest() is not None, 60)
        assert distinct_while_running(app, receiver, 2.0) >= 3
        app.toggle_pause()  # one frame stays: the window's and the receiver's can be compared
        step_until(app, lambda: difference(receiver.newest(), app.last.image) < 3, 10)  # the frame alone
        hud = (slice(0, 60), slice(0, 200))  # the HUD's corner of the window
        assert difference(shown(app)[hud], app.last.image[hud]) > 10  # where the window draws the HUD over it
        app.toggle_pause()
        assert distinct_while_running(app, receiver, 2.0) >= 3
        app.handle("ndi")  # the O key's action (hotkeys.py maps the key)
        assert app.hud.ndi is False
        distinct_while_running(app, receiver, 0.5)  # a frame already on its way may still arrive
        assert distinct_while_running(app, receiver, 2.0) <= 1  # the last frame, held
        app.handle("ndi")
        assert distinct_while_running(app, receiver, 2.0) >= 3
    finally:
        receiver.close()
        app.close()


def test_ndi_without_cyndilib_names_the_install_command(style_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "no-cyndilib"  # first on the path: importing cyndilib fails as if it were not installed
    blocker.mkdir()
    (blocker / "cyndilib.py").write_text("raise ImportError('cyndilib is not installed')\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(blocker), os.environ.get("PYTHONPATH")])))
    result = run_cli("--demo", "--style", "warm", "--no-display", "--ndi", "show", checkpoints=style_dir, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "error: --ndi needs cyndilib: pip install -e '.[ndi]'"


def test_the_python_api_streams_to_ndi(panning_clip, style_dir, ndi_env):
    from realtime.api import Stylizer

    name = f"pytest-api-{os.getpid()}"
    stylizer = Stylizer("warm", device="cpu", checkpoints=style_dir, strength=0.5, inference_size=(320, 180))
    frames = stylizer.stream(panning_clip, ndi=name)
    given = [next(frames)]  # the source opens with the first frame
    receiver = NdiReceiver(name)
    try:
        receiver.connect(timeout=30)
        received = {}
        for styled in frames:  # 39 more frames, a few seconds on a CPU
            given.append(styled)
            if (frame := receiver.newest()) is not None:
                received[hash(frame.tobytes())] = frame
    finally:
        receiver.close()
        frames.close()
    assert len(received) >= 3, len(received)
    for frame in received.values():  # each is one of the frames stream() gave back, through NDI's compression
        assert frame.shape == (HEIGHT, WIDTH, 4)
        assert min(difference(frame, styled) for styled in given) < 3
