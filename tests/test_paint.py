"""`realtime paint` (Gatys et al.) with the real VGG-19: the loss goes down, the picture moves toward the
style, and bad input is one line with nothing written."""
from __future__ import annotations

import re

import cv2
import numpy as np
import skimage
from conftest import run_cli

from realtime.paint import PaintConfig, paint


def test_paint_lowers_its_loss_and_takes_the_styles_colours(tmp_path):
    photo, style = tmp_path / "photo.png", tmp_path / "style.png"
    cv2.imwrite(str(photo), skimage.data.astronaut()[:, :, ::-1])
    stripes = np.full((96, 96, 3), (40, 30, 200), np.uint8)
    stripes[::6] = (20, 200, 250)
    cv2.imwrite(str(style), stripes)
    painting = paint(PaintConfig(content=photo, style=style, size=64, steps=30), progress=False)
    assert painting.image.shape == (64, 64, 3)
    assert painting.losses[-1] < 0.5 * painting.losses[0]
    start = cv2.resize(cv2.imread(str(photo)), (64, 64), interpolation=cv2.INTER_AREA)
    style_colour = stripes.reshape(-1, 3).mean(axis=0)

    def colour_distance(image: np.ndarray) -> float:
        return float(np.abs(image.reshape(-1, 3).mean(axis=0) - style_colour).sum())

    assert colour_distance(painting.image) < 0.85 * colour_distance(start)
    kept = paint(PaintConfig(content=photo, style=style, size=64, steps=30, keep_colors=True), progress=False)
    assert colour_distance(kept.image) > 0.9 * colour_distance(start)  # the photo's colours stay


def test_the_progress_bar_ends_on_the_written_pictures_loss(tmp_path, capsys):
    """The bar, the summary line (losses[-1]) and the written picture agree: the optimiser scores the
    picture in [0, 1], as it is written, so its clamped result is as good as the best step it took."""
    photo, style = tmp_path / "photo.png", tmp_path / "style.png"
    cv2.imwrite(str(photo), skimage.data.astronaut()[:, :, ::-1])
    cv2.imwrite(str(style), skimage.data.coffee()[:, :, ::-1])
    painting = paint(PaintConfig(content=photo, style=style, size=48, steps=12))
    shown = re.findall(r"loss=([0-9.]+)", capsys.readouterr().err)
    assert shown[-1] == f"{painting.losses[-1]:.3f}"
    assert painting.losses[-1] <= min(painting.losses[:-1]) * (1 + 1e-4)


def test_paint_bad_input_is_one_line(tmp_path):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), skimage.data.astronaut()[:, :, ::-1])
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"not a picture")
    cases = [
        (["--style", str(tmp_path / "gone.jpg")], "style picture not found"),
        (["--style", str(fake)], "cannot decode style picture"),
        (["--style", str(photo), "--output", str(tmp_path / "out.mp4")], "paint writes an image"),
        (["--style", str(photo), "--size", "8"], "too small"),
    ]
    for extra, message in cases:
        args = ["paint", "--content", str(photo), "--output", str(tmp_path / "out.png"), "--steps", "2", *extra]
        if "--output" in extra:
            args = ["paint", "--content", str(photo), "--steps", "2", *extra]
        result = run_cli(*args)
        assert result.returncode == 2 and message in result.stderr, (extra, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
        assert not list(tmp_path.glob("out.*"))
