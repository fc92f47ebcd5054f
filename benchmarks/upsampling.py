"""How close each way back to full size comes to running the style network at full size.

    python benchmarks/upsampling.py [--styles a,b] [--factor 2] [--picture docs/upsampling.png]

(from the repository root, with the package installed: pip install -e .)
For each shipped style and each of scikit-image's astronaut, coffee, chelsea and rocket
photos: the network at the photo's size is the reference; the network at 1/factor of it,
brought back by each mode of realtime/engine/upsample.py, is compared with it (PSNR and SSIM on
the whole picture). Also times each mode at 1280x720 from 640x360, and writes a picture:
one crop at 2x zoom, reference and each mode.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from realtime.tuning import tune_for_realtime

tune_for_realtime()  # as the app runs: before torch loads its OpenMP runtime (realtime/tuning.py)

import cv2
import numpy as np
import skimage
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from realtime.engine.sizes import multiple_of_4
from realtime.engine.style_engine import StyleEngine
from realtime.engine.upsample import upsample
from realtime.io.images import bgr_to_tensor, tensor_to_bgr
from realtime.measure.contact_sheet import label
from realtime.settings import UPSAMPLE_MODES
from realtime.styles.registry import StyleRegistry

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def photo(name: str) -> np.ndarray:
    rgb = getattr(skimage.data, name)()
    height, width = rgb.shape[0] // 16 * 16, rgb.shape[1] // 16 * 16  # the network's output is its input's size
    return np.ascontiguousarray(rgb[:height, :width, ::-1])


def ways_back(net, image: np.ndarray, factor: int) -> dict[str, np.ndarray]:
    frame = bgr_to_tensor(image)
    height, width = frame.shape[-2:]
    size = (multiple_of_4(height / factor), multiple_of_4(width / factor))  # as the engine sizes the network
    small = F.interpolate(frame, size=size, mode="bilinear", antialias=True, align_corners=False)
    with torch.no_grad():
        results = {"reference": tensor_to_bgr(net(frame))}
        styled = net(small)
        for mode in UPSAMPLE_MODES:
            results[mode] = tensor_to_bgr(upsample(mode, styled, small, frame).clamp(0, 1))
    return results


def time_modes(repeats: int = 20) -> dict[str, float]:
    frame, small = torch.rand(1, 3, 720, 1280), torch.rand(1, 3, 360, 640)
    styled = torch.rand(1, 3, 360, 640)
    times = {}
    for mode in UPSAMPLE_MODES:
        upsample(mode, styled, small, frame)
        started = time.perf_counter()
        for _ in range(repeats):
            upsample(mode, styled, small, frame)
        times[mode] = (time.perf_counter() - started) / repeats * 1000
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", help="comma-separated (default: every shipped style)")
    parser.add_argument("--factor", type=int, default=2)
    parser.add_argument("--picture", type=Path, help="write the 2x zoom comparison here")
    args = parser.parse_args()
    registry = StyleRegistry()
    engine = StyleEngine(registry, torch.device("cpu"), "lite", precision="fp32")
    styles = args.styles.split(",") if args.styles else registry.names()
    scores: dict[str, list[tuple[float, float]]] = {mode: [] for mode in UPSAMPLE_MODES}
    for style in styles:
        net = engine.style(style).module
        for name in PHOTOS:
            results = ways_back(net, photo(name), args.factor)
            for mode in UPSAMPLE_MODES:
                scores[mode].append((peak_signal_noise_ratio(results["reference"], results[mode]),
                                     structural_similarity(results["reference"], results[mode], channel_axis=2)))
    times = time_modes()
    print(f"| way back ({args.factor}x) | PSNR against full size, dB | SSIM | ms at 1280x720 from 640x360 |")
    print("| --- | --- | --- | --- |")
    for mode in UPSAMPLE_MODES:
        psnr, ssim = np.mean(scores[mode], axis=0)
        print(f"| {mode} | {psnr:.2f} | {ssim:.3f} | {times[mode]:.1f} |")
    if args.picture:
        results = ways_back(engine.style(styles[0]).module, photo("astronaut"), args.factor)
        tiles = []
        for name, image in results.items():
            crop = cv2.resize(image[60:188, 140:268], (256, 256), interpolation=cv2.INTER_NEAREST)  # the face, 2x
            tiles.append(np.vstack([label(name, 256), crop]))
        cv2.imwrite(str(args.picture), np.hstack(tiles))
        print(f"wrote {args.picture}")


if __name__ == "__main__":
    main()
