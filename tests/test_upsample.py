"""The ways back to full size after a smaller inference: edge-aware ones keep the frame's edges crisp
where bilinear blurs them, and leave flat areas as bilinear has them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from realtime.engine import guided_filter as guided_filter_module
from realtime.engine import person_mask
from realtime.engine.composite import LUMA, luma
from realtime.engine.guided_filter import box_mean
from realtime.engine.resize import bilinear
from realtime.engine.style_engine import Sizes, StyleEngine
from realtime.engine.upsample import upsample
from realtime.look import Look
from realtime.settings import UPSAMPLE_MODES
from realtime.styles.registry import StyleRegistry


def step_edge(width: int, height: int) -> torch.Tensor:
    frame = torch.full((1, 3, height, width), 0.2)
    frame[..., width // 2 + 1:] = 0.8  # an edge between pixels that the half-size copy cannot hold
    return frame


def edge_width(row: torch.Tensor) -> int:
    """How many pixels the 20 %-80 % rise between the row's two flat ends takes."""
    low, high = row[:5].mean(), row[-5:].mean()
    rising = (row > low + 0.2 * (high - low)) & (row < low + 0.8 * (high - low))
    return int(rising.sum())


@pytest.mark.parametrize("mode", ["guided", "detail"])
def test_edge_aware_modes_keep_the_frames_edge_crisp(mode):
    frame = step_edge(65, 32)
    small = F.interpolate(frame, size=(16, 32), mode="bilinear", antialias=True, align_corners=False)
    styled = small * 0.5 + 0.25  # a "style" that keeps the edge, at the network's size
    sharp = upsample(mode, styled, small, frame)[0, 0, 16]
    soft = upsample("bilinear", styled, small, frame)[0, 0, 16]
    assert edge_width(sharp) < edge_width(soft)
    assert torch.allclose(sharp[:20], soft[:20], atol=0.02) and torch.allclose(sharp[-20:], soft[-20:], atol=0.02)


def test_every_mode_runs_in_the_engine_at_a_smaller_inference_size(style_dir):
    frame = np.zeros((90, 160, 3), np.uint8)
    frame[:, 80:] = 200
    for mode in UPSAMPLE_MODES:
        engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", sizes=Sizes(inference=(80, 44), upsample=mode))
        out = engine.process(frame, Look("warm"))
        assert out.shape == frame.shape
        assert engine.inference_size(160, 90) == (80, 44)


@pytest.mark.parametrize("channels", [1, 2, 3, 6])
@pytest.mark.parametrize("source, target", [((9, 16), (72, 128)), ((72, 128), (9, 16)), ((1, 1), (3, 5)), ((5, 3), (1, 1))])
def test_bilinear_resizing_is_torchs_in_every_layout(channels, source, target):
    """OpenCV resizes on a CPU (resize.py): the same pixels as F.interpolate, whatever the input's memory layout."""
    torch.manual_seed(0)
    x = torch.rand(1, channels, *source)
    expected = F.interpolate(x, size=target, mode="bilinear", align_corners=False)
    for layout in (torch.contiguous_format, torch.channels_last):
        resized = bilinear(x.contiguous(memory_format=layout), target)
        assert resized.shape == expected.shape
        torch.testing.assert_close(resized, expected, atol=1e-4, rtol=0)
    torch.testing.assert_close(bilinear(x.double(), target), expected.double())  # torch's own way for the rest


def test_luma_is_the_weighted_sum_in_every_layout():
    torch.manual_seed(0)
    rgb = torch.rand(1, 3, 17, 23)
    expected = (rgb * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    for layout in (torch.contiguous_format, torch.channels_last):
        torch.testing.assert_close(luma(rgb.contiguous(memory_format=layout)), expected)
    torch.testing.assert_close(luma(rgb.repeat(2, 1, 1, 1)), expected.repeat(2, 1, 1, 1))


def test_a_box_mean_wider_than_the_picture_stays_the_pictures_size():
    """A radius past the picture's side (a 4 px mask radius scaled onto a 1x1 photo) is clamped to the
    side, where the window already covers the whole picture; unclamped, this one would pad to 2e6 x 2e6."""
    torch.manual_seed(0)
    x = torch.rand(1, 2, 3, 5)
    whole_sides = F.avg_pool2d(F.pad(x, (4, 4, 2, 2), mode="replicate"), (5, 9), stride=1)  # radii 2 and 4
    torch.testing.assert_close(box_mean(x, 10**6), whole_sides)
    assert box_mean(torch.rand(1, 1, 1, 1), 10**6).shape == (1, 1, 1, 1)


@pytest.mark.parametrize("radius", [1, 4, 10**6])
def test_the_box_mean_and_the_guided_filter_are_the_same_with_opencv_and_with_torch(radius):
    """On a CPU the box means are OpenCV's box filter (float32), elsewhere a convolution (here: float64)."""
    torch.manual_seed(0)
    x = torch.rand(1, 8, 17, 30)
    torch.testing.assert_close(box_mean(x, radius), box_mean(x.double(), radius).float(), atol=1e-5, rtol=0)
    source, guide, full_guide = torch.rand(1, 3, 17, 30), torch.rand(1, 1, 17, 30), torch.rand(1, 1, 34, 60)
    on_host = guided_filter_module.guided_filter(source, guide, full_guide, radius, 1e-3)
    elsewhere = guided_filter_module.guided_filter(source.double(), guide.double(), full_guide.double(), radius, 1e-3)
    torch.testing.assert_close(on_host, elsewhere.float(), atol=1e-4, rtol=0)


@pytest.mark.parametrize("size", [(1, 1), (2, 2), (4, 4), (16, 16), (1, 300), (300, 1), (360, 640)])
def test_the_person_masks_guided_filter_works_at_most_at_the_pictures_size(monkeypatch, size):
    """The 256 px mask's filter runs at the mask's size or the picture's, whichever is smaller, with a
    radius no larger than asked for: its cost follows the picture and cannot explode for a tiny one."""
    boxes = []

    def recording_box_mean(x: torch.Tensor, radius: int) -> torch.Tensor:
        boxes.append((tuple(x.shape[-2:]), radius))
        return box_mean(x, radius)

    monkeypatch.setattr(guided_filter_module, "box_mean", recording_box_mean)
    mask, guide = torch.rand(1, 1, 256, 256), torch.rand(1, 1, *size)
    alpha = person_mask.guided_upsample(mask, guide, radius=4, eps=1e-3)
    assert alpha.shape == guide.shape and 0 <= alpha.min() and alpha.max() <= 1
    assert boxes and all(h <= min(256, size[0]) and w <= min(256, size[1]) and radius <= 4
                         for (h, w), radius in boxes)
