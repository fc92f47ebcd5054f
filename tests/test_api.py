"""The Python API (realtime.Stylizer): pictures in as paths, arrays or PIL images and back as the same kind,
every look option, streams that never mix, and one-line errors for bad input."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import pattern_frame, real_photo
from PIL import Image

from realtime import Stylizer
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.look import Look
from realtime.styles.registry import StyleRegistry


@pytest.fixture(scope="module")
def stylizer(style_dir) -> Stylizer:
    return Stylizer("warm", device="cpu", checkpoints=style_dir, precision="fp32")


def test_it_stylizes_as_the_engine_does_and_gives_back_the_kind_it_was_given(stylizer, style_dir, tmp_path):
    photo = real_photo(96, 64)
    expected = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "magenta", precision="fp32").process(
        photo, Look("warm"))
    assert np.array_equal(stylizer.stylize(photo), expected)  # BGR in, BGR out
    rgb = stylizer.stylize(np.ascontiguousarray(photo[..., ::-1]), order="rgb")
    assert np.array_equal(rgb, expected[..., ::-1])
    pil = stylizer.stylize(Image.fromarray(photo[..., ::-1]).convert("RGBA"))
    assert isinstance(pil, Image.Image) and pil.mode == "RGB"
    assert np.array_equal(np.asarray(pil), expected[..., ::-1])
    cv2.imwrite(str(tmp_path / "photo.png"), photo)
    written = stylizer.stylize(tmp_path / "photo.png")
    assert written == tmp_path / "photo_warm.png"  # as `realtime run --input photo.png` names it
    assert np.array_equal(cv2.imread(str(written)), expected)
    assert stylizer.stylize(str(tmp_path / "photo.png"), output=tmp_path / "out.jpg") == tmp_path / "out.jpg"
    assert stylizer.styles() == ["cool", "warm"]


def test_the_look_options_are_the_command_lines(style_dir):
    photo = pattern_frame(2, 96, 64)
    assert np.array_equal(Stylizer("warm", device="cpu", checkpoints=style_dir, strength=0.0).stylize(photo), photo)
    kept = Stylizer("warm", device="cpu", checkpoints=style_dir, keep_colors=True, stylize="background",
                    background="color:#00ff00", mask_threshold=0.4, mask_feather=0.1, mask_smoothing=0.5)
    assert kept.look == Look("warm", stylize="background", background=kept.look.background, stabilize=0.95,
                             keep_colors=True)
    assert kept.engine.mask_settings.threshold == 0.4 and kept.engine.mask_settings.smoothing == 0.5
    assert kept.stylize(photo).shape == photo.shape


def test_two_streams_through_one_stylizer_give_the_frames_each_gives_alone(stylizer):
    rng, photo = np.random.default_rng(3), real_photo(128, 96)
    videos = [[np.roll(photo, 3 * index, axis=1) for index in range(5)]]
    videos.append([np.clip(frame.astype(int) + rng.integers(-10, 11, frame.shape), 0, 255).astype(np.uint8)
                   for frame in videos[0]])
    alone = [list(stylizer.stream(video)) for video in videos]
    first, second = stylizer.stream(videos[0]), stylizer.stream(videos[1])
    together = [[], []]
    for _ in range(5):
        together[0].append(next(first))
        together[1].append(next(second))
    for got, want in zip(together, alone):
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    assert not np.array_equal(alone[0][1], stylizer.stylize(videos[0][1]))  # the stream kept its last frame


def test_a_video_file_streams_its_frames(stylizer, clip):
    frames = list(stylizer.stream(clip))
    assert len(frames) == 36 and frames[0].shape == (96, 160, 3)


@pytest.mark.parametrize("make, message", [
    (lambda s: s.stylize(np.zeros((8, 8), np.uint8)), "uint8 H x W x 3"),
    (lambda s: s.stylize(np.zeros((8, 8, 3), np.float32)), "uint8 H x W x 3"),
    (lambda s: s.stylize([1, 2, 3]), "not list"),
    (lambda s: s.stylize(np.zeros((0, 0, 3), np.uint8)), r"shape \(0, 0, 3\) is empty"),
    (lambda s: s.stylize(np.zeros((8, 0, 3), np.uint8)), "is empty"),
    (lambda s: s.stylize("missing.jpg"), "input picture not found"),
    (lambda s: s.stylize(np.zeros((8, 8, 3), np.uint8), output="x.png"), "output= names the file"),
    (lambda s: s.stylize(np.zeros((8, 8, 3), np.uint8), order="bgra"), "order 'bgra'"),
])
def test_bad_input_is_one_line(stylizer, make, message):
    with pytest.raises(UserError, match=message) as caught:
        make(stylizer)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("options, message", [({"strength": 2.0}, "strength must be between 0 and 1"),
                                              ({"stylize": "face"}, "stylize 'face'"),
                                              ({"precision": "int4"}, "precision 'int4'"),
                                              ({"inference_size": "half"}, "inference_size 'half'"),
                                              ({"style": "no_such_style"}, "no_such_style")])
def test_bad_options_are_one_line(style_dir, options, message):
    with pytest.raises(UserError, match=message):
        Stylizer(**{"style": "warm", "device": "cpu", "checkpoints": style_dir, **options})
