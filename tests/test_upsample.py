"""The ways back to full size after a smaller inference: edge-aware ones keep the frame's edges crisp
where bilinear blurs them, and leave flat areas as bilinear has them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from realtime.engine.composite import LUMA, luma
from realtime.engine.resize import bilinear
from realtime.engine.style_engine import StyleEngine
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
        engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", inference_size=(80, 44),
                             upsample_mode=mode)
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
