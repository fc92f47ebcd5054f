"""The flicker measure: steady video scores low, flickering video high; the CLI prints it."""
from __future__ import annotations

import numpy as np
from conftest import pattern_frame, run_cli

from realtime.measure.evaluate import FlowWarper, warping_error


def test_warping_error_separates_steady_from_flickering():
    frames = [pattern_frame(index, 160, 96) for index in range(8)]  # a square moving 4 px a frame
    rng = np.random.default_rng(0)
    flickering = [np.clip(f.astype(int) + rng.integers(-40, 40, f.shape), 0, 255).astype(np.uint8) for f in frames]
    warper = FlowWarper()
    steady = warping_error(frames, frames, warper)
    assert steady < 0.002
    assert warping_error(frames, flickering, warper) > 10 * steady


def test_eval_temporal_command(clip, style_dir):
    result = run_cli("eval", "temporal", "--input", str(clip), "--style", "warm", "--max-frames", "10",
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert "warping error" in result.stdout and "mask flicker" in result.stdout


def test_eval_segmentation_needs_its_data(tmp_path):
    result = run_cli("eval", "segmentation", "--data", str(tmp_path), "--no-parity")
    assert result.returncode == 2 and "images/NAME.jpg" in result.stderr
