"""Any picture as a style with --picture-model adain (AdaIN with the real VGG-19 and its decoder): colours and
texture move toward the picture, alpha 0 is the decoder's reconstruction, and bad pictures are one-line errors."""
from __future__ import annotations

import cv2
import numpy as np
import skimage
import torch
from conftest import pattern_frame, run_cli

from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import StyleEngine
from realtime.io.images import bgr_to_tensor
from realtime.look import Look
from realtime.styles.adain import AdaINStylizer, channel_statistics
from realtime.styles.registry import StyleRegistry


def red_stripes(size: int = 96) -> np.ndarray:
    picture = np.full((size, size, 3), (40, 30, 200), np.uint8)  # BGR: red
    picture[::6] = (20, 200, 250)  # yellow stripes
    return picture


def test_a_picture_as_style_moves_the_frame_toward_its_colours(style_dir, tmp_path):
    painting = tmp_path / "red.png"
    cv2.imwrite(str(painting), red_stripes())
    frame = pattern_frame(0, 96, 64)
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32", pictures=PictureStyles(picture_model="adain"))
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
        stylizer = AdaINStylizer([style]).eval()
        keep, paint = stylizer(frame, 0.0), stylizer(frame, 1.0)
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
    for bad, message in ((tiny, "is 1x1"), (fake, "cannot decode style picture"), (tmp_path / "gone.png", "style picture not found")):
        result = run_cli("--input", str(photo), "--style", str(bad), "--output", str(tmp_path / "x.png"), checkpoints=style_dir)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def blue_dots(size: int = 96) -> np.ndarray:
    picture = np.full((size, size, 3), (200, 60, 20), np.uint8)  # BGR: blue
    picture[::8, ::8] = (255, 255, 255)
    return picture


def test_mixing_two_pictures_blends_their_styles(style_dir, tmp_path):
    red, blue = tmp_path / "red.png", tmp_path / "blue.png"
    cv2.imwrite(str(red), red_stripes())
    cv2.imwrite(str(blue), blue_dots())
    frame = pattern_frame(0, 96, 64)

    def stylized(style: str, mix: float = 0.5) -> np.ndarray:
        engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32", pictures=PictureStyles(mix, "adain"))
        return engine.process(frame, Look(style)).astype(int)

    both = f"{red},{blue}"
    assert np.abs(stylized(both, mix=0.0) - stylized(str(red))).max() <= 1  # all of the first picture
    assert np.abs(stylized(both, mix=1.0) - stylized(str(blue))).max() <= 1  # all of the second
    halfway = stylized(both, mix=0.5)
    redness = [(out[..., 2] - out[..., 0]).mean() for out in (stylized(str(red)), halfway, stylized(str(blue)))]
    assert redness[0] > redness[1] > redness[2]


def test_picture_strength_is_adains_alpha_and_the_output_is_repeatable(style_dir, tmp_path):
    painting = tmp_path / "red.png"
    cv2.imwrite(str(painting), red_stripes())
    frame = pattern_frame(0, 96, 64)
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32", pictures=PictureStyles(picture_model="adain"))
    full = engine.process(frame, Look(str(painting)))
    assert np.array_equal(full, engine.process(frame, Look(str(painting))))  # same input, same output
    none = engine.process(frame, Look(str(painting), strength=0.0)).astype(int)
    with torch.no_grad():
        stylizer = engine.style(str(painting)).module
        reconstruction = stylizer(bgr_to_tensor(frame), 0.0)
    expected = reconstruction[0].permute(1, 2, 0).numpy()[:, :, ::-1] * 255
    # Strength 0 is the decoder's picture of the frame (a blend of features), not the frame's pixels.
    assert np.abs(none - expected).mean() < 1.0
    assert np.abs(none - frame.astype(int)).mean() > 1.0


def test_keep_colors_keeps_the_frames_chroma(style_dir, tmp_path):
    painting = tmp_path / "red.png"
    cv2.imwrite(str(painting), red_stripes())
    frame = cv2.resize(skimage.data.astronaut()[:, :, ::-1], (128, 128), interpolation=cv2.INTER_AREA)
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32", pictures=PictureStyles(picture_model="adain"))

    def chroma(image: np.ndarray) -> np.ndarray:
        return cv2.cvtColor(image, cv2.COLOR_BGR2YCrCb)[..., 1:].astype(int)

    painted = engine.process(frame, Look(str(painting)))
    kept = engine.process(frame, Look(str(painting), keep_colors=True))
    assert np.abs(chroma(kept) - chroma(frame)).mean() < 0.25 * np.abs(chroma(painted) - chroma(frame)).mean()
    luma = cv2.cvtColor(painted, cv2.COLOR_BGR2GRAY).astype(int)
    assert np.abs(cv2.cvtColor(kept, cv2.COLOR_BGR2GRAY).astype(int) - luma).mean() < 6  # the style's light


def test_style_dir_and_mix_errors(style_dir, tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), pattern_frame(0, 64, 48))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a picture")
    cases = [
        (("--style-dir", str(empty)), "has no pictures"),
        (("--style-dir", str(tmp_path / "nowhere")), "is not a folder"),
        (("--mix", "0.3"), "--mix blends two styles"),
        (("--style", "warm,cool"), "only two pictures (--style a.jpg,b.jpg --mix 0.3) or two styles of one pack"),
        (("--mix", "1.5", "--style", "a.png,b.png"), "must be between 0 and 1"),
    ]
    for extra, message in cases:
        out = tmp_path / "out.png"
        result = run_cli("--input", str(photo), "--output", str(out), *extra, checkpoints=style_dir)
        assert result.returncode == 2 and message in result.stderr, (extra, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()
