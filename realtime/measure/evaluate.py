"""`realtime eval temporal`, and the measures the other evaluations share.

The warping error of Lai et al. (2018): optical flow (OpenCV DIS) on the source frames warps
the previous output onto the current one, and the mean squared difference over pixels that
stay visible (forward-backward flow check) is the flicker. The same measure on the source
itself is the floor. The person mask's flicker is measured the same way (mean absolute
change), with and without smoothing. `eval segmentation` is in segmentation_eval.py.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from realtime.engine.segmenters import Segmenter
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor
from realtime.look import Look, MaskSettings


@dataclass
class Spread:
    mean: float
    std: float
    minimum: float

    @staticmethod
    def of(values: list[float]) -> Spread:
        return Spread(statistics.fmean(values), statistics.pstdev(values), min(values))

    def __str__(self) -> str:
        return f"{self.mean:.4f} (std {self.std:.4f}, min {self.minimum:.4f})"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


FLOW_METHODS = ("dis", "farneback")


class FlowWarper:
    """Warps the previous frame's pixels onto the current frame along the source's optical flow: OpenCV's DIS
    (medium preset), or Farneback's, a second opinion for what itself follows DIS flow (engine/stabilizer.py)."""

    def __init__(self, method: str = "dis", remember: bool = False) -> None:
        self.method = method
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        # remember: keep each pair's result, for a clip measured many times (one entry holds its frames,
        # so an id is never reused while its entry lives)
        self.remembered: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]] | None = \
            {} if remember else None

    def flow(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """For each pixel of the grey picture `first`, where it is in `second`."""
        if self.method == "farneback":
            return cv2.calcOpticalFlowFarneback(first, second, None, 0.5, 4, 15, 3, 5, 1.1, 0)
        return self.dis.calc(first, second, None)

    def pair(self, previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(map for cv2.remap taking previous -> current, mask of pixels visible in both)."""
        if self.remembered is None:
            return self.computed_pair(previous, current)
        key = (id(previous), id(current))
        if key not in self.remembered:
            self.remembered[key] = (previous, current, self.computed_pair(previous, current))
        return self.remembered[key][2]

    def computed_pair(self, previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gray_prev, gray_cur = (cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in (previous, current))
        backward = self.flow(gray_cur, gray_prev)  # current pixel -> where it was
        forward = self.flow(gray_prev, gray_cur)
        height, width = gray_cur.shape
        grid = np.dstack(np.meshgrid(np.arange(width), np.arange(height))).astype(np.float32)
        where_before = grid + backward
        forward_there = cv2.remap(forward, where_before[..., 0], where_before[..., 1], cv2.INTER_LINEAR)
        # Visible in both frames when going back and forth returns to the start (Sundaram et al. 2010).
        round_trip = np.sum((backward + forward_there) ** 2, axis=2)
        size = np.sum(backward ** 2, axis=2) + np.sum(forward_there ** 2, axis=2)
        inside = (where_before[..., 0] >= 0) & (where_before[..., 0] <= width - 1) & \
                 (where_before[..., 1] >= 0) & (where_before[..., 1] <= height - 1)
        return where_before, (round_trip < 0.01 * size + 0.5) & inside


def warping_error(frames: list[np.ndarray], outputs: list[np.ndarray], warper: FlowWarper,
                  squared: bool = True, edges_only: bool = False) -> float:
    """Mean (squared) difference between each output and the previous one warped onto it.
    edges_only: only where the output (a mask) is neither clearly 0 nor clearly 1."""
    errors = []
    for index in range(1, len(frames)):
        where, visible = warper.pair(frames[index - 1], frames[index])
        warped = cv2.remap(outputs[index - 1], where[..., 0], where[..., 1], cv2.INTER_LINEAR)
        difference = (outputs[index].astype(np.float32) - warped.astype(np.float32)) / 255.0
        difference = difference ** 2 if squared else np.abs(difference)
        if difference.ndim == 3:
            difference = difference.mean(axis=2)
        if edges_only:
            band = cv2.dilate(((outputs[index] > 12) & (outputs[index] < 243)).astype(np.uint8), np.ones((5, 5), np.uint8))
            visible = visible & (band > 0)
        if visible.any():
            errors.append(float(difference[visible].mean()))
    return statistics.fmean(errors) if errors else 0.0


def read_clip(path: Path, max_frames: int, size: tuple[int, int] | None) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if size else frame)
    capture.release()
    if len(frames) < 2:
        raise UserError(f"cannot read two frames from {path}; use a playable video file")
    return frames


def mask_sequence(segmenter: Segmenter, frames: list[np.ndarray], settings: MaskSettings) -> list[np.ndarray]:
    masks, previous = [], None
    with torch.no_grad():
        for frame in frames:
            alpha, previous = segmenter.alpha(bgr_to_tensor(frame), settings, previous)
            masks.append((alpha[0, 0].numpy() * 255).astype(np.uint8))
    return masks


def report_temporal(clip: Path, engine: StyleEngine, style: str, max_frames: int,
                    size: tuple[int, int] | None) -> tuple[dict, str]:
    """The scores (for --json) and the text report."""
    frames = read_clip(clip, max_frames, size)
    warper = FlowWarper()
    with torch.no_grad():
        outputs = [engine.process(frame, Look(style)) for frame in frames]
    source_error = warping_error(frames, frames, warper)
    styled_error = warping_error(frames, outputs, warper)
    height, width = frames[0].shape[:2]
    segmenter = engine.segmenter(width, height)
    raw_settings = MaskSettings(**{**vars(engine.mask_settings), "smoothing": 0.0})
    masks = {"smoothed": mask_sequence(segmenter, frames, engine.mask_settings),
             "unsmoothed": mask_sequence(segmenter, frames, raw_settings)}
    flicker = {(name, edges): warping_error(frames, sequence, warper, squared=False, edges_only=edges)
               for name, sequence in masks.items() for edges in (False, True)}
    scores = {"input": str(clip), "size": [width, height], "frames": len(frames), "style": style, "model": engine.model,
              "device": str(engine.device), "source_warping_error": source_error, "stylized_warping_error": styled_error,
              "mask_flicker": {name: {"whole": flicker[name, False], "edges": flicker[name, True]} for name in masks}}
    return scores, "\n".join([
        f"temporal stability of {clip.name}: {len(frames)} frames at {width}x{height}",
        f"warping error (mean squared, visible pixels): source {source_error:.5f}; "
        f"stylized ({style}, {engine.model}) {styled_error:.5f} = {styled_error / max(source_error, 1e-9):.2f}x the source",
        f"mask flicker (mean |change| after warping), whole frame: smoothed {flicker['smoothed', False]:.5f}; "
        f"unsmoothed {flicker['unsmoothed', False]:.5f}",
        f"mask flicker along the mask's edges: smoothed {flicker['smoothed', True]:.5f}; "
        f"unsmoothed {flicker['unsmoothed', True]:.5f}",
    ])
