"""`realtime eval soak`: run the live app for a long time and watch memory and frame rate.

The real window app on a looping video file, stepping through every style with
crossfades, as an installation would for days. Resident memory and FPS are sampled
every few seconds; growth is measured from the end of a warm-up (caches, allocator
pools and TorchScript specializations fill up first) to the end of the run.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from realtime.app.health import resident_megabytes
from realtime.app.show import Show
from realtime.app.window_app import LiveApp
from realtime.engine.style_engine import Sizes, StyleEngine
from realtime.io.capture import CaptureThread, open_video
from realtime.look import Look
from realtime.styles.registry import StyleRegistry
from realtime.window.renderer import Renderer

SAMPLE_SECONDS = 5.0


@dataclass
class SoakReport:
    minutes: float
    styles: int
    style_changes: int
    frames: int
    memory_after_warmup_mb: float
    memory_at_end_mb: float
    memory_growth_mb: float
    fps_min: float
    fps_median: float
    fps_max: float
    samples: list[tuple[float, float, float]]  # seconds, resident MB, FPS

    def summary(self) -> str:
        return (f"soak: {self.minutes:.1f} min, {self.frames} frames, {self.style_changes} style changes over "
                f"{self.styles} styles; memory {self.memory_after_warmup_mb:.0f} MB after warm-up -> "
                f"{self.memory_at_end_mb:.0f} MB at the end (growth {self.memory_growth_mb:+.1f} MB); "
                f"FPS min {self.fps_min:.1f}, median {self.fps_median:.1f}, max {self.fps_max:.1f}")

    def to_dict(self) -> dict:
        return asdict(self)


def soak(input_path: Path, registry: StyleRegistry, minutes: float, cycle_seconds: float,
         size: tuple[int, int] = (640, 360), device: torch.device | None = None, model: str = "lite") -> SoakReport:
    styles = registry.names()
    engine = StyleEngine(registry, device or torch.device("cpu"), model, sizes=Sizes(output=size), live=True)
    app = LiveApp(CaptureThread(open_video(str(input_path)), paced=True, loop=True), engine, Look(styles[0]), styles,
                  Renderer(*size, title="realtime soak", vsync=False), show=Show([(s, None) for s in styles], cycle_seconds))
    samples: list[tuple[float, float, float]] = []
    changes, last_style = 0, styles[0]
    started = time.monotonic()
    next_sample = started + SAMPLE_SECONDS
    app.start()
    try:
        while time.monotonic() - started < minutes * 60:
            app.step()
            if app.last is not None and app.last.style != last_style:
                changes, last_style = changes + 1, app.last.style
            if time.monotonic() >= next_sample:
                samples.append((round(time.monotonic() - started, 1), round(resident_megabytes(), 1), round(app.meter.fps, 1)))
                next_sample += SAMPLE_SECONDS
    finally:
        app.close()
    warmup_end = max(1, len(samples) // 5)  # the first fifth of the run is warm-up
    after_warmup = [mb for _, mb, _ in samples[warmup_end - 1:]]
    fps = [f for _, _, f in samples[warmup_end:]] or [f for _, _, f in samples]
    return SoakReport(minutes, len(styles), changes, app.last.index + 1 if app.last else 0, after_warmup[0],
                      after_warmup[-1], round(after_warmup[-1] - after_warmup[0], 1), min(fps), statistics.median(fps),
                      max(fps), samples)
