"""The command line contract: file, image and config modes, and one-line errors with exit code 2."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import cv2
import numpy as np
import pytest
from conftest import ROOT, decode, pattern_frame, run_cli, shared_data

import realtime


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {result.stderr}"
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_file_mode_keeps_frame_count_size_and_rate(clip, style_dir, tmp_path):
    out = tmp_path / "out.mp4"
    result = run_cli("--input", str(clip), "--style", "warm", "--output", str(out), "--no-display", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    source, written = decode(clip), decode(out)
    assert len(written["frames"]) == len(source["frames"]) == 36
    assert (written["width"], written["height"]) == (160, 96)
    assert written["rate"] == source["rate"] == 25
    # Stylized: the warm style pushes red up and blue down.
    first = written["frames"][0].astype(int)
    assert first[:, :, 2].mean() > first[:, :, 0].mean() + 40


def test_file_mode_with_size_and_max_frames(clip, style_dir, tmp_path):
    out = tmp_path / "small.mkv"
    result = run_cli("--input", str(clip), "--style", "cool", "--size", "96x64", "--max-frames", "10",
                     "--output", str(out), "--no-display", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    written = decode(out)
    assert len(written["frames"]) == 10
    assert (written["width"], written["height"]) == (96, 64)


def test_image_mode_writes_an_image(style_dir, tmp_path):
    source = tmp_path / "photo.png"
    cv2.imwrite(str(source), pattern_frame(0, 200, 120))
    out = tmp_path / "styled.jpg"
    result = run_cli("--input", str(source), "--style", "cool", "--output", str(out), "--no-display", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    image = cv2.imread(str(out))
    assert image.shape == (120, 200, 3)
    assert image[:, :, 0].mean() > image[:, :, 2].mean() + 40  # cool: blue up, red down


def test_image_mode_with_inference_size_full_runs_the_network_at_the_full_size(style_dir, tmp_path):
    """No downscale in between: the file equals the style network applied to the whole 1280x720 photo (by default
    a photo this large runs at 960x540, so its strokes keep their size relative to the picture)."""
    import numpy as np
    import torch

    from realtime.io.images import bgr_to_tensor, tensor_to_bgr
    from realtime.styles.checkpoint import load_style

    source = tmp_path / "photo.png"
    photo = cv2.resize(pattern_frame(0, 320, 180), (1280, 720), interpolation=cv2.INTER_CUBIC)
    photo[::2, ::2] = 0  # detail that any downscale would smooth away
    cv2.imwrite(str(source), photo)
    out = tmp_path / "styled.png"
    result = run_cli("--input", str(source), "--style", "warm", "--output", str(out), "--precision", "fp32",
                     "--inference-size", "full", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    net, _ = load_style(style_dir / "warm.lite.pt")
    with torch.no_grad():
        expected = tensor_to_bgr(net(bgr_to_tensor(photo)))
    written = cv2.imread(str(out))
    assert written.shape == (720, 1280, 3)
    assert np.abs(written.astype(int) - expected.astype(int)).max() <= 2


def test_config_file_sets_options_and_flags_win(clip, style_dir, tmp_path):
    config = tmp_path / "show.toml"
    config.write_text(f'style = "warm"\nmax-frames = 5\nno-display = true\noutput = "{tmp_path / "a.mp4"}"\n')
    result = run_cli("--config", str(config), "--input", str(clip), "--max-frames", "7", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert len(decode(tmp_path / "a.mp4")["frames"]) == 7


def test_list_styles(style_dir):
    result = run_cli("--list-styles", checkpoints=style_dir)
    assert result.returncode == 0
    assert "warm" in result.stdout and "cool" in result.stdout and "Test warm" in result.stdout


def test_module_help_lists_subcommands():
    result = subprocess.run([sys.executable, "-m", "realtime", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    for command in ("run", "train", "export"):
        assert command in result.stdout


def test_run_help_lists_the_keys():
    result = run_cli("--help")
    assert "split screen" in result.stdout and "Esc / Q" in result.stdout


@pytest.mark.slow
def test_real_clip_from_shared_data(style_dir, tmp_path):
    clip = shared_data("video/webcam_person_signing_asl_book.mkv")
    out = tmp_path / "asl.mp4"
    result = run_cli("--input", str(clip), "--style", "warm", "--output", str(out), "--no-display", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    source, written = decode(clip), decode(out)
    assert len(written["frames"]) == len(source["frames"])
    assert (written["width"], written["height"]) == (source["width"], source["height"])


@pytest.mark.parametrize("args, fragments", [
    (["--input", "/no/such/clip.mp4", "--no-display", "--output", "x.mp4"], ["input not found", "/no/such/clip.mp4"]),
    (["--camera", "7", "--style", "warm"], ["camera 7 did not open", "tried index 7"]),
    (["--style", "wram", "--demo"], ["unknown style 'wram'", "did you mean 'warm'", "cool, warm"]),
    (["--style", "/no/such/style.pt", "--demo"], ["style checkpoint not found"]),
    (["--demo", "--style", "warm"], ["no display available", "--no-display --output", "xvfb-run"]),
    (["--demo", "--no-display", "--style", "warm"], ["--no-display needs --output"]),
    (["--size", "big", "--demo"], ["size must look like 640x360"]),
    (["--inference-size", "most", "--demo"], ["size must look like 640x360", "or use auto or full"]),
    (["--demo", "--camera", "0"], ["choose one source"]),
    (["--camera", "-1"], ["must be 0 or more"]),
    (["--demo", "--no-display", "--output", "x.mp4", "--preset", "bogus"], ["libx264 encoder rejects --preset bogus"]),
    (["--demo", "--no-display", "--output", "/proc/x.mp4"], ["cannot write /proc/x.mp4"]),
    (["--demo", "--http-port", "99999"], ["a port is 1 to 65535"]),
    (["--demo", "--osc-port", "-1"], ["a port is 1 to 65535"]),
    (["--demo", "--http-port", "8765", "--remote-host", "0.0.0.0"], ["lets anyone on the network", "--remote-token"]),
    (["--demo", "--no-display", "--output", "x.mp4", "--http-port", "8765", "--cycle", "5"],
     ["--http-port, --cycle: only the window's show"]),
    (["--demo", "--output", "clip.avi", "--no-display", "--style", "warm"], ["cannot write clip.avi"]),
])
def test_bad_input_gives_one_line_and_exit_2(args, fragments, style_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert_user_error(run_cli(*args, checkpoints=style_dir, cwd=tmp_path), *fragments)


def test_the_input_is_never_overwritten(clip, style_dir, tmp_path):
    source = tmp_path / "source.mp4"
    source.write_bytes(clip.read_bytes())
    (tmp_path / "link.mp4").symlink_to(source)
    os.link(source, tmp_path / "hard.mp4")
    for output in ("source.mp4", "./source.mp4", str(source), "link.mp4", "hard.mp4"):
        result = run_cli("--input", "source.mp4", "--style", "warm", "--no-display", "--output", output,
                         checkpoints=style_dir, cwd=tmp_path)
        assert_user_error(result, "is the input file itself")
    assert source.read_bytes() == clip.read_bytes()
    killed = tmp_path / "job.partial.mp4"  # what a killed file job leaves, styled again into the name it wanted
    killed.write_bytes(clip.read_bytes())
    result = run_cli("--input", str(killed), "--style", "warm", "--no-display", "--output", str(tmp_path / "job.mp4"),
                     checkpoints=style_dir, cwd=tmp_path)
    assert_user_error(result, "is first written as job.partial.mp4, the input file itself")
    assert killed.read_bytes() == clip.read_bytes()


def test_unreadable_video(style_dir, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    assert_user_error(run_cli("--input", str(bad), "--style", "warm", "--no-display", "--output", str(tmp_path / "o.mp4"),
                              checkpoints=style_dir), "cannot read video")


def test_checkpoint_that_fails_to_load(style_dir, tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"garbage")
    assert_user_error(run_cli("--style", str(bad), "--demo", "--no-display", "--output", str(tmp_path / "o.mp4"),
                              "--max-frames", "9", checkpoints=style_dir), "cannot load style checkpoint")


@pytest.mark.parametrize("line", ["style = 5", "background = 3", "max-frames = [1, 2]", "size = true"])
def test_config_value_of_the_wrong_type(line, style_dir, tmp_path):
    config = tmp_path / "typed.toml"
    config.write_text(f'output = "{tmp_path / "o.mp4"}"\n{line}\n')
    result = run_cli("--config", str(config), "--demo", "--no-display", "--max-frames", "2", checkpoints=style_dir)
    assert_user_error(result, f"{config}:2")
    assert not (tmp_path / "o.mp4").exists()


def test_bad_config_key(style_dir, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('style = "warm"\nstyel = "cool"\n')
    assert_user_error(run_cli("--config", str(config), checkpoints=style_dir), "unknown key 'styel'")


def test_contact_sheet(style_dir, tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 300, 200))
    out = tmp_path / "sheet.png"
    result = run_cli("sheet", "--photos", str(photo), str(photo), "--output", str(out), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    sheet = cv2.imread(str(out))
    # header + photos, then a label row and an image row per style (cool, warm); 2 columns: the test
    # styles' paintings are nowhere, so no column of black tiles for them
    assert sheet.shape == (36 + 256 + 2 * (36 + 256), 2 * 256, 3)
    assert "so the sheet has no painting column" in result.stderr


def test_contact_sheet_of_an_exported_style(style_dir, tmp_path):
    exported = tmp_path / "warm.ts"
    assert run_cli("export", "--style", "warm", "--output", str(exported), checkpoints=style_dir).returncode == 0
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 300, 200))
    out = tmp_path / "sheet.png"
    result = run_cli("sheet", "--styles", str(exported), "--photos", str(photo), "--output", str(out),
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert cv2.imread(str(out)).shape == (36 + 256 + 36 + 256, 256, 3)  # no painting found: no column


def test_half_torchscript_export_runs_in_half_and_matches(style_dir, tmp_path):
    """An fp16 export (for GPUs) says so inside the file, so the engine feeds it fp16; on a CPU too."""
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 160, 96))
    outputs = []
    for extra in ([], ["--half"]):
        exported = tmp_path / f"warm{len(extra)}.ts"
        result = run_cli("export", "--style", "warm", "--output", str(exported), *extra, checkpoints=style_dir)
        assert result.returncode == 0, result.stderr
        outputs.append(tmp_path / f"out{len(extra)}.png")
        result = run_cli("--input", str(photo), "--style", str(exported), "--output", str(outputs[-1]))
        assert result.returncode == 0, result.stderr
    full, half = (cv2.imread(str(path)).astype(float) for path in outputs)
    assert np.abs(full - half).mean() < 1.0


@pytest.mark.parametrize("model", ["lite", "fast", "magenta"])
def test_onnx_export_runs_in_onnx_runtime_and_matches(tmp_path, model):
    import json

    import numpy as np
    import onnx
    import onnxruntime
    import torch

    from realtime.assets import SHIPPED_CHECKPOINTS
    from realtime.styles.checkpoint import load_style

    exported = tmp_path / "udnie.onnx"
    result = run_cli("export", "--style", "udnie", "--model", model, "--output", str(exported))
    assert result.returncode == 0, result.stderr
    assert json.loads(onnx.load(str(exported)).metadata_props[0].value)["name"] == "udnie"
    session = onnxruntime.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    net, _ = load_style(SHIPPED_CHECKPOINTS / f"udnie.{model}.pt")
    for height, width in ((120, 160), (64, 256)):  # any size, not only the traced one
        rgb = torch.rand(1, 3, height, width)
        with torch.no_grad():
            expected = net.eval()(rgb).numpy()
        assert np.abs(session.run(None, {"rgb": rgb.numpy()})[0] - expected).max() < 1e-4
    half = run_cli("export", "--style", "udnie", "--output", str(tmp_path / "u.onnx"), "--half")
    assert half.returncode == 2 and "--half is for TorchScript" in half.stderr


HEAVY_MODULES = ("torch", "cv2", "av", "numpy", "glfw", "skimage", "tqdm")


def test_help_imports_nothing_heavy():
    """`--help` answers at once: building the parser and printing every command's help imports no torch, OpenCV
    or PyAV (each command's handler imports what it runs)."""
    script = (
        "import contextlib, io, sys\n"
        "import realtime.cli as cli\n"
        "parser, subparsers = cli.build_parser()\n"
        "for argv in ([], *([name] for name in cli.COMMANDS), ['eval', 'soak'], ['eval', 'style'], ['eval', 'temporal'],"
        " ['eval', 'segmentation']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        cli.main([*argv, '--help'])\n"
        f"print(' '.join(name for name in {HEAVY_MODULES!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported while parsing: {result.stdout}"


def test_run_without_options_is_the_default_settings():
    """Every RunSettings field comes from an option of the same dest (or is built from several), with the same default."""
    from realtime.cli import build_parser, run_settings
    from realtime.settings import RunSettings

    parser, _ = build_parser()
    assert run_settings(parser.parse_args(["run"])) == RunSettings()
    settings = run_settings(parser.parse_args(["run", "--style-strength", "0.3", "--cycle", "5", "--crf", "20",
                                               "--mask-feather", "0.2", "--background", "blur", "--no-display"]))
    assert (settings.strength, settings.cycle_seconds, settings.recording.quality) == (0.3, 5.0, 20)
    assert (settings.mask.feather, settings.background.kind, settings.display) == (0.2, "blur", False)


@pytest.mark.parametrize("command", [["sheet", "--photos", "a.png", "--output", "s.png"], ["eval", "style"],
                                     ["eval", "soak", "--input", "clip.mp4"]])
def test_model_auto_is_the_transfer_learned_network(command):
    from realtime.cli import build_parser
    from realtime.cli.measuring import device_and_model

    args = build_parser()[0].parse_args(command)
    assert (args.device, args.model) == ("auto", "auto")
    _, model = device_and_model(args)
    assert model == "magenta"


def test_list_styles_into_a_closed_pipe_exits_quietly(style_dir):
    """`realtime --list-styles | head -1`: the reader is gone before the list is written."""
    env = dict(os.environ, REALTIME_CHECKPOINTS=str(style_dir))
    process = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "--list-styles"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""


BROKEN_MODELS = {  # a TorchScript style of the user's, and what it does wrong
    "fails": "return rgb.view(7, -1)",
    "grey": "return rgb.mean(1, keepdim=True)",
}


@pytest.mark.parametrize("kind", BROKEN_MODELS)
def test_a_custom_model_that_fails_while_running_is_one_line(kind, clip, style_dir, tmp_path):
    """It printed PyTorch's 60-line traceback (TorchScript's own in the middle)."""
    model = tmp_path / f"{kind}.ts"
    script = f'''
import torch

class Broken(torch.nn.Module):
    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        {BROKEN_MODELS[kind]}

torch.jit.save(torch.jit.script(Broken()), {str(model)!r})
'''
    (tmp_path / "make.py").write_text(script)  # TorchScript reads the class's source from its file
    subprocess.run([sys.executable, str(tmp_path / "make.py")], check=True)
    result = run_cli("--input", str(clip), "--style", str(model), "--no-display", "--output", str(tmp_path / "o.mp4"),
                     checkpoints=style_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"the style model {model}" in errors[0] and "1x3xHxW RGB tensor" in errors[0]


@pytest.mark.parametrize("scheme", ["rtsp", "http"])
def test_a_stream_that_connects_but_sends_nothing_fails_in_seconds(scheme, style_dir, tmp_path):
    """It took FFmpeg's 30 s, then said the URL was not reachable."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []  # accepted, never answered
    threading.Thread(target=lambda: [held.append(server.accept()[0]) for _ in range(4)], daemon=True).start()
    url = f"{scheme}://127.0.0.1:{server.getsockname()[1]}/live"
    started = time.monotonic()
    try:
        result = run_cli("--input", url, "--style", "warm", "--no-display", "--output", str(tmp_path / "o.mp4"),
                         checkpoints=style_dir, timeout=60)
    finally:
        server.close()
    assert_user_error(result, f"connected to {url}, but got no frames in 8 s", "check that the stream is running")
    assert time.monotonic() - started < 20  # 8 s of it waiting; the rest starting Python and PyTorch


def test_version():
    for argv in (["--version"], ["-m", "realtime", "--version"]):
        command = [sys.executable, *(argv if argv[0] == "-m" else [str(ROOT / "run.py"), *argv])]
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert result.returncode == 0 and result.stdout.strip() == f"realtime {realtime.__version__}", result.stderr
