"""`realtime eval style`: does a style look like its painting, keep the photo's detail, and hold still?

Per style, over a few photos (scikit-image's by default, none of them in the training data):
- detail ratio: mean |Laplacian| of the grey image at 512 px wide, stylized over the photo.
  A blurred, colour-graded photo scores far below 1; painted strokes keep it near 1 or above
  (the published outputs of Johnson et al.'s networks score 0.95-1.75); noise raises it too.
- style distance: the training's style term measured on the result: Gram matrices of
  relu1_1..relu4_1 of the ImageNet VGG-19, each squared distance divided by the painting's
  mean square, summed (the painting and the result at 512 px on their long side). And the
  same at relu5_1 alone: the painting's large motifs (stars, waves, shapes), which no style
  term of training reaches.
- content distance: how far the result's relu3_1 features are from the photo's (squared
  distance over the photo's mean square, both at 512 px): whether the photo stays readable.
  A flat palette lowers the style distance too; this and the detail ratio catch it.
- flicker: the warping error of a stylized clip over the clip's own (as `eval temporal`), of
  the network alone and with the engine's stabilizer at its default (`--stabilize 0.9`). The
  stabilizer follows DIS optical flow itself, the measure's flow, which flatters it; so its
  flicker is also measured along Farneback's flow, a second opinion.
- detail kept: the stabilized clip's mean |Laplacian| over the same frames' with `--stabilize 0`
  (from the eleventh frame on): a stabilizer that steadies by blurring scores well under 1.
Photos and clips are stylized at their full size, as image and file modes do.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side, list_images
from realtime.io.user_files import read_bgr
from realtime.look import DEFAULT_STABILIZE, Look
from realtime.measure.evaluate import FLOW_METHODS, FlowWarper, warping_error
from realtime.model.vgg import STYLE_LAYERS, VGGEncoder, gram

MEASURE_WIDTH = 512
CONTENT_LAYER = "relu3_1"
MOTIF_LAYER = "relu5_1"
SETTLED_FRAMES = 10  # the stabilizer's detail is compared once it has kept frames for a while
SAMPLE_PHOTOS = ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg")  # scikit-image's data folder


def sample_photos() -> list[Path]:
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    return [folder / name for name in SAMPLE_PHOTOS]


def photos_in(folder: Path | None) -> list[Path]:
    photos = sample_photos() if folder is None else list_images(folder)
    if not photos:
        raise UserError(f"no images in {folder}; pass --images DIR with JPEG or PNG photos")
    return photos


def detail(image: np.ndarray) -> float:
    """Mean |Laplacian| of the grey image (0..1) resized to 512 px wide."""
    height, width = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    size = (MEASURE_WIDTH, max(1, round(height * MEASURE_WIDTH / width)))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if width > MEASURE_WIDTH else cv2.INTER_CUBIC)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3)).mean())


class GramDistance:
    """The style term of training, measured against one painting."""

    def __init__(self, encoder: VGGEncoder, painting: np.ndarray, layers: tuple[str, ...] = STYLE_LAYERS):
        self.encoder, self.layers = encoder, layers
        self.target = self._grams(fit_long_side(painting, MEASURE_WIDTH))

    def _grams(self, image: np.ndarray) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return {name: gram(value) for name, value in self.encoder(bgr_to_tensor(image), self.layers).items()}

    def __call__(self, image: np.ndarray) -> float:
        grams = self._grams(fit_long_side(image, MEASURE_WIDTH))
        return sum(float((grams[k] - self.target[k]).pow(2).mean() / self.target[k].pow(2).mean())
                   for k in self.layers)


def content_distance(encoder: VGGEncoder, photo: np.ndarray, image: np.ndarray) -> float:
    """relu3_1 squared distance of the result to the photo, over the photo's mean square (both at 512 px)."""
    with torch.no_grad():
        photo_features, image_features = (encoder(bgr_to_tensor(fit_long_side(picture, MEASURE_WIDTH)), (CONTENT_LAYER,))[CONTENT_LAYER]
                                          for picture in (photo, image))
    return float((image_features - photo_features).pow(2).mean() / photo_features.pow(2).mean())


@dataclass
class StyleScore:
    name: str
    detail_ratio: float
    style_distance: float
    content_distance: float
    flicker_ratio: float | None  # None without a clip
    stabilized_flicker_ratio: float | None
    stabilized_flicker_farneback: float | None = None  # the same, along Farneback's flow
    motif_distance: float | None = None  # the style distance at relu5_1 alone
    stabilized_detail: float | None = None  # detail kept by the stabilizer: |Laplacian| stabilized over unstabilized

    def row(self) -> str:
        flicker = ["-" if value is None else f"{value:.2f}x" for value in
                   (self.flicker_ratio, self.stabilized_flicker_ratio, self.stabilized_flicker_farneback)]
        motif, kept = ("-" if value is None else f"{value:.{digits}f}"
                       for value, digits in ((self.motif_distance, 3), (self.stabilized_detail, 2)))
        return (f"| {self.name} | {self.detail_ratio:.2f} | {self.style_distance:.3f} | {motif} | "
                f"{self.content_distance:.3f} | {' | '.join(flicker)} | {kept} |")


class StyleJudge:
    """Scores styles on fixed photos, a fixed clip, and the paintings found by the styles' metadata."""

    def __init__(self, engine: StyleEngine, photos: list[Path], paintings: Path, clip: list[np.ndarray] | None):
        self.engine, self.paintings, self.clip = engine, paintings, clip
        self.photos = [read_bgr(path) for path in photos]
        self.photo_detail = [detail(photo) for photo in self.photos]
        self.encoder = VGGEncoder(MOTIF_LAYER)
        self.warpers = [FlowWarper(method, remember=True) for method in FLOW_METHODS]  # one clip, many styles
        self.clip_errors = [warping_error(clip, clip, warper) if clip else None for warper in self.warpers]

    def painting(self, name: str) -> np.ndarray:
        file_name = self.engine.style(name).meta.get("style_image")
        if not file_name:
            raise UserError(f"style {name!r} does not name its painting (no style_image in its metadata)")
        return read_bgr(self.paintings / file_name)

    def score(self, name: str) -> StyleScore:
        with torch.no_grad():
            stylized = [self.engine.process(photo, Look(name)) for photo in self.photos]
            clips = [self.stylized_clip(Look(name, stabilize=stabilize)) for stabilize in (0.0, DEFAULT_STABILIZE)]
        return self.score_outputs(name, self.painting(name), stylized, *clips)

    def stylized_clip(self, look: Look) -> list[np.ndarray]:
        """The clip's frames as one stream (the stabilizer remembers the last)."""
        stream = self.engine.new_stream()
        return [self.engine.process(frame, look, stream) for frame in self.clip or []]

    def score_outputs(self, name: str, painting: np.ndarray, stylized: list[np.ndarray], clip: list[np.ndarray],
                      stabilized_clip: list[np.ndarray] | None = None) -> StyleScore:
        """The measures of any stylizer's results: the photos stylized, and the clip stylized (and stabilized)."""
        distance, motif = (GramDistance(self.encoder, painting, layers) for layers in (STYLE_LAYERS, (MOTIF_LAYER,)))
        ratios = [detail(image) / base for image, base in zip(stylized, self.photo_detail)]
        contents = [content_distance(self.encoder, photo, image) for photo, image in zip(self.photos, stylized)]
        flicker = [self.flicker(clip), self.flicker(stabilized_clip), self.flicker(stabilized_clip, FLOW_METHODS.index("farneback"))]
        return StyleScore(name, statistics.fmean(ratios), statistics.fmean(map(distance, stylized)),
                          statistics.fmean(contents), *flicker, motif_distance=statistics.fmean(map(motif, stylized)),
                          stabilized_detail=detail_kept(clip, stabilized_clip))

    def flicker(self, outputs: list[np.ndarray] | None, flow: int = 0) -> float | None:
        """The clip's warping error stylized, over the clip's own, along FLOW_METHODS[flow]; None without a clip."""
        if not self.clip or not outputs:
            return None
        return warping_error(self.clip, outputs, self.warpers[flow]) / max(self.clip_errors[flow], 1e-9)


def detail_kept(plain: list[np.ndarray], stabilized: list[np.ndarray] | None) -> float | None:
    """Mean |Laplacian| of the stabilized frames over the same frames' without the stabilizer, once settled."""
    pairs = list(zip(plain, stabilized or []))[SETTLED_FRAMES:] or list(zip(plain, stabilized or []))[-1:]
    if not pairs:
        return None
    return statistics.fmean(detail(steady) / max(detail(raw), 1e-9) for raw, steady in pairs)


REPORT_HEADER = ("| style | detail ratio | style distance | relu5_1 distance | content distance | flicker (x the clip's) | "
                 "flicker, stabilized | stabilized, along Farneback's flow | detail kept, stabilized |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def report_styles(judge: StyleJudge, styles: list[str]) -> tuple[dict, str]:
    """The scores (for --json) and the text report (a markdown table)."""
    scores = [judge.score(name) for name in styles]
    engine = judge.engine
    height, width = judge.clip[0].shape[:2] if judge.clip else (0, 0)
    network_size = list(engine.inference_size(width, height, 1.0)) if judge.clip else None  # the clip's
    report = {"model": engine.model, "device": str(engine.device), "frames": len(judge.clip or []),
              "live": engine.live, "clip_network_size": network_size, "styles": [asdict(score) for score in scores]}
    return report, "\n".join([*REPORT_HEADER, *(score.row() for score in scores)])
