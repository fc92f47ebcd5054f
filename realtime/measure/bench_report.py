"""`realtime bench`'s report: the machine it ran on, and the results as JSON or a markdown table."""
from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import torch

STAGES = ("decode", "upload", "style", "segmentation", "composite", "download", "display", "encode")


def machine_description() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"cpu": f"{cpu} ({os.cpu_count()} cores)", "gpu": gpu, "torch": torch.__version__,
            "python": platform.python_version(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def markdown_table(report: dict) -> str:
    machine = report["machine"]
    lines = [f"## {machine['date']}: {machine['cpu']}, GPU {machine['gpu']}, torch {machine['torch']}",
             "", f"Input: `{Path(report['input']).name}`, {report['frames']} frames per measurement.", "",
             "| configuration | inference size | FPS | naive FPS | speedup | " + " | ".join(STAGES)
             + " | latency p50 / p95 ms | dropped |",
             "|" + " --- |" * (len(STAGES) + 7)]
    for result in report["results"]:
        stages = " | ".join("-" if result["stage_ms"][s] is None else f"{result['stage_ms'][s]:.1f}" for s in STAGES)
        label = result["config"]["label"] + (" (auto)" if result["auto_model"] else "")
        net_w, net_h = result["network_size"]
        lines.append(f"| {label} | {net_w}x{net_h} | {result['fps']:.1f} | {result['baseline_fps']:.2f} | "
                     f"{result['speedup']:.1f}x | {stages} | {result['latency_ms']['median']:.0f} / "
                     f"{result['latency_ms']['p95']:.0f} | {result['dropped']} |")
    return "\n".join(lines) + ("\n\nFPS: end to end, frames read as fast as they are taken. Speedup: FPS over the naive"
                                " loop (pytorch/examples full network, eager fp32, whole frame) at the same size. Inference size: where the"
                                " style network runs (then upsampled to the configuration's size). Stage"
                                " times: medians in ms, from a pass that waits after each stage. Latency and drops: the"
                                " file played at its own rate through the live mailbox. (auto): the model --model auto"
                                " picks on this device.\n")


def append_markdown(report: dict, markdown_path: Path | None) -> None:
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        with open(markdown_path, "a") as out:
            out.write("\n" + markdown_table(report))

