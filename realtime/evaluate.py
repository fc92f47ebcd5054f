"""`realtime eval segmentation`: how good the person masks are.

Accuracy: IoU of the mask (probability > 0.5) against ground-truth masks
(DIR/images/NAME.jpg with DIR/masks/NAME.png), for the raw network output upsampled
bilinearly and for the app's refined mask (guided upsampling, threshold and feather).
Parity: with mediapipe==0.10.14 installed (the test extra), the same images through
MediaPipe's own runtime, compared with the port: IoU at 0.5 and mean absolute
difference of the probabilities.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from realtime.errors import UserError
from realtime.images import bgr_to_tensor, list_images
from realtime.segmentation import MaskSettings, PersonSegmenter

MODELS = {"general": False, "landscape": True}  # name -> landscape


@dataclass
class Spread:
    mean: float
    std: float
    minimum: float

    @staticmethod
    def of(values: list[float]) -> "Spread":
        return Spread(statistics.fmean(values), statistics.pstdev(values), min(values))

    def __str__(self) -> str:
        return f"{self.mean:.4f} (std {self.std:.4f}, min {self.minimum:.4f})"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def portrait_pairs(data: Path) -> list[tuple[Path, Path]]:
    images = list_images(data / "images")
    pairs = [(image, data / "masks" / f"{image.stem}.png") for image in images]
    missing = [mask for _, mask in pairs if not mask.is_file()]
    if not pairs or missing:
        raise UserError(f"{data} needs images/NAME.jpg with masks/NAME.png; missing: {missing[:3] or 'all'}")
    return pairs


def port_probability(segmenter: PersonSegmenter, image: np.ndarray) -> np.ndarray:
    """The port's probability at the image's size, upsampled as MediaPipe does (bilinear)."""
    with torch.no_grad():
        probability = segmenter.probabilities(bgr_to_tensor(image))
        full = F.interpolate(probability, size=image.shape[:2], mode="bilinear", align_corners=False)
    return full[0, 0].numpy()


def app_alpha(segmenter: PersonSegmenter, image: np.ndarray) -> np.ndarray:
    segmenter.reset()  # single images: no temporal history
    with torch.no_grad():
        return segmenter.alpha(bgr_to_tensor(image), MaskSettings())[0, 0].numpy()


def accuracy(data: Path, model: str) -> dict[str, Spread]:
    segmenter = PersonSegmenter(torch.device("cpu"), landscape=MODELS[model])
    raw, refined = [], []
    for image_path, mask_path in portrait_pairs(data):
        image = cv2.imread(str(image_path))
        truth = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) > 127
        raw.append(iou(port_probability(segmenter, image) > 0.5, truth))
        refined.append(iou(app_alpha(segmenter, image) > 0.5, truth))
    return {"raw": Spread.of(raw), "refined": Spread.of(refined)}


def parity(data: Path, model: str) -> dict[str, Spread]:
    """The port against MediaPipe's own runtime (needs mediapipe==0.10.14)."""
    try:
        from mediapipe.python.solutions.selfie_segmentation import SelfieSegmentation
    except ImportError as exc:
        raise UserError("parity needs mediapipe==0.10.14: pip install -e '.[test]'") from exc
    segmenter = PersonSegmenter(torch.device("cpu"), landscape=MODELS[model])
    ious, differences = [], []
    with SelfieSegmentation(model_selection=int(MODELS[model])) as reference:
        for image_path, _ in portrait_pairs(data):
            image = cv2.imread(str(image_path))
            expected = reference.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).segmentation_mask
            ours = port_probability(segmenter, image)
            ious.append(iou(ours > 0.5, expected > 0.5))
            differences.append(float(np.abs(ours - expected).mean()))
    return {"iou": Spread.of(ious), "mean_abs_difference": Spread.of(differences)}


def report_segmentation(data: Path, with_parity: bool) -> str:
    count = len(portrait_pairs(data))
    lines = [f"person segmentation on {count} images of {data}"]
    for model in MODELS:
        scores = accuracy(data, model)
        lines.append(f"{model:<10} IoU vs ground truth: raw {scores['raw']}; refined {scores['refined']}")
        if with_parity:
            match = parity(data, model)
            lines.append(f"{'':<10} parity with MediaPipe: IoU {match['iou']}; "
                         f"mean |difference| {match['mean_abs_difference']}")
    return "\n".join(lines)
