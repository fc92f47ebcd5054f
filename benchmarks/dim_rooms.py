"""Whether a person stays readable against the room in a dim frame, with and without `--person-light`.

    python benchmarks/dim_rooms.py [--data $REALTIME_DATA/portraits] [--model magenta] [--styles a,b] [--photos 10]

(from the repository root, with the package installed: pip install -e .)
The portraits whose person is closest in brightness to the room behind them (the lower half of each photo,
where the clothes are; dark sweaters on dark shelves among them), each made dim the way a webcam sees a
dim room: linear light at 4 %, then sensor noise. For each style: the share of the person's true outline
(the test set's masks) along which the brightness just inside and just outside (5 pixels) differ by
10 L* or more -- the photo itself, the photo painted, the dim photo painted without and with the light.
Writes nothing; prints a Markdown table (docs/styles.md, "Dim rooms").
"""
from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from realtime import Stylizer

SIZE = (450, 600)  # the portraits' 3:4, at about the network's live size
DIM_LIGHT, NOISE = 0.04, 2.5  # linear light kept, and the noise's std in 8-bit levels
BAND, WINDOW, ENOUGH = 5, 8, 10.0  # pixels each side of the outline, window radius along it, L* that reads


def dimmed(image: np.ndarray, seed: int = 0) -> np.ndarray:
    linear = (image / 255.0) ** 2.2 * DIM_LIGHT
    noisy = linear ** (1 / 2.2) * 255 + np.random.default_rng(seed).normal(0, NOISE, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def outline_read(image: np.ndarray, mask: np.ndarray) -> float:
    """Share of the outline where the brightness inside and outside (BAND pixels) differs by ENOUGH L*."""
    lightness = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)[..., 0].astype(np.float32) * 100 / 255
    person = (mask > 127).astype(np.uint8)
    inside = (person == 1) & (cv2.distanceTransform(person, cv2.DIST_L2, 3) <= BAND)
    outside = (person == 0) & (cv2.distanceTransform(1 - person, cv2.DIST_L2, 3) <= BAND)
    outline = cv2.morphologyEx(person, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    outline[:WINDOW] = outline[-WINDOW:] = False
    outline[:, :WINDOW] = outline[:, -WINDOW:] = False
    read = []
    for y, x in zip(*(axis[::5] for axis in np.nonzero(outline))):
        window = np.s_[y - WINDOW:y + WINDOW + 1, x - WINDOW:x + WINDOW + 1]
        if inside[window].sum() >= 5 and outside[window].sum() >= 5:
            difference = lightness[window][inside[window]].mean() - lightness[window][outside[window]].mean()
            read.append(abs(difference) >= ENOUGH)
    return float(np.mean(read))


def hardest_portraits(data: Path, count: int) -> list[tuple[Path, Path]]:
    """The (photo, mask) pairs whose person's lower half is closest in brightness to the room's."""
    scored = []
    for photo in sorted((data / "images").glob("*.jpg")):
        mask_path = data / "masks" / f"{photo.stem}.png"
        lightness = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2LAB)[..., 0].astype(float)
        person = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) > 127
        lower = np.zeros_like(person)
        lower[person.shape[0] // 2:] = True
        if (person & lower).sum() >= 100 and (~person & lower).sum() >= 100:
            gap = abs(lightness[person & lower].mean() - lightness[~person & lower].mean())
            scored.append((gap, photo, mask_path))
    return [(photo, mask) for _, photo, mask in sorted(scored)[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("REALTIME_DATA", "../shared/data")) / "portraits")
    parser.add_argument("--model", default="magenta")
    parser.add_argument("--styles", default="starry_night,great_wave,composition_vii,the_scream,udnie,"
                                            "la_grande_jatte,water_lilies,shipwreck")
    parser.add_argument("--photos", type=int, default=10)
    args = parser.parse_args()
    pairs = [(cv2.resize(cv2.imread(str(photo)), SIZE), cv2.resize(cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE), SIZE))
             for photo, mask in hardest_portraits(args.data, args.photos)]
    print("| style | network | photo | painted | dim, painted | dim, painted with the light |")
    print("| --- | --- | --- | --- | --- | --- |")
    for style in args.styles.split(","):
        stylizer = Stylizer(style, model=args.model, person_light=0.0)
        with_light = replace(stylizer.look, person_light=1.0)
        rows = []
        for photo, mask in pairs:
            dim = dimmed(photo)
            rows.append([outline_read(photo, mask), outline_read(stylizer.stylize(photo), mask),
                         outline_read(stylizer.stylize(dim), mask)])
            stylizer.look, without = with_light, stylizer.look
            rows[-1].append(outline_read(stylizer.stylize(dim), mask))
            stylizer.look = without
        print(f"| {style} | {args.model} | " + " | ".join(f"{value:.2f}" for value in np.mean(rows, axis=0)) + " |")


if __name__ == "__main__":
    main()
