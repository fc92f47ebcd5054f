"""The style network in other runtimes and in INT8, against the engine's TorchScript, in one process.

    python benchmarks/runtimes.py [--styles starry_night,udnie] [--model lite|fast] [--sizes 384x216,640x360] [--threads 2]

(from the repository root; needs the test extra: onnx and onnxruntime.) For each style's lite (or
fast) network: TorchScript fp32 is the baseline; on CPUs that compute bf16 natively, the engine's
TorchScript bf16 module (what `--precision auto` runs there) is measured too; the same network
exported to ONNX (`realtime export`) runs in ONNX Runtime in fp32, and quantized to INT8 by ONNX
Runtime's static quantizer (QDQ, per-channel weights, activations calibrated on 16 photos from
$REALTIME_DATA/content). Reports the median time per frame, the speed over TorchScript, and the
parity of each output with TorchScript's (PSNR, SSIM) on four scikit-image photos at each size.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from realtime.tuning import tune_for_realtime

tune_for_realtime()  # as the app runs: before torch loads its OpenMP runtime (realtime/tuning.py)

import cv2
import numpy as np
import onnxruntime as ort
import skimage
import torch
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from realtime.cli.values import parse_size
from realtime.engine.device import fast_cpu_bfloat16
from realtime.engine.style_engine import StyleEngine
from realtime.export import export_onnx
from realtime.io.images import list_images
from realtime.styles.registry import StyleRegistry

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
CALIBRATION_PHOTOS = 16
REPEATS = 8


def network_input(bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """1 x 3 x H x W float32 RGB in [0, 1], as the engine hands the network its frame."""
    rgb = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None])


class Calibration(CalibrationDataReader):
    def __init__(self, photos: list[Path], size: tuple[int, int]):
        self._inputs = iter([{"rgb": network_input(cv2.imread(str(path)), size)} for path in photos])

    def get_next(self) -> dict | None:
        return next(self._inputs, None)


def engine_layout(x: np.ndarray) -> torch.Tensor:
    """An N x 3 x H x W array in channels-last memory, as the engine feeds its networks."""
    return torch.from_numpy(x).contiguous(memory_format=torch.channels_last)


def median_ms(run: Callable[[], object]) -> float:
    run()  # first call: allocations and kernel choice
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def parity(reference: np.ndarray, other: np.ndarray) -> tuple[float, float]:
    a, b = (np.clip(x[0].transpose(1, 2, 0), 0, 1) for x in (reference, other))
    return peak_signal_noise_ratio(a, b, data_range=1.0), structural_similarity(a, b, channel_axis=2, data_range=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--styles", default="starry_night,udnie")
    parser.add_argument("--model", default="lite", choices=("lite", "fast"))
    parser.add_argument("--sizes", default="384x216,640x360")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    data = os.environ.get("REALTIME_DATA")
    if not data:
        raise SystemExit("set REALTIME_DATA (the calibration photos are in its content/ folder)")
    calibration_photos = list_images(Path(data) / "content")[:CALIBRATION_PHOTOS]
    sizes = [parse_size(text) for text in args.sizes.split(",")]
    torch.set_num_threads(args.threads)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    registry = StyleRegistry()
    engine = StyleEngine(registry, torch.device("cpu"), args.model, precision="fp32")
    bf16_engine = StyleEngine(registry, torch.device("cpu"), args.model, precision="bf16") if fast_cpu_bfloat16() else None
    photos = [np.ascontiguousarray(getattr(skimage.data, name)()[:, :, ::-1]) for name in PHOTOS]
    names = (["TorchScript bf16"] if bf16_engine else []) + ["ONNX Runtime fp32", "ONNX Runtime INT8"]
    print(f"| style | size | TorchScript fp32 ms | {' | '.join(f'{name} ms (speed)' for name in names)} "
          f"| {' | '.join(f'{name} parity PSNR / SSIM' for name in names)} |")
    print("| --- " * (3 + 2 * len(names)) + "|")
    with tempfile.TemporaryDirectory() as folder:
        for style in args.styles.split(","):
            fp32_path = export_onnx(registry, style, args.model, Path(folder) / f"{style}.onnx")
            prepared = Path(folder) / f"{style}.prepared.onnx"
            quant_pre_process(str(fp32_path), str(prepared))
            int8_path = Path(folder) / f"{style}.int8.onnx"
            quantize_static(str(prepared), str(int8_path), Calibration(calibration_photos, sizes[0]),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            torchscript = engine.style(style).module
            runners: dict[str, Callable[[np.ndarray], np.ndarray]] = {}
            if bf16_engine is not None:
                bf16 = bf16_engine.style(style).module
                runners["bf16"] = lambda x, bf16=bf16: bf16(engine_layout(x).bfloat16()).float().numpy()
            for name, path in (("fp32", fp32_path), ("int8", int8_path)):
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                runners[name] = lambda x, session=session: session.run(None, {"rgb": x})[0]
            for size in sizes:
                inputs = [network_input(photo, size) for photo in photos]
                with torch.inference_mode():
                    reference = [torchscript(engine_layout(x)).contiguous().numpy() for x in inputs]
                    base_ms = median_ms(lambda: torchscript(engine_layout(inputs[0])))
                cells = []
                scores = []
                for run in runners.values():
                    with torch.inference_mode():
                        ms = median_ms(lambda: run(inputs[0]))
                        pairs = [parity(ref, run(x)) for ref, x in zip(reference, inputs)]
                    cells.append(f"{ms:.1f} ({base_ms / ms:.2f}x)")
                    scores.append(f"{min(p for p, _ in pairs):.1f} dB / {min(s for _, s in pairs):.3f}")
                print(f"| {style} | {size[0]}x{size[1]} | {base_ms:.1f} | {' | '.join(cells)} | {' | '.join(scores)} |")


if __name__ == "__main__":
    main()
