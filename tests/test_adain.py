"""Any picture as a style (AdaIN with the real VGG-19 and its decoder): colours and texture move toward
the picture, alpha 0 is the decoder's reconstruction, and bad pictures are one-line errors."""
from __future__ import annotations

import cv2
import numpy as np
import skimage
import torch
from conftest import pattern_frame, run_cli

from realtime.adain import AdaINStylizer, channel_statistics
from realtime.engine import Look, StyleEngine
from realtime.images import bgr_to_tensor
from realtime.registry import StyleRegistry


def red_stripes(size: int = 96) -> np.ndarray:
    picture = np.full((size, size, 3), (40, 30, 200), np.uint8)  # BGR: red
    picture[::6] = (20, 200, 250)  # yellow stripes
    return picture


def test_a_picture_as_style_moves_the_frame_toward_its_colours(style_dir, tmp_path):
    painting = tmp_path / "red.png"
    cv2.imwrite(str(painting), red_stripes())
    frame = pattern_frame(0, 96, 64)
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32")
    out = engine.process(frame, Look(str(painting)))
    assert out.shape == frame.shape
    assert np.abs(out.astype(int) - frame.astype(int)).mean() > 20
    target = red_stripes().reshape(-1, 3).mean(axis=0)
    assert np.abs(out.reshape(-1, 3).mean(axis=0) - target).sum() < np.abs(frame.reshape(-1, 3).mean(axis=0) - target).sum()
    assert out[..., 2].mean() > out[..., 0].mean() + 40  # red over blue, like the picture


def test_alpha_zero_is_the_decoders_reconstruction_of_the_frame():
    frame = bgr_to_tensor(cv2.resize(skimage.data.astronaut()[:, :, ::-1], (160, 160), interpolation=cv2.INTER_AREA))
    style = bgr_to_tensor(red_stripes())
    with torch.no_grad():
        keep = AdaINStylizer(style, alpha=0.0).eval()(frame)
        paint = AdaINStylizer(style, alpha=1.0).eval()(frame)
    assert keep.shape == frame.shape
    assert (keep - frame).abs().mean() < 0.15  # the decoder inverts relu4_1 roughly
    assert (paint - frame).abs().mean() > 1.5 * (keep - frame).abs().mean()


def test_channel_statistics():
    features = torch.randn(2, 3, 8, 8) * 3 + 1
    mean, std = channel_statistics(features)
    assert mean.shape == std.shape == (2, 3, 1, 1)
    assert torch.allclose(mean.flatten(), features.mean(dim=(2, 3)).flatten(), atol=1e-5)
    assert torch.allclose(std.flatten(), features.std(dim=(2, 3), unbiased=False).flatten(), atol=1e-4)


def test_image_mode_with_a_picture_as_style_and_bad_pictures(style_dir, tmp_path):
    photo, painting, out = tmp_path / "photo.png", tmp_path / "painting.png", tmp_path / "out.png"
    cv2.imwrite(str(photo), pattern_frame(0, 120, 80))
    cv2.imwrite(str(painting), red_stripes())
    result = run_cli("--input", str(photo), "--style", str(painting), "--output", str(out), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert cv2.imread(str(out)).shape == (80, 120, 3)
    tiny, fake = tmp_path / "tiny.png", tmp_path / "fake.jpg"
    cv2.imwrite(str(tiny), np.zeros((1, 1, 3), np.uint8))
    fake.write_bytes(b"this is not a picture")
    for bad, message in ((tiny, "is 1x1"), (fake, "cannot decode image"), (tmp_path / "gone.png", "style picture not found")):
        result = run_cli("--input", str(photo), "--style", str(bad), "--output", str(tmp_path / "x.png"), checkpoints=style_dir)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()
