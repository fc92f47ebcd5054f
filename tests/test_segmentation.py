"""Person segmentation: parity with MediaPipe, accuracy, exact compositing, steady masks."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from conftest import shared_data

from realtime.engine.composite import BackgroundLayer, compose
from realtime.engine.person_mask import GENERAL, LANDSCAPE, PersonSegmenter
from realtime.engine.style_engine import Masking, StyleEngine
from realtime.look import Background, Look, MaskSettings
from realtime.measure.segmentation_eval import accuracy, boundary_f, dice, parity
from realtime.styles.registry import StyleRegistry

MODELS = {"general": GENERAL, "landscape": LANDSCAPE}
# Measured on the 264 portraits (docs/segmentation.md); a drop below these is a regression.
ACCURACY_FLOOR = {"general": 0.955, "landscape": 0.950}


@pytest.mark.parametrize("model", MODELS)
def test_port_matches_mediapipe_on_every_portrait(model):
    pytest.importorskip("mediapipe", reason="parity needs the test extra (mediapipe==0.10.14)")
    scores = parity(shared_data("portraits"), landscape=model == "landscape")
    assert scores["iou"].mean >= 0.99
    assert scores["mean_abs_difference"].mean <= 0.01


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
def test_accuracy_against_ground_truth(model):
    scores = accuracy(shared_data("portraits"), MODELS[model])
    assert scores.raw_iou.mean >= ACCURACY_FLOOR[model]
    assert scores.iou.mean >= scores.raw_iou.mean - 0.002  # refining never costs accuracy
    assert 0.5 < scores.boundary_f.mean < scores.dice.mean  # outlines are harder than areas


def disc(shift: int = 0, radius: int = 30) -> np.ndarray:
    mask = np.zeros((120, 160), np.uint8)
    cv2.circle(mask, (80 + shift, 60), radius, 1, -1)
    return mask > 0


def test_boundary_f_forgives_small_shifts_of_the_outline_but_not_large_ones():
    assert boundary_f(disc(), disc()) == 1.0
    assert boundary_f(disc(2), disc()) > 0.95  # within the 3 px tolerance
    assert boundary_f(disc(12), disc()) < 0.5
    # A ragged edge costs F far more than Dice: the same disc with 6 px deep teeth, one pixel wide, on its outline.
    ragged = disc().copy()
    ragged[::2, :] = disc(radius=24)[::2, :]
    assert boundary_f(ragged, disc()) < 0.75 < 0.85 < dice(ragged, disc())
    assert boundary_f(np.zeros((8, 8), bool), np.zeros((8, 8), bool)) == 1.0
    assert boundary_f(disc(), np.zeros_like(disc())) == 0.0


def test_shipped_weights_are_the_converted_mediapipe_models(tmp_path):
    pytest.importorskip("tflite", reason="the converter needs the test extra (tflite)")
    pytest.importorskip("mediapipe", reason="the converter reads the mediapipe==0.10.14 wheel")
    from tools.port_segmentation import main

    main(tmp_path)
    for shipped in (GENERAL, LANDSCAPE):
        fresh = torch.load(tmp_path / shipped.name, weights_only=True)
        stored = torch.load(shipped, weights_only=True)
        assert fresh["ops"] == stored["ops"] and "Apache" in stored["license"]
        for key, value in stored["state_dict"].items():
            assert torch.equal(value, fresh["state_dict"][key]), key


def frame_and_styled():
    torch.manual_seed(0)
    return torch.rand(1, 3, 24, 32), torch.rand(1, 3, 24, 32)


@pytest.mark.parametrize("weights", [GENERAL, LANDSCAPE])
def test_masks_hold_no_denormal_numbers(weights):
    """MediaPipe's logits reach +-1000, so their sigmoid gives numbers below float32's normal range, which a
    CPU computes many times slower; the mask step must never carry them (it took 1.6x as long)."""
    image = cv2.imread(str(next((shared_data("portraits") / "images").glob("*.jpg"))))
    rgb = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255
    segmenter = PersonSegmenter(torch.device("cpu"), weights=weights)
    with torch.no_grad():
        probability = segmenter.probabilities(rgb)
        alpha, smoothed = segmenter.alpha(rgb, MaskSettings(), probability)
    tiny = torch.finfo(torch.float32).tiny
    assert probability.max() > 0.99 and probability.min() < 0.01  # a person and a background
    for values in (probability, smoothed, alpha):
        assert not ((values != 0) & (values.abs() < tiny)).any()


@pytest.mark.parametrize("stylize", ["all", "person", "background"])
def test_compositing_is_exact_on_synthetic_masks(stylize):
    original, styled = frame_and_styled()
    person = styled if stylize in ("all", "person") else original
    behind = styled if stylize in ("all", "background") else original
    ones, zeros, half = (torch.full((1, 1, 24, 32), v) for v in (1.0, 0.0, 0.5))
    assert torch.equal(compose(original, styled, ones, stylize, None), person)
    assert torch.equal(compose(original, styled, zeros, stylize, None), behind)
    assert torch.allclose(compose(original, styled, half, stylize, None), (person + behind) / 2)


def test_replaced_background_shows_where_the_mask_is_zero():
    original, styled = frame_and_styled()
    zeros, ones = torch.zeros(1, 1, 24, 32), torch.ones(1, 1, 24, 32)
    layer = BackgroundLayer().render(Background.parse("color:#ff8000"), original, zeros)
    out = compose(original, styled, zeros, "person", layer)
    assert torch.allclose(out[0, :, 5, 5], torch.tensor([1.0, 128 / 255, 0.0]))
    assert torch.equal(compose(original, styled, ones, "person", layer), styled)


def test_background_blur_does_not_bleed_the_person_in():
    frame = torch.zeros(1, 3, 64, 64)
    alpha = torch.zeros(1, 1, 64, 64)
    frame[..., 16:48, 16:48] = 1.0  # a white person on a black background
    alpha[..., 16:48, 16:48] = 1.0
    blurred = BackgroundLayer().render(Background("blur"), frame, alpha)
    assert blurred.max() < 0.02  # the background stays black: no white halo


def test_smoothing_converges_on_a_static_scene_and_resets_on_a_cut():
    segmenter = PersonSegmenter(torch.device("cpu"), torchscript=False)
    settings = MaskSettings()
    scene = torch.rand(1, 1, 32, 32)
    steady = None
    for _ in range(30):
        steady = segmenter.smooth(scene, settings, steady)
    assert torch.allclose(steady, scene, atol=1e-3)  # converges to the static scene
    cut = 1 - scene
    assert torch.allclose(segmenter.smooth(cut, settings, steady), cut)  # the cut resets at once: nothing of the old scene lingers


def test_smoothing_steadies_unsure_pixels_but_not_confident_ones():
    segmenter = PersonSegmenter(torch.device("cpu"), torchscript=False)
    settings = MaskSettings()
    previous = segmenter.smooth(torch.full((1, 1, 8, 16), 0.5), settings, None)
    # Left quarter: the new frame is sure (an arm moved in); the rest wavers a little.
    new = torch.cat([torch.full((1, 1, 8, 4), 0.999), torch.full((1, 1, 8, 12), 0.6)], dim=3)
    out = segmenter.smooth(new, settings, previous)
    assert torch.allclose(out[..., :4], new[..., :4], atol=0.015)  # confident: follows at once, no smear
    assert (out[..., 4:] - 0.5).abs().max() < 0.02  # unsure: stays near the previous value


def test_engine_stylizes_only_the_person(style_dir):
    image = cv2.imread(str(shared_data("portraits/images") / "pfcn_00002.jpg"))
    truth = cv2.imread(str(shared_data("portraits/masks") / "pfcn_00002.png"), cv2.IMREAD_GRAYSCALE) > 127
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite")
    out = engine.process(image, Look("warm", stylize="person")).astype(int)
    changed = np.abs(out - image.astype(int)).mean(axis=2) > 30
    inner_background = cv2.erode((~truth).astype(np.uint8), np.ones((25, 25), np.uint8)) > 0
    inner_person = cv2.erode(truth.astype(np.uint8), np.ones((25, 25), np.uint8)) > 0
    assert changed[inner_person].mean() > 0.9
    assert changed[inner_background].mean() < 0.05
    assert engine.segmenter(image.shape[1], image.shape[0]).input_size == (256, 256)
    assert engine.segmenter(640, 360).input_size == (144, 256)  # wide frames use the landscape model


# A new segmenter's file: the left half of every frame is the person, whatever its shape.
HALF_SEGMENTER = '''
import torch

class LeftHalf:
    def alpha(self, rgb, settings, previous=None):
        alpha = torch.zeros_like(rgb[:, :1])
        alpha[..., : rgb.shape[-1] // 2] = 1
        return alpha, alpha

class Choice:
    def for_frame(self, width, height):
        return LeftHalf()

def left_half(device, dtype, torchscript):
    return Choice()
'''


def test_a_new_segmenter_is_a_module_and_a_row(style_dir, tmp_path, monkeypatch):
    """--segmenter NAME finds any factory in engine/segmenters.py's table; the engine asks it only for alpha."""
    from realtime.engine.segmenters import SEGMENTERS

    (tmp_path / "half_segmenter.py").write_text(HALF_SEGMENTER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(SEGMENTERS, "half", "half_segmenter:left_half")
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", masking=Masking("half"))
    image = np.full((48, 64, 3), 128, np.uint8)
    out = engine.process(image, Look("warm", stylize="person")).astype(int)
    assert (out[:, 32:] == 128).all() and np.abs(out[:, :32] - 128).mean() > 10
