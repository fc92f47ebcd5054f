"""Any picture as a style, two ways, in one run: Magenta's arbitrary network (the default) and AdaIN
(`--picture-model adain`), on the same photos, paintings and clip.

    python benchmarks/picture_models.py [--paintings klimt_the_virgin.jpg,...] [--markdown FILE.md]

(from the repository root, with REALTIME_DATA set or --folder and --clip given.) The measures are
`realtime eval style`'s (realtime/measure/style_quality.py): detail ratio, style distance to the
picture, content distance to the photo, flicker (the clip's warping error over the source's, raw and
with the engine's stabilizer as file mode runs it), and ms a frame at the clip's size, the way file
mode runs each (the picture's network at the full size).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from realtime.tuning import tune_for_realtime

tune_for_realtime()  # as the app runs: before torch loads its OpenMP runtime (realtime/tuning.py)

import torch

from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import StyleEngine
from realtime.io.user_files import read_bgr
from realtime.look import DEFAULT_STABILIZE, Look
from realtime.measure.evaluate import read_clip
from realtime.measure.style_quality import REPORT_HEADER, StyleJudge, sample_photos
from realtime.settings import PICTURE_MODELS
from realtime.styles.registry import StyleRegistry

from peers import timed

DEFAULT_PAINTINGS = "klimt_the_virgin.jpg,roman_mosaic_ducks_palazzo_massimo.jpg,sakai_hoitsu_cherry_tree_screen.jpg,van_gogh_starry_night.jpg"


def main() -> None:
    data = os.environ.get("REALTIME_DATA")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, default=Path(data) / "styles" if data else None, help="where the paintings are")
    parser.add_argument("--paintings", default=DEFAULT_PAINTINGS, help="comma-separated file names in --folder")
    parser.add_argument("--clip", type=Path, default=Path(data) / "video" / "webcam_person_signing_asl_book.mkv" if data else None)
    parser.add_argument("--clip-size", default="320x180")
    parser.add_argument("--max-frames", type=int, default=20)
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args()
    if args.folder is None or args.clip is None:
        parser.error("set REALTIME_DATA or pass --folder and --clip")

    width, height = map(int, args.clip_size.split("x"))
    clip = read_clip(args.clip, args.max_frames, (width, height))
    registry = StyleRegistry()
    engines = {model: StyleEngine(registry, torch.device("cpu"), "magenta", pictures=PictureStyles(picture_model=model)) for model in PICTURE_MODELS}
    judge = StyleJudge(engines["magenta"], sample_photos(), args.folder, clip)
    rows = []
    for file_name in args.paintings.split(","):
        picture = args.folder / file_name
        for model, engine in engines.items():
            style = str(picture)
            with torch.no_grad():
                photos = [engine.process(photo, Look(style)) for photo in judge.photos]
                raw, ms = timed(lambda frame: engine.process(frame, Look(style, stabilize=0.0)), clip)
                stream = engine.new_stream()  # the clip's frames as one stream: the stabilizer keeps the last
                steady = [engine.process(frame, Look(style, stabilize=DEFAULT_STABILIZE), stream) for frame in clip]
            score = judge.score_outputs(f"{file_name}, {model}", read_bgr(picture), photos, raw, steady)
            rows.append(f"{score.row()} {ms:.0f} |")
            print(rows[-1], flush=True)
    header = (REPORT_HEADER[0] + f" ms a {width}x{height} frame |", REPORT_HEADER[1] + " --- |")
    table = "\n".join([*header, *rows])
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
