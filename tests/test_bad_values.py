"""Values that used to be accepted, or refused with a message that did not say what to do (issue #24).

Each case is one class of bad value, through the real command line: `realtime.cli.main` in this process
(what run.py calls), or run.py itself where the result is a file. Every refusal is exit code 2 and
one line on stderr, with no traceback.
"""
from __future__ import annotations

import glob
import logging
import signal
from fractions import Fraction

import cv2
import numpy as np
import pytest
import torch
from conftest import decode, pattern_frame, run_cli, write_clip

from realtime.cli import main
from realtime.errors import UserError


@pytest.fixture
def refused(capsys):
    """main(argv) must exit 2 with one line on stderr; returns that line."""
    def run(*argv: str) -> str:
        handler = signal.getsignal(signal.SIGTERM)  # main() installs its own
        try:
            code = main(list(argv))
        finally:
            signal.signal(signal.SIGTERM, handler)
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        return lines[0]
    return run


@pytest.mark.parametrize("argv", [
    ["--size", "-100x50"],  # argparse takes it for an option
    ["--size=-100x50"],
    ["--size", "0x50"],
    ["--size", "99999x99999"],
    ["--size"],
    ["--inference-size", "-5x5"],
    ["bench", "--sizes", "0x1"],
])
def test_a_bad_size_says_what_a_size_looks_like(refused, argv):
    line = refused(*argv)
    assert "WIDTHxHEIGHT, each side 16 to 16384, like 640x360" in line


def test_a_missing_value_names_what_the_option_takes(refused):
    assert "--camera needs a value (INDEX)" in refused("--camera")


@pytest.mark.parametrize("output, codec, crf, scale", [
    ("x.mp4", None, 999, "h264's range: use 0 (best) to 51"),
    ("x.mp4", None, -1, "h264's range: use 0 (best) to 51"),
    ("x.mkv", "hevc", 52, "hevc's range: use 0 (best) to 51"),
    ("x.webm", None, 64, "vp9's range: use 0 (best) to 63"),
    ("x.mkv", "av1", 0, "av1's range: use 1 (best) to 63"),  # SVT-AV1's 0 means "unset"
    ("x.mp4", "h264_nvenc", 0, "h264_nvenc's range: use 1 (best) to 51"),  # nvenc's 0 means "automatic"
])
def test_crf_off_the_codec_scale_is_refused_with_the_scale(refused, tmp_path, output, codec, crf, scale):
    codec_option = ["--codec", codec] if codec else []
    line = refused("--demo", "--no-display", "--output", str(tmp_path / output), *codec_option, "--crf", str(crf))
    assert f"--crf {crf} is outside {scale}" in line
    assert not (tmp_path / output).exists()


def test_crf_for_the_window_recordings_is_checked_at_start(refused, monkeypatch):
    """R records .mp4 files: a bad --crf fails before the window opens, not when R is pressed."""
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "--crf 999 is outside h264's range" in refused("--demo", "--crf", "999")


def test_the_ends_of_each_scale_are_accepted_and_0_is_not_the_default(tmp_path):
    from realtime.io.outputs import CODECS, RecordingOptions
    from realtime.io.encoders import check_encoder

    check_encoder(tmp_path / "x.mp4", RecordingOptions(quality=0))
    check_encoder(tmp_path / "x.mp4", RecordingOptions(quality=51))
    check_encoder(tmp_path / "x.webm", RecordingOptions(quality=63))
    assert CODECS["h264"].quality_setting(0) == {"crf": "0"}  # lossless, not the default 18
    assert CODECS["h264"].quality_setting(None) == {"crf": "18"}


def test_an_encoder_this_machine_lacks_is_named_with_what_to_use(refused, tmp_path):
    from realtime.io.encoders import nvenc_available

    if nvenc_available():
        pytest.skip("this machine has NVENC")
    line = refused("--demo", "--no-display", "--output", str(tmp_path / "x.mp4"), "--codec", "h264_nvenc")
    assert "h264_nvenc encoder is not available on this machine" in line
    assert "NVIDIA GPU" in line and "--codec h264 (libx264)" in line


def test_a_rejected_setting_always_has_a_reason(tmp_path):
    from realtime.io.outputs import RecordingOptions
    from realtime.io.encoders import encoder_refusal

    message = encoder_refusal(tmp_path / "x.mp4", "h264", RecordingOptions(preset="bogus"), ValueError())
    assert "rejects --preset bogus (ValueError)" in message


@pytest.mark.parametrize("command, example", [
    (["--demo", "--no-display"], "styled.mp4"),
    (["export", "--style", "starry_night"], "starry_night.ts"),
    (["paint", "--content", "photo.jpg", "--style", "painting.jpg"], "painted.png"),
    (["sheet", "--photos", "photo.jpg"], "sheet.png"),
])
def test_every_output_needs_an_existing_folder_and_a_file_name(refused, tmp_path, command, example):
    missing = tmp_path / "missing" / f"out{example[example.index('.'):]}"
    assert refused(*command, "--output", str(missing)) == (
        f"error: output folder does not exist: {missing.parent}; create it, or choose another --output")
    assert not missing.parent.exists()  # refused, never made
    line = refused(*command, "--output", str(tmp_path))
    assert line == f"error: --output {tmp_path} is a folder; name a file in it, like {tmp_path / example}"


def test_an_image_input_into_a_folder_suggests_an_image_name(refused, tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    assert f"like {tmp_path / 'styled.png'}" in refused("--input", str(photo), "--output", str(tmp_path))


def test_loop_without_a_window_needs_max_frames(refused, tmp_path):
    line = refused("--demo", "--loop", "--no-display", "--output", str(tmp_path / "o.mp4"))
    assert "--loop without a window" in line and "--max-frames N" in line and "drop --no-display" in line


def test_the_demo_without_a_window_needs_max_frames(refused, tmp_path):
    line = refused("--demo", "--no-display", "--output", str(tmp_path / "o.mp4"))
    assert "--demo without a window" in line and "--max-frames N" in line and "drop --no-display" in line
    assert not (tmp_path / "o.mp4").exists()


def test_no_source_and_no_camera_without_a_window_is_refused_not_an_endless_demo(refused, tmp_path):
    if glob.glob("/dev/video*"):
        pytest.skip("this machine has video devices: a camera would open")
    line = refused("--style", "great_wave", "--no-display", "--output", str(tmp_path / "o.mp4"))
    assert "no camera found" in line and "--demo with --max-frames N" in line


def test_loop_with_max_frames_in_file_mode_plays_the_file_again(clip, style_dir, tmp_path):
    out = tmp_path / "looped.mp4"
    result = run_cli("--input", str(clip), "--style", "warm", "--loop", "--max-frames", "40", "--no-display",
                     "--output", str(out), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    written = decode(out)
    assert len(written["frames"]) == 40  # the clip has 36
    assert written["times"][36] == pytest.approx(36 / 25, abs=1e-3)  # the second pass goes on in time


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_loop_on_a_one_frame_video_writes_max_frames(suffix, style_dir, tmp_path):
    """Seeking a one-frame video back to its start read nothing, and the capture spun on it forever."""
    from PIL import Image

    single = tmp_path / f"single{suffix}"
    if suffix == ".gif":  # a still that is not a picture input: OpenCV reads it as a one-frame video
        Image.fromarray(pattern_frame(0, 64, 48)).save(single)
    else:
        write_clip(single, 1, 64, 48, Fraction(25))
    out = tmp_path / "looped.mp4"
    result = run_cli("--input", str(single), "--style", "warm", "--loop", "--max-frames", "20", "--no-display",
                     "--output", str(out), checkpoints=style_dir, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(decode(out)["frames"]) == 20


def test_a_size_too_big_for_the_memory_is_refused_before_any_work(refused, tmp_path, monkeypatch):
    import realtime.engine.memory as memory

    monkeypatch.setattr(memory, "host_available_bytes", lambda: 2**30)
    out = tmp_path / "o.mp4"
    line = refused("--demo", "--no-display", "--size", "8192x4096", "--output", str(out), "--max-frames", "9")
    assert "--size 8192x4096 needs about 3.0 GB of memory and 1.0 GB is free here" in line
    fits = line.rsplit(" ", 1)[1]
    assert fits == "4720x2352"  # the same shape, in 16s
    width, height = map(int, fits.split("x"))
    memory.check_frame_memory((width, height), torch.device("cpu"))  # and it does fit
    assert not out.exists()


def out_of_memory_engine(style_dir, monkeypatch, failures: int):
    """A real engine whose style network runs out of memory `failures` times (every time: -1)."""
    from realtime.engine.style_engine import StyleEngine
    from realtime.styles.registry import StyleRegistry

    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite")
    submit, calls = engine._submit, []

    def failing(image, look, slot):
        calls.append(slot)
        if failures < 0 or len(calls) <= failures:
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory (test)")
        return submit(image, look, slot)

    monkeypatch.setattr(engine, "_submit", failing)
    return engine


def test_running_out_of_memory_says_so_in_one_line(style_dir, monkeypatch, caplog):
    from realtime.look import Look

    engine = out_of_memory_engine(style_dir, monkeypatch, failures=3)
    with caplog.at_level(logging.WARNING, logger="realtime"):
        engine.process(pattern_frame(0, 640, 360), Look("warm"))
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == ["cpu ran out of memory at 640x360; processing at 228x128 from now on"]


def test_out_of_memory_at_the_smallest_size_is_one_line_with_what_to_do(style_dir, monkeypatch, caplog):
    from realtime.look import Look

    engine = out_of_memory_engine(style_dir, monkeypatch, failures=-1)
    with caplog.at_level(logging.WARNING, logger="realtime"), pytest.raises(UserError) as error:
        engine.process(pattern_frame(0, 640, 360), Look("warm"))
    assert "ran out of memory at 640x360 and still at" in str(error.value)
    assert "choose a smaller --size" in str(error.value)
    assert caplog.records == []


@pytest.mark.parametrize("command, option", [
    (["eval", "style"], "--paintings DIR"),
    (["eval", "segmentation"], "--data DIR"),
    (["bench"], "--input VIDEO"),
])
def test_a_command_that_reads_the_shared_data_says_how_to_give_it(refused, monkeypatch, command, option):
    monkeypatch.delenv("REALTIME_DATA", raising=False)
    line = refused(*command)
    assert f"{option} is needed and REALTIME_DATA is not set: pass {option}, or set REALTIME_DATA" in line
    assert "None" not in line


def test_training_on_too_few_photos_says_how_many_and_why(refused, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(4):
        cv2.imwrite(str(photos / f"{index}.png"), pattern_frame(index, 64, 48))
    line = refused("train", "--name", "few", "--data", str(photos), "--style-image", str(photos / "0.png"),
                   "--checkpoints", str(tmp_path / "out"), "--run-dir", str(tmp_path / "run"))
    assert "holds 4 images; training needs at least 5" in line and "held back for the previews" in line


def test_an_image_without_output_goes_beside_it_as_the_help_says(style_dir, tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    result = run_cli("--input", str(photo), "--style", "warm", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    written = cv2.imread(str(tmp_path / "photo_warm.png"))
    assert written is not None and written.shape == (48, 64, 3)
    assert not np.array_equal(written, pattern_frame(0, 64, 48))
    help_text = run_cli("--help").stdout
    assert "NAME_STYLE.png beside" in " ".join(help_text.split())


def test_an_image_input_with_a_video_output_is_refused_before_any_work(refused, tmp_path):
    """It was refused after stylizing (10 s on a 24 MP photo): here, before the style is even loaded."""
    photo, broken = tmp_path / "photo.png", tmp_path / "broken.pt"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    broken.write_text("not a checkpoint")
    line = refused("--input", str(photo), "--style", str(broken), "--output", str(tmp_path / "x.mp4"))
    assert line == "error: image input needs an image output (.png or .jpg), not x.mp4"


def test_the_default_output_name_taken_by_a_folder_says_why(refused, tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    (tmp_path / "photo_great_wave.png").mkdir()  # as a read-only folder would, the system says why
    line = refused("--input", str(photo), "--style", "great_wave")
    assert "cannot write" in line and "Is a directory" in line


@pytest.mark.parametrize("what, make, fragments", [
    ("style", lambda path: path.write_text("hello"), ["not a file torch.save wrote"]),
    ("segmenter", lambda path: path.write_text("hello"), ["not a file torch.save wrote"]),
    ("torchscript", lambda path: path.write_text("hello"), ["not an archive torch.jit.save wrote"]),
    ("style", lambda path: torch.save({"weight": torch.zeros(3)}, path), ["holds no style network"]),
    ("export", lambda path: cv2.imwrite(str(path), pattern_frame(0, 64, 48)), ["a picture style is painted by a shared"]),
])
def test_a_file_that_is_not_what_it_is_named_says_so_in_our_words(refused, what, make, fragments, tmp_path):
    """Not PyTorch's internals: "KeyError", "UnpicklingError", its miniz paragraph, a layer's name."""
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    path = tmp_path / {"torchscript": "model.ts", "export": "picture.jpg"}.get(what, "model.pt")
    make(path)
    argv = {"style": ["--style", str(path)], "torchscript": ["--style", str(path)],
            "segmenter": ["--style", "great_wave", "--stylize", "person", "--segmenter", str(path)]}
    if what == "export":
        line = refused("export", "--style", str(path), "--output", str(tmp_path / "out.ts"))
    else:
        line = refused("--input", str(photo), *argv[what], "--output", str(tmp_path / "out.png"))
    for fragment in fragments:
        assert fragment in line
    for internal in ("Error", "miniz", "conv1"):
        assert internal not in line


def test_export_to_a_name_that_is_not_its_format_is_refused(refused, tmp_path):
    line = refused("export", "--style", "great_wave", "--output", str(tmp_path / "style.zip"))
    assert "name a torchscript file style.ts" in line
    assert not (tmp_path / "style.zip").exists()


def test_a_person_mode_on_a_picture_with_no_person_says_so(tmp_path):
    photo = tmp_path / "pattern.png"
    cv2.imwrite(str(photo), pattern_frame(0, 96, 64))  # gradients and a square: nobody
    result = run_cli("--input", str(photo), "--style", "great_wave", "--stylize", "person",
                     "--output", str(tmp_path / "out.png"))
    assert result.returncode == 0, result.stderr
    assert "note: found no person in" in result.stderr
