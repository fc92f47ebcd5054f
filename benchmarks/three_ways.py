"""One painting three ways on one photo: the trained network, AdaIN, and Gatys's optimisation.

    python benchmarks/three_ways.py --photo PHOTO --painting PAINTING.jpg --style NAME \
        --output docs/any-style-three-ways.png [--size 384] [--steps 150]

(from the repository root, with the package installed: pip install -e .)
Writes the photo, the painting and the three results side by side, and prints a Markdown
table of the time each took on this machine (the engines timed on a second run, after
loading and compiling; paint from start to end).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from realtime.tuning import tune_for_realtime

tune_for_realtime()  # as the app runs: before torch loads its OpenMP runtime (realtime/tuning.py)

import cv2
import numpy as np
import torch

from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import StyleEngine
from realtime.io.images import fit_long_side
from realtime.io.user_files import read_bgr
from realtime.look import Look
from realtime.measure.contact_sheet import fit_tile, label
from realtime.paint import PaintConfig, paint
from realtime.styles.registry import StyleRegistry

TILE = 384


def timed_engine_run(engine: StyleEngine, photo: np.ndarray, style: str) -> tuple[np.ndarray, float, float]:
    """The stylized photo, the first run's seconds (loading included) and a second run's."""
    started = time.perf_counter()
    engine.process(photo, Look(style))
    first = time.perf_counter() - started
    started = time.perf_counter()
    result = engine.process(photo, Look(style))
    return result, first, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, required=True)
    parser.add_argument("--painting", type=Path, required=True)
    parser.add_argument("--style", required=True, help="the trained style of the same painting")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--size", type=int, default=384, help="long side of the photo, in pixels")
    parser.add_argument("--steps", type=int, default=150, help="paint's budget in loss evaluations")
    args = parser.parse_args()

    photo = fit_long_side(read_bgr(args.photo), args.size)
    engine = StyleEngine(StyleRegistry(), torch.device("cpu"), "lite", precision="fp32", pictures=PictureStyles(picture_model="adain"))
    trained, trained_first, trained_again = timed_engine_run(engine, photo, args.style)
    adain, adain_first, adain_again = timed_engine_run(engine, photo, str(args.painting))
    scratch = args.output.with_suffix(".photo.png")
    cv2.imwrite(str(scratch), photo)
    try:
        painted = paint(PaintConfig(content=scratch, style=args.painting, size=args.size, steps=args.steps))
    finally:
        scratch.unlink()

    tiles = [("photo", photo), ("painting", read_bgr(args.painting)), (f"trained network ({args.style})", trained),
             ("AdaIN", adain), (f"Gatys, {args.steps} steps", painted.image)]
    labels = np.hstack([label(text, TILE) for text, _ in tiles])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.output), np.vstack([labels, np.hstack([fit_tile(image, TILE) for _, image in tiles])]))
    height, width = photo.shape[:2]
    print(f"| method ({width}x{height}, this CPU) | first picture (loading included) | next picture |")
    print("| --- | --- | --- |")
    print(f"| trained network ({args.style}, lite, fp32) | {trained_first:.2f} s | {trained_again:.3f} s |")
    print(f"| AdaIN (VGG-19 encoder + decoder, fp32) | {adain_first:.2f} s | {adain_again:.2f} s |")
    print(f"| Gatys et al. (L-BFGS, {args.steps} evaluations) | {painted.seconds:.0f} s | {painted.seconds:.0f} s |")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
