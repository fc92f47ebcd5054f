"""`realtime bench`: the real pipeline's speed, next to the naive loop, in one run.

For each configuration it runs the real pipeline on a real video file twice:
- throughput: the capture thread reads the file as fast as the engine takes frames;
  frames per second end to end, and (in a separate, synchronizing pass) the median
  time of every stage;
- live: the file is played at its own frame rate through the live one-slot mailbox,
  as a camera would deliver it; latency from capture to the sink, and dropped frames.
In the same process it times the loop tutorials write (OpenCV read, the pytorch/examples
TransformerNet in eager fp32 on the whole frame, numpy conversions) at the same size, and
reports our speed over that. Network weights are random: speed does not depend on them.
"""
from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from realtime.engine.device import pick_device, resolve_model
from realtime.engine.sizes import network_size, resolve_inference_size
from realtime.engine.stream import stylize_stream
from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import Sizes, StyleEngine
from realtime.errors import UserError
from realtime.io.capture import CaptureThread, Frame, open_video
from realtime.io.ndi import open_ndi
from realtime.io.sinks import ThreadedSink
from realtime.io.video_file import VideoWriter
from realtime.look import DEFAULT_STABILIZE, Look
from realtime.measure.bench_report import STAGES, machine_description
from realtime.measure.competing_load import competing_processes
from realtime.model.architectures import ARCHITECTURES, FULL, MODELS, Architecture
from realtime.model.transformer import TransformerNet
from realtime.settings import DEFAULT_UPSAMPLE
from realtime.styles.checkpoint import save_style
from realtime.styles.registry import StyleRegistry

BENCH_STYLE = "bench"
BENCH_PICTURE = "bench-style.png"  # the style picture of the "picture" and "adain" rows
# The trained networks, and a picture as the style through Magenta's arbitrary network ("picture") or AdaIN.
BENCH_MODELS = (*MODELS, "picture", "adain")
PICTURE_MODELS = {"picture": "magenta", "adain": "adain"}
WARMUP_FRAMES = 5
SETTLE_SECONDS = 3.0  # beside competing processes, before the first frame (settle_cpu_share)


@dataclass(frozen=True)
class BenchConfig:
    device: str
    model: str  # one of BENCH_MODELS
    size: tuple[int, int]
    precision: str = "auto"
    torchscript: bool = True
    record: bool = False
    display: bool = False
    segmentation: bool = False  # stylize only the person: the segmenter runs too
    inference: str | tuple[int, int] = "auto"  # --inference-size, for a live source
    upsample: str = DEFAULT_UPSAMPLE  # how the network's output returns to the size (when it ran smaller)
    load: int = 0  # competing processes that keep every core busy meanwhile (realtime.measure.competing_load)
    ndi: bool = False  # send every frame out as an NDI source too (io/ndi.py)

    def inference_size(self) -> tuple[int, int] | None:
        return resolve_inference_size(self.inference, pick_device(self.device), live=True, model=self.model)

    def network_size(self) -> tuple[int, int]:
        """The size the style network runs at in this configuration."""
        box = self.inference_size()
        return network_size(*self.size, box[0] * box[1] if box else None)

    def label(self) -> str:
        parts = [self.device, self.model, f"{self.size[0]}x{self.size[1]}", self.precision,
                 "torchscript" if self.torchscript else "eager"]
        extras = (["segmentation"] * self.segmentation + ["record"] * self.record + ["window"] * self.display
                  + ["ndi"] * self.ndi)
        if self.network_size() != self.size:
            extras.append(f"{self.upsample} upsampling")
        if self.load:
            extras.append(f"beside {self.load} busy process{'es' * (self.load > 1)}")
        return " ".join(parts + extras)

    def look(self, registry: StyleRegistry) -> Look:
        style = str(registry.folders[0] / BENCH_PICTURE) if self.model in PICTURE_MODELS else BENCH_STYLE
        # As the app runs video: with the stabilizer at its default.
        return Look(style, stylize="person" if self.segmentation else "all", stabilize=DEFAULT_STABILIZE)


@dataclass
class BenchResult:
    config: BenchConfig
    fps: float
    frames: int
    stage_ms: dict[str, float | None]
    latency_ms: dict[str, float]
    dropped: int
    baseline_fps: float
    speedup: float  # ours / the naive loop (always the full network), same size
    auto_model: bool = False  # whether --model auto picks this model on this device

    def to_dict(self) -> dict:
        data = asdict(self)
        data["config"]["label"] = self.config.label()
        data["network_size"] = list(self.config.network_size())
        return data


def random_style_registry(folder: Path) -> StyleRegistry:
    """Random trained-style networks and a random style picture: speed does not depend on them."""
    torch.manual_seed(0)
    for model, row in ARCHITECTURES.items():
        save_style(folder / f"{BENCH_STYLE}.{model}.pt", row.build(), model, {"name": BENCH_STYLE})
    cv2.imwrite(str(folder / BENCH_PICTURE), np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8))
    return StyleRegistry(folder)


def _median_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 3) if values else None


class Sink:
    """Where results go: the real window, the encoder, NDI, or nowhere (headless)."""

    def __init__(self, config: BenchConfig, source_fps, workdir: Path, live: bool):
        self.renderer = None
        if config.display:
            from realtime.window.renderer import Renderer

            self.renderer = Renderer(*config.size, title="realtime bench", vsync=False)
        self.recorder = ThreadedSink(VideoWriter(workdir / "bench.mp4", source_fps, live=live)) if config.record else None
        self.ndi = open_ndi("realtime bench", *config.size, source_fps) if config.ndi else None
        self.display_seconds: list[float] = []

    def put(self, image: np.ndarray, frame: Frame) -> None:
        if self.renderer is not None:
            start = time.perf_counter()
            self.renderer.poll_actions()
            self.renderer.show(image, BENCH_STYLE)
            self.renderer.draw()
            self.renderer.present()
            self.display_seconds.append(time.perf_counter() - start)
        for output in (self.recorder, self.ndi):
            if output is not None:
                output.put(image, frame.show_time)

    def close(self) -> None:
        for output in (self.recorder, self.ndi):
            if output is not None:
                output.close()
        if self.renderer is not None:
            self.renderer.close()


def run_pipeline(engine: StyleEngine, config: BenchConfig, input_path: Path, frames: int, workdir: Path,
                 live: bool) -> tuple[float, list[float], int, Sink, list[Frame]]:
    """The real pipeline (capture thread -> the stream loop -> sink); returns fps, latencies, drops."""
    source = open_video(str(input_path))
    capture = CaptureThread(source, max_frames=WARMUP_FRAMES + frames, paced=live, live=live)
    sink = Sink(config, source.fps, workdir, live)
    latencies, done, started = [], [], None

    def deliver(image: np.ndarray, frame: Frame, _look: Look) -> None:
        nonlocal started
        sink.put(image, frame)
        if frame.index == WARMUP_FRAMES - 1:
            started = time.perf_counter()
        elif frame.index >= WARMUP_FRAMES:
            latencies.append(time.monotonic() - frame.timestamp)
            done.append(frame)

    capture.start()
    try:
        stylize_stream(engine, capture.frames, config.look(engine.registry), deliver)
        elapsed = time.perf_counter() - (started or time.perf_counter())
    finally:
        capture.stop()
        sink.close()
    fps = len(done) / elapsed if elapsed > 0 else 0.0
    return fps, latencies, capture.frames.dropped, sink, done


def profile_stages(engine: StyleEngine, config: BenchConfig, input_path: Path, frames: int) -> dict[str, list[float]]:
    """Stage times from a sequential pass that waits for the device after every stage."""
    source = open_video(str(input_path))
    look, stream = config.look(engine.registry), engine.new_stream()
    try:
        for _ in range(WARMUP_FRAMES):
            if (image := source.read()) is not None:
                engine.process(image, look, stream)
        with engine.profiling() as stage_times:
            for _ in range(frames):
                if (image := source.read()) is None:
                    break
                engine.process(image, look, stream)
        return stage_times
    finally:
        source.release()


def naive_loop_fps(input_path: Path, size: tuple[int, int], device: torch.device, frames: int) -> float:
    """The loop tutorials write: OpenCV read, the pytorch/examples network in eager fp32 on
    the whole frame, numpy conversions back; the same input and output size as ours."""
    examples = Architecture(FULL.base_channels, FULL.residual_blocks, pixel_range=255.0, bounded_output=False)
    torch.manual_seed(0)
    net = TransformerNet(examples).eval().to(device)
    capture = cv2.VideoCapture(str(input_path))
    count, started = 0, None
    with torch.no_grad():
        for index in range(WARMUP_FRAMES + frames):
            ok, frame = capture.read()
            if not ok:
                break
            if index == WARMUP_FRAMES:
                started = time.perf_counter()
            frame = cv2.resize(frame, size)
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            x = torch.from_numpy(rgb).permute(2, 0, 1).float().unsqueeze(0).div(255).to(device)
            y = net(x)[0].mul(255).clamp(0, 255).permute(1, 2, 0).cpu().numpy().astype(np.uint8)
            cv2.cvtColor(y, cv2.COLOR_RGB2BGR)
            count += index >= WARMUP_FRAMES
    capture.release()
    return count / (time.perf_counter() - started) if started and count else 0.0


def settle_cpu_share(engine: StyleEngine) -> None:
    """Let the engine see the machine's load for SETTLE_SECONDS before measuring, as a long run would
    have (it reads it once a second, smoothed: cpu_share.py)."""
    if engine.cpu_share is None:
        return
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        engine.cpu_share.update()
        time.sleep(0.1)


def bench_config(config: BenchConfig, registry: StyleRegistry, input_path: Path, frames: int, baseline_fps: float,
                 workdir: Path) -> BenchResult:
    device = pick_device(config.device)
    engine = StyleEngine(registry, device, config.model, precision=config.precision, torchscript=config.torchscript,
                         sizes=Sizes(config.size, config.inference_size(), config.upsample), live=True,
                         pictures=PictureStyles(picture_model=PICTURE_MODELS.get(config.model, "magenta")))
    with competing_processes(config.load):
        if config.load:
            settle_cpu_share(engine)
        fps, _, _, sink, done = run_pipeline(engine, config, input_path, frames, workdir, live=False)
        stages = profile_stages(engine, config, input_path, min(frames, 30))
        _, latencies, dropped, _, _ = run_pipeline(engine, config, input_path, frames, workdir, live=True)
    if engine.cpu_share is not None:
        engine.cpu_share.reset()  # the next row starts as a fresh run would
    stages["decode"] = [frame.decode_seconds for frame in done]
    stages["display"] = sink.display_seconds
    stages["encode"] = sink.recorder.encode_seconds if sink.recorder else []
    latency = {"median": _median_ms(latencies) or 0.0,
               "p95": round(float(np.percentile(latencies, 95)) * 1000, 3) if latencies else 0.0}
    return BenchResult(config, round(fps, 2), len(done), {stage: _median_ms(stages.get(stage, [])) for stage in STAGES},
                       latency, dropped, round(baseline_fps, 2), round(fps / baseline_fps, 2) if baseline_fps else 0.0)


def run_bench(input_path: Path, configs: list[BenchConfig], frames: int) -> dict:
    if not input_path.is_file():
        raise UserError(f"benchmark input not found: {input_path}; pass --input VIDEO or set REALTIME_DATA")
    results = []
    with tempfile.TemporaryDirectory() as folder:
        registry = random_style_registry(Path(folder))
        baselines: dict[tuple, float] = {}
        for config in configs:
            key = (config.device, config.size)
            if key not in baselines:
                baselines[key] = naive_loop_fps(input_path, config.size, pick_device(config.device), frames)
            results.append(bench_config(config, registry, input_path, frames, baselines[key], Path(folder)))
    for result in results:
        result.auto_model = result.config.model == resolve_model("auto")
    return {"machine": machine_description(), "input": str(input_path), "frames": frames,
            "results": [result.to_dict() for result in results]}


def configs_from(**axes: Sequence[Any]) -> list[BenchConfig]:
    """Every combination of the values given for BenchConfig's fields, by name (device=["cpu"], size=[...]):
    a new field is one more keyword, never a shift of the others; a field not given keeps its default."""
    configs = [BenchConfig(**dict(zip(axes, combo))) for combo in itertools.product(*axes.values())]
    # Where the network runs at the full size nothing is upsampled: one row, not one per mode.
    first_mode = axes.get("upsample", [DEFAULT_UPSAMPLE])[0]
    return [c for c in configs if c.network_size() != c.size or c.upsample == first_mode]
