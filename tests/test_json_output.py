"""`--json`: one JSON object on stdout that a script can read (run's image and file modes, eval, bench), with
progress and messages on stderr."""
from __future__ import annotations

import json

import cv2
from conftest import real_photo, run_cli

RUN_FIELDS = {"input", "output", "size", "style", "model", "device", "seconds", "frames", "dropped"}


def test_run_on_a_picture_prints_one_json_object(style_dir, tmp_path):
    photo, output = tmp_path / "photo.png", tmp_path / "styled.png"
    cv2.imwrite(str(photo), real_photo(96, 64))
    result = run_cli("--input", str(photo), "--style", "warm", "--output", str(output), "--json", checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == RUN_FIELDS
    assert report | {"seconds": 0, "model": ""} == {"input": str(photo), "output": str(output), "size": [96, 64],
                                                    "style": "warm", "model": "", "device": "cpu", "seconds": 0,
                                                    "frames": 1, "dropped": 0}
    assert report["model"] == "lite" and report["seconds"] > 0 and output.is_file()
    assert f"wrote {output}" in result.stderr


def test_run_on_a_video_file_prints_one_json_object(clip, style_dir, tmp_path):
    output = tmp_path / "styled.mp4"
    result = run_cli("--input", str(clip), "--style", "warm", "--output", str(output), "--no-display", "--json",
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["frames"] == 36 and report["dropped"] == 0 and report["size"] == [160, 96]
    assert report["output"] == str(output) and output.is_file()
    assert "stylizing (warm)" in result.stderr  # the progress bar


def test_run_json_is_refused_for_the_window_in_one_line(clip, style_dir):
    result = run_cli("--input", str(clip), "--style", "warm", "--json", checkpoints=style_dir)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --json reports image and file modes; add --no-display --output FILE, or drop --json"]


def test_eval_prints_its_scores_as_json_and_its_report_on_stderr(clip, style_dir, tmp_path):
    result = run_cli("eval", "temporal", "--input", str(clip), "--style", "warm", "--max-frames", "4", "--json",
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["evaluation"] == "temporal" and report["frames"] == 4 and report["input"] == str(clip)
    assert report["stylized_warping_error"] > 0 and set(report["mask_flicker"]) == {"smoothed", "unsmoothed"}
    assert "temporal stability of" in result.stderr
    written = tmp_path / "temporal.json"  # with a FILE: written there, the text on stdout as before
    result = run_cli("eval", "temporal", "--input", str(clip), "--style", "warm", "--max-frames", "2", "--json",
                     str(written), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("temporal stability of") and json.loads(written.read_text())["frames"] == 2


def test_bench_prints_its_report_as_json(clip):
    result = run_cli("bench", "--input", str(clip), "--frames", "2", "--devices", "cpu", "--models", "magenta",
                     "--sizes", "64x48", "--segmentation", "off", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["input"] == str(clip) and report["frames"] == 2 and len(report["results"]) == 1
    assert report["results"][0]["fps"] > 0 and "| configuration |" in result.stderr
