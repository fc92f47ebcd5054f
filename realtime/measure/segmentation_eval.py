"""`realtime eval segmentation`: how good and how steady each segmenter's person masks are.

Against ground truth (DIR/images/NAME.jpg with DIR/masks/NAME.png), every picture sampled as
the app samples a frame:
- IoU and Dice of the raw mask (the network's probability upsampled bilinearly, > 0.5) and of
  the app's refined mask (guided upsampling, threshold and feather);
- the boundary F-score of the refined mask (as in the DAVIS benchmark, Perazzi et al. 2016): an
  outline pixel is matched when the other mask's outline passes within BOUNDARY_TOLERANCE pixels;
  F is the harmonic mean of the share of predicted outline that is matched (precision) and of
  true outline that is matched (recall). IoU hardly notices a ragged or shifted edge; F does.
- the time a frame, in this process: the app's whole mask step on a 640x360 frame.
Flicker, on clips: the mean change of the app's mask (with its temporal smoothing) between
frames after warping along the source's optical flow, as `eval temporal` measures it, over the
whole frame and along the mask's edges. Every segmenter sees the same frames at its own input size.
Parity: with mediapipe==0.10.14 installed, the port against MediaPipe's own runtime.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from realtime.engine.person_mask import GENERAL, LANDSCAPE, PersonSegmenter
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor
from realtime.look import MaskSettings
from realtime.measure.evaluate import FlowWarper, Spread, iou, mask_sequence, read_clip, warping_error
from realtime.portraits import portrait_pairs, read_portrait

BOUNDARY_TOLERANCE = 3  # pixels
TIMING_SIZE = (640, 360)
TIMING_RUNS = 20


def dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return float(2 * np.logical_and(a, b).sum() / total) if total else 1.0


def outline(mask: np.ndarray) -> np.ndarray:
    """The mask's inner edge: its pixels with a neighbour outside it."""
    mask = mask.astype(np.uint8)
    return (mask - cv2.erode(mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)) > 0


def boundary_f(predicted: np.ndarray, truth: np.ndarray, tolerance: int = BOUNDARY_TOLERANCE) -> float:
    edge, true_edge = outline(predicted), outline(truth)
    if not edge.any() and not true_edge.any():
        return 1.0
    if not edge.any() or not true_edge.any():
        return 0.0

    def near(edge_pixels: np.ndarray) -> np.ndarray:  # within tolerance of those pixels
        return cv2.distanceTransform((~edge_pixels).astype(np.uint8), cv2.DIST_L2, 3) <= tolerance

    precision = float(near(true_edge)[edge].mean())
    recall = float(near(edge)[true_edge].mean())
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Accuracy:
    raw_iou: Spread
    iou: Spread  # the refined mask's, as are the two below
    dice: Spread
    boundary_f: Spread


def accuracy(data: Path, weights: Path) -> Accuracy:
    segmenter = PersonSegmenter(torch.device("cpu"), weights=weights)
    scores: dict[str, list[float]] = {"raw_iou": [], "iou": [], "dice": [], "boundary_f": []}
    for image_path, mask_path in portrait_pairs(data):
        portrait = read_portrait(image_path, mask_path)
        truth = portrait.mask > 0.5
        raw = port_probability(segmenter, portrait.image) > 0.5
        refined = app_alpha(segmenter, portrait.image) > 0.5
        for name, value in (("raw_iou", iou(raw, truth)), ("iou", iou(refined, truth)),
                            ("dice", dice(refined, truth)), ("boundary_f", boundary_f(refined, truth))):
            scores[name].append(value)
    return Accuracy(**{name: Spread.of(values) for name, values in scores.items()})


def port_probability(segmenter: PersonSegmenter, image: np.ndarray) -> np.ndarray:
    """The network's probability at the image's size, upsampled as MediaPipe does (bilinear)."""
    with torch.no_grad():
        probability = segmenter.probabilities(bgr_to_tensor(image))
        full = F.interpolate(probability, size=image.shape[:2], mode="bilinear", align_corners=False)
    return full[0, 0].numpy()


def app_alpha(segmenter: PersonSegmenter, image: np.ndarray) -> np.ndarray:
    with torch.no_grad():  # single images: no previous mask
        return segmenter.alpha(bgr_to_tensor(image), MaskSettings())[0][0, 0].numpy()


def milliseconds_a_frame(weights: list[Path]) -> list[float]:
    """Median time of the app's mask step (network, smoothing, guided upsampling) on a 640x360 frame, for each
    segmenter; their runs take turns, so a machine busy for a moment slows them all alike."""
    segmenters = [PersonSegmenter(torch.device("cpu"), weights=path) for path in weights]
    frame = bgr_to_tensor(np.random.default_rng(0).integers(0, 256, (*TIMING_SIZE[::-1], 3), dtype=np.uint8))
    times: list[list[float]] = [[] for _ in segmenters]
    with torch.no_grad():
        for run in range(TIMING_RUNS + 3):  # the first runs warm TorchScript up
            for segmenter, kept in zip(segmenters, times):
                started = time.perf_counter()
                segmenter.alpha(frame, MaskSettings())
                if run >= 3:
                    kept.append(time.perf_counter() - started)
    return [1000 * statistics.median(kept) for kept in times]


class ClipFlicker:
    """Mask flicker on a few clips; their frames are read, and their flow computed, once for every segmenter."""

    def __init__(self, clips: list[Path], max_frames: int, size: tuple[int, int]):
        self.warper = FlowWarper(remember=True)
        self.clips = [read_clip(clip, max_frames, size) for clip in clips]

    def of(self, weights: Path) -> tuple[float, float]:
        """(whole frame, along the edges): the mean over the clips of the app's mask flicker."""
        segmenter = PersonSegmenter(torch.device("cpu"), weights=weights)
        whole, edges = [], []
        for frames in self.clips:
            masks = mask_sequence(segmenter, frames, MaskSettings())
            whole.append(warping_error(frames, masks, self.warper, squared=False))
            edges.append(warping_error(frames, masks, self.warper, squared=False, edges_only=True))
        return statistics.fmean(whole), statistics.fmean(edges)


def parity(data: Path, landscape: bool) -> dict[str, Spread]:
    """The port against MediaPipe's own runtime (needs mediapipe==0.10.14)."""
    try:
        from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation
    except ImportError as exc:
        raise UserError("parity needs mediapipe==0.10.14: pip install -e '.[test]'") from exc
    segmenter = PersonSegmenter(torch.device("cpu"), weights=LANDSCAPE if landscape else GENERAL)
    ious, differences = [], []
    with SelfieSegmentation(model_selection=int(landscape)) as reference:
        for image_path, _ in portrait_pairs(data):
            image = cv2.imread(str(image_path))
            expected = reference.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).segmentation_mask
            ours = port_probability(segmenter, image)
            ious.append(iou(ours > 0.5, expected > 0.5))
            differences.append(float(np.abs(ours - expected).mean()))
    return {"iou": Spread.of(ious), "mean_abs_difference": Spread.of(differences)}


def report_segmentation(data: Path, segmenters: dict[str, Path], clips: list[Path], with_parity: bool,
                        max_frames: int = 40, size: tuple[int, int] = TIMING_SIZE) -> tuple[dict, str]:
    """The scores (for --json), and the text: a markdown table, one row a segmenter (label -> checkpoint),
    and the parity lines."""
    count = len(portrait_pairs(data))
    flicker = ClipFlicker(clips, max_frames, size) if clips else None
    lines = [f"person segmentation on {count} pictures of {data}; flicker on "
             f"{', '.join(clip.name for clip in clips) or 'no clips'} ({max_frames} frames at {size[0]}x{size[1]})",
             "", "| segmenter | IoU raw | IoU | Dice | boundary F (3 px) | ms a 640x360 frame | flicker | flicker at edges |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    milliseconds = milliseconds_a_frame(list(segmenters.values()))
    scored: dict[str, dict] = {}
    for (label, weights), frame_ms in zip(segmenters.items(), milliseconds):
        scores = accuracy(data, weights)
        whole, edges = flicker.of(weights) if flicker else (None, None)
        scored[label] = {"checkpoint": str(weights), **{name: asdict(spread) for name, spread in vars(scores).items()},
                         "ms_a_frame": frame_ms, "flicker": whole, "flicker_at_edges": edges}
        lines.append(f"| {label} | {scores.raw_iou.mean:.4f} | {scores.iou.mean:.4f} (min {scores.iou.minimum:.3f}) | "
                     f"{scores.dice.mean:.4f} | {scores.boundary_f.mean:.4f} | {frame_ms:.1f} | "
                     + (f"{whole:.5f} | {edges:.5f} |" if flicker else "- | - |"))
    parities = {}
    if with_parity:
        for label, landscape in (("general", False), ("landscape", True)):
            match = parity(data, landscape)
            parities[label] = {name: asdict(spread) for name, spread in match.items()}
            lines.append(f"\nparity of the {label} port with MediaPipe: IoU {match['iou']}; "
                         f"mean |difference| {match['mean_abs_difference']}")
    return {"input": str(data), "frames": count, "clips": [str(clip) for clip in clips],
            "segmenters": scored, "parity": parities}, "\n".join(lines)
