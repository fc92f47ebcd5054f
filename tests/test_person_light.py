"""The rim light in a dim room (engine/person_light.py): the outline is drawn where person and room merge, and
only there; a lit frame is left as it was, without running the segmenter."""
from __future__ import annotations

import cv2
import numpy as np
import skimage
import torch

from realtime.engine.person_light import SEPARATION, dimness, luma, with_rim_light
from realtime.engine.style_engine import StyleEngine
from realtime.look import Look
from realtime.styles.registry import StyleRegistry


def figure(person_level: float, room_level: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A painted frame (1 x 3 x 120 x 160) of a grey disc on a grey room, with the disc's mask, and a few light and
    dark strokes elsewhere for the painting's colours."""
    alpha = torch.zeros(1, 1, 120, 160)
    y, x = torch.meshgrid(torch.arange(120), torch.arange(160), indexing="ij")
    alpha[0, 0][(y - 60) ** 2 + (x - 80) ** 2 < 35 ** 2] = 1.0
    painted = room_level + (person_level - room_level) * alpha.expand(1, 3, 120, 160).clone()
    painted[..., :8, :] = torch.tensor([1.0, 0.9, 0.3]).view(1, 3, 1, 1)  # the painting's yellow
    painted[..., -8:, :] = torch.tensor([0.0, 0.05, 0.3]).view(1, 3, 1, 1)  # and its dark blue
    return painted, alpha


def across_outline(picture: torch.Tensor, alpha: torch.Tensor) -> float:
    """The brightness just inside the outline (3 pixels) less the brightness just outside."""
    mask = alpha[0, 0].numpy().astype(np.uint8)
    inside = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    outside = cv2.distanceTransform(1 - mask, cv2.DIST_L2, 3)
    brightness = luma(picture)[0, 0].numpy()
    return float(brightness[(mask == 1) & (inside <= 3)].mean() - brightness[(mask == 0) & (outside <= 3)].mean())


def test_a_figure_as_dark_as_the_room_gets_a_light_outline_and_nothing_else_changes():
    painted, alpha = figure(0.2, 0.2)
    lit = with_rim_light(painted, alpha, 1.0)
    assert across_outline(painted, alpha) == 0.0 and across_outline(lit, alpha) > SEPARATION
    far_inside = -torch.nn.functional.max_pool2d(-alpha, 31, stride=1, padding=15)
    untouched = (alpha == 0) | (far_inside == 1)
    assert torch.equal(lit[untouched.expand_as(lit)], painted[untouched.expand_as(painted)])
    assert torch.equal(with_rim_light(painted, alpha, 0.0), painted)


def test_against_a_light_room_the_outline_is_dark_and_a_figure_that_stands_out_keeps_its_edge():
    painted, alpha = figure(0.8, 0.8)
    assert across_outline(with_rim_light(painted, alpha, 1.0), alpha) < -SEPARATION
    apart, alpha = figure(0.7, 0.2)
    assert torch.allclose(with_rim_light(apart, alpha, 1.0), apart)


def test_the_light_is_on_in_a_dim_frame_only():
    assert dimness(torch.full((1, 3, 8, 8), 0.1)) == 1.0
    assert dimness(torch.full((1, 3, 8, 8), 0.5)) == 0.0
    assert 0.0 < dimness(torch.full((1, 3, 8, 8), 0.3)) < 1.0


def test_the_engine_lights_a_person_in_a_dim_frame_and_leaves_a_lit_frame_without_a_mask():
    registry = StyleRegistry()
    portrait = cv2.resize(skimage.data.astronaut()[:, :, ::-1], (256, 256))
    engine = StyleEngine(registry, torch.device("cpu"), "magenta", precision="fp32")
    lit_on, lit_off = (engine.process(portrait, Look("starry_night", person_light=light)) for light in (1.0, 0.0))
    assert np.array_equal(lit_on, lit_off) and engine._segmenter is None  # a lit frame: no mask made
    dim = (portrait * 0.15).astype(np.uint8)
    dim_on, dim_off = (engine.process(dim, Look("starry_night", person_light=light)) for light in (1.0, 0.0))
    changed = np.abs(dim_on.astype(int) - dim_off).max(axis=2) > 8
    assert engine._segmenter is not None and 0.002 < changed.mean() < 0.15  # a line along the outline, not a wash
