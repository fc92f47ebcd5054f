"""The commands that measure: `realtime bench`, `realtime eval ...` and `realtime sheet`.
Their options are read here without torch; each handler imports what it runs."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from realtime.cli.json_output import add_json_argument, emit
from realtime.cli.values import OneLineErrorParser
from realtime.values import (
    MODEL_HELP,
    comma_list,
    non_negative_int,
    on_off,
    parse_inference_size,
    parse_size,
    positive_int,
)
from realtime.errors import UserError
from realtime.settings import DEFAULT_STYLE, DEFAULT_UPSAMPLE, DEVICES, MODELS, PRECISIONS, UPSAMPLE_MODES

if TYPE_CHECKING:
    import torch


# The defaults in the shared data set ($REALTIME_DATA), of the commands that measure.
BENCH_CLIP = "video/room_people_walking_in_one_by_one.mp4"
PORTRAITS = "portraits"
PAINTINGS = "styles"
FLICKER_CLIP = "video/webcam_person_signing_asl_book.mkv"
PEOPLE_CLIPS = ("video/webcam_person_signing_asl_book.mkv", "video/room_people_walking_in_one_by_one.mp4",
                "video/street_people_walking.avi")


def shared_data(relative: str) -> Path | None:
    """$REALTIME_DATA/relative: the default of an option that reads the shared data set; None without it."""
    data = os.environ.get("REALTIME_DATA")
    return Path(data) / relative if data else None


def require_data(path: Path | None, option: str, relative: str) -> Path:
    """The value of an option whose default is in the shared data set, or one line that says how to give it."""
    if path is None:
        raise UserError(f"{option} is needed and REALTIME_DATA is not set: pass {option}, or set REALTIME_DATA "
                        f"to the shared data folder (the default is $REALTIME_DATA/{relative})")
    return path


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    """--device and --model, as `realtime run` has them."""
    parser.add_argument("--device", default="auto", choices=DEVICES,
                        help="auto picks CUDA, then MPS, then the CPU")
    parser.add_argument("--model", default="auto", choices=("auto", *MODELS),
                        help=MODEL_HELP)


def device_and_model(args: argparse.Namespace) -> tuple[torch.device, str]:
    """What --device and --model mean on this machine (the rule lives in realtime.engine.device)."""
    from realtime.engine.device import pick_device, resolve_model

    device = pick_device(args.device)
    return device, resolve_model(args.model)


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", type=Path, default=shared_data(BENCH_CLIP),
                        help=f"a real video file (default: $REALTIME_DATA/{BENCH_CLIP})")
    parser.add_argument("--frames", type=positive_int, default=60, help="frames per measurement, after 5 warm-up frames")
    parser.add_argument("--devices", type=comma_list(str), default=["auto"], help="e.g. cpu,cuda")
    parser.add_argument("--models", type=comma_list(str), default=["magenta", "fast"],
                        help="magenta, lite, fast, full, and a picture as the style through Magenta's network (picture) "
                             "or AdaIN (adain), e.g. magenta,fast,picture")
    parser.add_argument("--sizes", type=comma_list(parse_size), default=[(640, 360)],
                        help="processing sizes, e.g. 320x180,640x360,1280x720,1920x1080")
    parser.add_argument("--inference-sizes", type=comma_list(parse_inference_size), default=["auto"],
                        help="where the style network runs: auto (on a CPU: 512x288 for fast, 384x216 for the others), full (the processing size) or WxH, "
                             "e.g. auto,full")
    parser.add_argument("--upsample", type=comma_list(str), default=[DEFAULT_UPSAMPLE],
                        help=f"ways back to the size when the network runs smaller: {', '.join(UPSAMPLE_MODES)}, "
                             "e.g. bilinear,guided")
    parser.add_argument("--precisions", type=comma_list(str), default=["auto"],
                        help=f"{','.join(PRECISIONS)} (auto: fp16 on CUDA; bf16 on CPUs with native bf16, else fp32)")
    parser.add_argument("--torchscript", type=comma_list(on_off), default=[True], help="on, off or on,off (eager)")
    parser.add_argument("--record", type=comma_list(on_off), default=[False], help="encode the output too: off, on or off,on")
    parser.add_argument("--display", type=comma_list(on_off), default=[False], help="show it in the real window: off, on or off,on")
    parser.add_argument("--segmentation", type=comma_list(on_off), default=[False, True],
                        help="stylize only the person, so the segmenter runs too: off, on or off,on (default)")
    parser.add_argument("--ndi", type=comma_list(on_off), default=[False],
                        help="send the output as an NDI source too (needs cyndilib): off, on or off,on")
    parser.add_argument("--load", type=comma_list(non_negative_int), default=[0],
                        help="measure beside N other processes that keep every core busy (torch), e.g. 0,1")
    add_json_argument(parser, "the full report")
    parser.add_argument("--markdown", type=Path, metavar="FILE.md",
                        help="also append the table to this file, e.g. docs/benchmarks.md (default: print it only)")


def command_bench(args: argparse.Namespace) -> None:
    from realtime.measure.bench import BENCH_MODELS, configs_from, run_bench
    from realtime.measure.bench_report import append_markdown, markdown_table

    require_data(args.input, "--input VIDEO", BENCH_CLIP)
    for model in args.models:
        if model not in BENCH_MODELS:
            raise UserError(f"unknown model {model!r}; use {', '.join(BENCH_MODELS)} or several, e.g. magenta,picture")
    for mode in args.upsample:
        if mode not in UPSAMPLE_MODES:
            raise UserError(f"unknown upsampling {mode!r}; use {', '.join(UPSAMPLE_MODES)} or several, e.g. bilinear,guided")
    for precision in args.precisions:
        if precision not in PRECISIONS:
            raise UserError(f"unknown precision {precision!r}; use {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}")
    configs = configs_from(device=args.devices, model=args.models, size=args.sizes, precision=args.precisions,
                           torchscript=args.torchscript, record=args.record, display=args.display,
                           segmentation=args.segmentation, inference=args.inference_sizes, upsample=args.upsample,
                           load=args.load, ndi=args.ndi)
    report = run_bench(args.input, configs, args.frames)
    append_markdown(report, args.markdown)
    emit(report, markdown_table(report), args.json)


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="evaluation", metavar="WHAT", required=True, parser_class=OneLineErrorParser)
    segmentation = kinds.add_parser("segmentation", help="person masks: IoU, Dice and boundary F against ground truth, "
                                    "time a frame, flicker on clips, parity with MediaPipe")
    segmentation.add_argument("--data", type=Path, default=shared_data(PORTRAITS),
                              help=f"folder with images/ and masks/ (default: $REALTIME_DATA/{PORTRAITS})")
    segmentation.add_argument("--segmenter", dest="segmenters", action="append", default=[], type=Path, metavar="PATH",
                              help="also score this segmenter (from `realtime train segmentation`); repeat for more. "
                                   "The shipped ones are always scored")
    people = [shared_data(clip) for clip in PEOPLE_CLIPS] if shared_data(".") else []
    segmentation.add_argument("--clips", type=comma_list(Path), default=people, metavar="VIDEO,...",
                              help="clips for the mask flicker (default: the shared clips with people in "
                                   "$REALTIME_DATA/video; an empty value: none)")
    segmentation.add_argument("--max-frames", type=positive_int, default=40, metavar="N", help="frames of each clip")
    segmentation.add_argument("--no-parity", dest="parity", action="store_false",
                              help="skip the comparison with MediaPipe's runtime")
    add_json_argument(segmentation, "the scores")
    soak = kinds.add_parser("soak", help="run the live app for a long time on a looping file: memory and FPS")
    soak.add_argument("--input", type=Path, required=True, help="a video file, played in a loop")
    soak.add_argument("--minutes", type=float, default=30.0)
    soak.add_argument("--cycle", type=float, default=5.0, metavar="SECONDS", help="style change interval")
    soak.add_argument("--size", type=parse_size, default=(640, 360), metavar="WxH")
    add_json_argument(soak, "the report with every sample")
    add_device_arguments(soak)
    temporal = kinds.add_parser("temporal", help="flicker of the stylized video and of the person mask (warping error)")
    temporal.add_argument("--input", type=Path, required=True, help="a video clip")
    temporal.add_argument("--style", default=DEFAULT_STYLE, metavar="NAME|PATH")
    add_device_arguments(temporal)
    temporal.add_argument("--size", type=parse_size, metavar="WxH", help="evaluation size (default: the clip's)")
    temporal.add_argument("--max-frames", type=positive_int, default=90, metavar="N")
    add_json_argument(temporal, "the scores")
    style = kinds.add_parser("style", help="per style: detail kept, distance to its painting (VGG Gram), flicker")
    style.add_argument("--styles", type=comma_list(str), help="names or checkpoint files (default: every style)")
    style.add_argument("--checkpoints", type=Path, help="look style names up in this folder (default: the project's)")
    style.add_argument("--images", type=Path, help="folder of photos (default: scikit-image's astronaut, coffee, chelsea, rocket)")
    style.add_argument("--paintings", type=Path, default=shared_data(PAINTINGS),
                       help=f"folder of the paintings (default: $REALTIME_DATA/{PAINTINGS})")
    style.add_argument("--clip", type=Path, default=shared_data(FLICKER_CLIP),
                       help=f"clip for the flicker (default: $REALTIME_DATA/{FLICKER_CLIP})")
    style.add_argument("--clip-size", type=parse_size, default=(640, 360), metavar="WxH")
    style.add_argument("--max-frames", type=positive_int, default=30, metavar="N")
    style.add_argument("--live", action="store_true",
                       help="the photos and the clip as the window runs them on this device: the network at the live size "
                            "(--inference-size auto), the stabilizer's faster, coarser flow; default: as file mode")
    add_device_arguments(style)
    add_json_argument(style, "the scores")


def command_eval(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    scores, text = EVALUATIONS[args.evaluation](args)
    emit({"evaluation": args.evaluation, **scores, "seconds": round(time.perf_counter() - started, 3)}, text, args.json)


def evaluate_soak(args: argparse.Namespace) -> tuple[dict, str]:
    from realtime.measure.soak import soak
    from realtime.styles.registry import StyleRegistry

    if not args.input.is_file():
        raise UserError(f"input not found: {args.input}")
    device, model = device_and_model(args)
    report = soak(args.input, StyleRegistry(), args.minutes, args.cycle, args.size, device=device, model=model)
    return {"input": str(args.input), "device": str(device), "model": model, **report.to_dict()}, report.summary()


def evaluate_temporal(args: argparse.Namespace) -> tuple[dict, str]:
    from realtime.engine.build import build_engine
    from realtime.measure import evaluate
    from realtime.settings import RunSettings
    from realtime.styles.registry import StyleRegistry

    if not args.input.is_file():
        raise UserError(f"input not found: {args.input}")
    # As file mode stylizes the clip: the network at the full size.
    engine = build_engine(RunSettings(style=args.style, device=args.device, model=args.model), StyleRegistry(),
                          live=False)
    return evaluate.report_temporal(args.input, engine, args.style, args.max_frames, args.size)


def evaluate_segmentation(args: argparse.Namespace) -> tuple[dict, str]:
    from realtime.engine.person_mask import MEDIAPIPE
    from realtime.measure.segmentation_eval import report_segmentation

    data = require_data(args.data, "--data DIR", PORTRAITS)
    missing = [clip for clip in args.clips if not clip.is_file()]
    if missing:
        raise UserError(f"clip not found: {missing[0]}; pass --clips VIDEO,... (or an empty --clips '' for none)")
    segmenters = {f"mediapipe {shape}": weights for shape, weights in MEDIAPIPE.items()}
    for path in args.segmenters:
        if not path.is_file():
            raise UserError(f"--segmenter {path}: no such file; give a file saved by `realtime train segmentation`")
        segmenters[str(path)] = path
    return report_segmentation(data, segmenters, args.clips, args.parity, args.max_frames)


def evaluate_styles(args: argparse.Namespace) -> tuple[dict, str]:
    from realtime.engine.sizes import resolve_inference_size
    from realtime.engine.style_engine import Sizes, StyleEngine
    from realtime.measure.evaluate import read_clip
    from realtime.measure.style_quality import StyleJudge, photos_in, report_styles
    from realtime.styles.registry import StyleRegistry

    if not require_data(args.paintings, "--paintings DIR", PAINTINGS).is_dir():
        raise UserError(f"paintings folder not found: {args.paintings}; pass --paintings DIR or set REALTIME_DATA")
    if args.clip is not None and not args.clip.is_file():
        raise UserError(f"clip not found: {args.clip}; pass --clip VIDEO or set REALTIME_DATA")
    registry = StyleRegistry(args.checkpoints) if args.checkpoints else StyleRegistry()
    styles = args.styles or registry.names()
    if not styles:
        raise UserError(f"no styles in {registry.searched()}")
    clip = read_clip(args.clip, args.max_frames, args.clip_size) if args.clip else None
    # The photos and the clip at full size with file mode's flow, or the clip as the window runs it (--live).
    device, model = device_and_model(args)
    sizes = Sizes(inference=resolve_inference_size("auto", device, True, model)) if args.live else Sizes()
    engine = StyleEngine(registry, device, model, sizes=sizes, live=args.live)
    return report_styles(StyleJudge(engine, photos_in(args.images), args.paintings, clip), styles)


# `realtime eval WHAT`: each returns its scores (for --json) and its text report.
EVALUATIONS = {"soak": evaluate_soak, "segmentation": evaluate_segmentation, "temporal": evaluate_temporal,
               "style": evaluate_styles}


def add_sheet_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--photos", type=Path, nargs="+", required=True, help="photos not used in training")
    parser.add_argument("--output", type=Path, required=True, metavar="FILE.png")
    parser.add_argument("--styles", type=comma_list(str), help="default: every style --list-styles shows")
    parser.add_argument("--paintings", type=Path, default=shared_data(PAINTINGS),
                        help=f"folder of the paintings (default: $REALTIME_DATA/{PAINTINGS}); a style whose painting "
                             "is not in it gets a black painting tile; with none found, no painting column")
    add_device_arguments(parser)


def command_sheet(args: argparse.Namespace) -> None:
    from realtime.engine.style_engine import StyleEngine
    from realtime.io.images import write_image
    from realtime.io.outputs import check_output_folder
    from realtime.measure.contact_sheet import contact_sheet
    from realtime.styles.registry import StyleRegistry

    check_output_folder(args.output, "sheet.png")
    registry = StyleRegistry()
    styles = args.styles or registry.names()
    if not styles:
        raise UserError(f"no styles in {registry.searched()}")
    engine = StyleEngine(registry, *device_and_model(args))
    sheet, painted = contact_sheet(engine, styles, args.photos, args.paintings)
    write_image(args.output, sheet)
    if not painted:
        where = args.paintings or f"$REALTIME_DATA/{PAINTINGS} (REALTIME_DATA is not set)"
        print(f"note: no style's painting is in {where}, so the sheet has no painting column; "
              "point --paintings at them", file=sys.stderr)
    print(f"wrote {args.output}")
