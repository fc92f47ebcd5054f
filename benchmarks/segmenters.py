"""The person masks of the shipped segmenter and of fine-tuned ones, side by side, on public-domain photos.

    python benchmarks/segmenters.py --segmenter runs/segmentation-general/segmenter.pt --output docs/segmenters.png

(from the repository root, with the package installed: pip install -e .)
Each row is one of scikit-image's photos of a person (the astronaut, the cameraman); each column a
segmenter: the app's mask (guided upsampling, threshold and feather, as `--stylize person` cuts it)
tinted over the photo, the background darkened. The shared portraits give the numbers
(`realtime eval segmentation`); they are never shown, so this picture uses photos anyone may publish.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import skimage
import torch

from realtime.engine.person_mask import GENERAL, PersonSegmenter
from realtime.io.images import bgr_to_tensor
from realtime.look import MaskSettings
from realtime.measure.contact_sheet import label

PHOTOS = ("astronaut", "camera")
TILE = 320
TINT = np.array([60, 200, 60], np.float32)  # BGR green over the person


def photo(name: str) -> np.ndarray:
    picture = getattr(skimage.data, name)()
    rgb = np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture
    return np.ascontiguousarray(rgb[..., ::-1])


def masked(segmenter: PersonSegmenter, image: np.ndarray) -> np.ndarray:
    """The photo with the person tinted and the background darkened, as a TILE x TILE tile."""
    with torch.no_grad():
        alpha = segmenter.alpha(bgr_to_tensor(image), MaskSettings())[0][0, 0].numpy()[..., None]
    person = image * 0.6 + TINT * 0.4
    shown = person * alpha + image * 0.35 * (1 - alpha)
    return cv2.resize(shown.clip(0, 255).astype(np.uint8), (TILE, TILE), interpolation=cv2.INTER_AREA)


def sheet(segmenters: dict[str, Path]) -> np.ndarray:
    columns = {name: PersonSegmenter(torch.device("cpu"), weights=weights) for name, weights in segmenters.items()}
    header = np.hstack([label(name, TILE) for name in columns])
    rows = []
    for name in PHOTOS:
        image = photo(name)
        rows.append(np.hstack([masked(segmenter, image) for segmenter in columns.values()]))
    return np.vstack([header, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segmenter", dest="segmenters", action="append", type=Path, default=[], metavar="PATH",
                        help="a segmenter saved by `realtime train segmentation`; repeat for more")
    parser.add_argument("--output", type=Path, default=Path("docs/segmenters.png"))
    args = parser.parse_args()
    segmenters = {"shipped (MediaPipe)": GENERAL, **{path.stem: path for path in args.segmenters}}
    cv2.imwrite(str(args.output), sheet(segmenters))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
