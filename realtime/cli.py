"""Command line: `realtime [run] ...`, `realtime train ...`, `realtime export ...`.

Bad input ends with one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from realtime.errors import UserError
from realtime.io.outputs import CODECS, RecordingOptions
from realtime.look import STYLIZE_MODES
from realtime.settings import DEFAULT_UPSAMPLE, UPSAMPLE_MODES
from realtime.window.hotkeys import key_list_text


class OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{message} (see {self.prog} --help)")


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 640x360, not {text!r}") from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"size {text} is too small; use at least 16x16")
    return width, height


def parse_inference_size(text: str) -> str | tuple[int, int]:
    if text in ("auto", "full"):
        return text
    try:
        return parse_size(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; or use auto or full") from None


def parse_playlist(text: str) -> list[tuple[str, str | None]]:
    playlist = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, mode = item.partition(":")
        if mode and mode not in STYLIZE_MODES:
            raise argparse.ArgumentTypeError(f"{item!r}: the mode after ':' must be one of {', '.join(STYLIZE_MODES)}")
        playlist.append((name, mode or None))
    if not playlist:
        raise argparse.ArgumentTypeError("the playlist is empty")
    return playlist


def unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def port_number(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("source (default: the first camera that opens, else the demo)")
    source.add_argument("--camera", type=non_negative_int, metavar="INDEX", help="camera index, e.g. 0")
    source.add_argument("--input", metavar="FILE|URL", help="video file, image file or stream URL")
    source.add_argument("--demo", action="store_true", help="a built-in moving scene (needs no camera)")
    style = parser.add_argument_group("style")
    style.add_argument("--style", default="starry_night", metavar="NAME|PATH",
                       help="style name from realtime/checkpoints/, a checkpoint file, or any picture as the style (AdaIN) (default: starry_night)")
    style.add_argument("--style-dir", type=Path, metavar="DIR",
                       help="add every picture in DIR to the style list (number keys, N/P, --cycle, remote control)")
    style.add_argument("--style-strength", type=unit_interval, default=1.0, metavar="S",
                       help="0 (the photo) to 1 (fully stylized); for pictures, AdaIN's alpha (+/- keys) (default: 1)")
    style.add_argument("--mix", type=unit_interval, metavar="M",
                       help="with --style a.jpg,b.jpg: how much of the second picture's style, 0 to 1 (default: 0.5)")
    style.add_argument("--keep-colors", action="store_true", help="keep the photo's colours, take the style's light and texture (K)")
    style.add_argument("--list-styles", action="store_true", help="list the available styles and exit")
    style.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"),
                       help="auto picks CUDA, then MPS, then the CPU")
    style.add_argument("--model", default="auto", choices=("auto", "lite", "full"),
                       help="network size; auto: full on a GPU, lite on a CPU")
    style.add_argument("--precision", default="auto", choices=("auto", "fp32", "fp16", "bf16"),
                       help="style network precision; auto: fp16 on CUDA, bf16 on CPUs with native bf16 (AMX), else fp32")
    style.add_argument("--size", type=parse_size, metavar="WxH", help="processing and output size (default: the source's)")
    style.add_argument("--inference-size", type=parse_inference_size, default="auto", metavar="WxH|auto|full",
                       help="run the style network at about WxH pixels (in the frame's aspect) and upsample; full: at the "
                            "processing size; auto (default): 384x216 for a live source or window on a CPU, else full")
    style.add_argument("--upsample", default=DEFAULT_UPSAMPLE, choices=UPSAMPLE_MODES,
                       help="how the network's output returns to the frame's size when --inference-size is smaller: "
                            f"bilinear, guided (fast guided filter on the frame) or detail (bilinear plus the frame's "
                            f"fine detail) (default: {DEFAULT_UPSAMPLE})")
    style.add_argument("--stabilize", type=unit_interval, default=0.8, metavar="S",  # engine.DEFAULT_STABILIZE
                       help="video: how much of the last stylized frame to keep where the picture is still, "
                            "0 (off) to 1; moving parts always take the new frame (default: 0.8)")
    person = parser.add_argument_group("person segmentation")
    person.add_argument("--stylize", default="all", choices=STYLIZE_MODES, help="what to stylize (G cycles)")
    person.add_argument("--background", default="keep", metavar="keep|blur|color:#RRGGBB|IMAGE",
                        help="what goes behind the person (default: keep)")
    person.add_argument("--mask-threshold", type=unit_interval, default=0.5, metavar="P", help="person probability at the mask edge")
    person.add_argument("--mask-feather", type=unit_interval, default=0.15, metavar="P", help="softness of the mask edge")
    person.add_argument("--mask-smoothing", type=unit_interval, default=0.9, metavar="S",
                        help="temporal steadiness of unsure mask pixels, 0 (off) to 1")
    out = parser.add_argument_group("output")
    out.add_argument("--output", type=Path, metavar="FILE", help="write the stylized video (.mp4 .mkv .mov .webm) or image (.png .jpg)")
    out.add_argument("--max-frames", type=positive_int, metavar="N", help="stop after N frames")
    out.add_argument("--no-display", dest="display", action="store_false", help="no window: process to --output as fast as possible")
    out.add_argument("--virtual-camera", action="store_true",
                     help="also send the stylized stream to a virtual camera for OBS or video calls (needs pyvirtualcam)")
    out.add_argument("--no-vsync", dest="vsync", action="store_false", help="start with vsync off")
    out.add_argument("--screenshot-dir", type=Path, default=Path("."), metavar="DIR", help="where S saves screenshots")
    rec = parser.add_argument_group("recording (--output, or R in the window)")
    rec.add_argument("--record-dir", type=Path, default=Path("."), metavar="DIR",
                     help="where R saves recordings (timestamped .mp4 names)")
    rec.add_argument("--codec", choices=tuple(CODECS), help="default: from the extension (h264; vp9 for .webm), "
                     "h264_nvenc when a CUDA GPU is used and the encoder opens")
    rec.add_argument("--crf", type=int, metavar="Q", help="constant quality, lower is better (h264 default 18)")
    rec.add_argument("--preset", help="encoder speed preset (h264: ultrafast..veryslow; default medium for files, veryfast live)")
    rec.add_argument("--record-size", type=parse_size, metavar="WxH", help="scale recorded frames to this size")
    rec.add_argument("--fragmented", action=argparse.BooleanOptionalAction, default=None,
                     help="fragmented mp4/mov, playable even after a kill -9 (default: on for live sources)")
    show = parser.add_argument_group("installations")
    show.add_argument("--fullscreen", action="store_true", help="fullscreen without a cursor, on --monitor")
    show.add_argument("--monitor", type=int, default=0, metavar="N", help="monitor for --fullscreen (see --list-monitors)")
    show.add_argument("--list-monitors", action="store_true", help="list the monitors and exit")
    show.add_argument("--keep-going", action="store_true",
                      help="restart a failed engine or capture thread (logged), instead of stopping")
    show.add_argument("--loop", action="store_true", help="play a video file in a loop (window; with --max-frames in file mode)")
    show.add_argument("--playlist", type=parse_playlist, default=[], metavar="STYLE[:MODE],...",
                      help="styles (and stylize modes) for --cycle, e.g. starry_night,udnie:person (default: all styles)")
    show.add_argument("--cycle", type=float, metavar="SECONDS", help="step through the playlist every SECONDS, with crossfades")
    show.add_argument("--log-file", type=Path, metavar="FILE", help="rotating log: start/stop, styles, camera loss, drops, health")
    show.add_argument("--health-every", type=float, default=60.0, metavar="SECONDS", help="how often to log a health line")
    show.add_argument("--http-port", type=port_number, metavar="PORT", help="HTTP remote control: GET /status, POST /style?value=NAME ...")
    show.add_argument("--osc-port", type=port_number, metavar="PORT", help="OSC remote control: /style NAME, /mode M, /strength S, /record start|stop")
    show.add_argument("--remote-host", default="127.0.0.1", metavar="ADDRESS",
                      help="where remote control listens (default: this machine only; any other address needs --remote-token)")
    show.add_argument("--remote-token", metavar="SECRET",
                      help="remote commands must carry it (HTTP: Authorization: Bearer SECRET or ?token=SECRET; OSC: first argument)")
    parser.add_argument("--config", type=Path, metavar="FILE.toml", help="read options from a TOML file (keys are the long option names)")


def apply_config(parser: argparse.ArgumentParser, path: Path) -> None:
    """Make the file's values the parser's defaults, so flags on the command line still win."""
    try:
        text = path.read_text()
        values: dict[str, Any] = tomllib.loads(text)
    except FileNotFoundError:
        raise UserError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None

    def where(key: str) -> str:
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
                return f"{path}:{number}"
        return str(path)

    actions = {option.lstrip("-"): action for action in parser._actions for option in action.option_strings}
    defaults = {}
    for key, value in values.items():
        action = actions.get(key.replace("_", "-"))
        if action is None or key in ("config", "help"):
            raise UserError(f"unknown key {key!r} at {where(key)}; keys are the long options of 'realtime run --help'")
        if isinstance(action, argparse.BooleanOptionalAction):
            if not isinstance(value, bool):
                raise UserError(f"{key} at {where(key)} must be true or false, not {value!r}")
            defaults[action.dest] = value != key.replace("_", "-").startswith("no-")
            continue
        if action.nargs == 0:  # an on/off flag
            if not isinstance(value, bool):
                raise UserError(f"{key} at {where(key)} must be true or false, not {value!r}")
            defaults[action.dest] = action.const if value else action.default
            continue
        if action.type is None and not isinstance(value, str):
            raise UserError(f"{key} at {where(key)} must be text in quotes, not {value!r}")
        if isinstance(value, (dict, list, bool)):
            raise UserError(f"{key} at {where(key)} must be a single value, not {value!r}")
        try:
            converted = action.type(str(value)) if action.type else value
        except (argparse.ArgumentTypeError, ValueError) as exc:
            raise UserError(f"bad value for {key} at {where(key)}: {exc}") from None
        if action.choices and converted not in action.choices:
            raise UserError(f"bad value for {key} at {where(key)}: {value!r}; choose from {', '.join(action.choices)}")
        defaults[action.dest] = converted
    parser.set_defaults(**defaults)


def list_styles() -> None:
    from realtime.styles.checkpoint import load_style
    from realtime.styles.registry import StyleRegistry

    registry = StyleRegistry()
    if not registry.names():
        print(f"no styles in {registry.folder}")
    for name in registry.names():
        variants = registry.variants(name)
        _, meta = load_style(registry.resolve(name, variants[0]).path)
        painting = meta.get("painting", {})
        about = f"{painting.get('title', '')}, {painting.get('artist', '')} ({painting.get('year', '')})" if painting else ""
        print(f"{name:<20} {'/'.join(variants):<10} {about}")


def command_run(args: argparse.Namespace) -> None:
    if args.list_styles:
        list_styles()
        return
    if args.list_monitors:
        from realtime.window.renderer import monitor_list

        print("\n".join(monitor_list()))
        return
    from realtime.app.run import run
    from realtime.logs import setup_logging
    from realtime.settings import RunSettings

    setup_logging(args.log_file)
    sources = [args.camera is not None, args.input is not None, args.demo]
    if sum(sources) > 1:
        raise UserError("choose one source: --camera, --input or --demo")
    from realtime.look import Background, MaskSettings

    if args.mix is not None and args.style.count(",") != 1:
        raise UserError("--mix blends the styles of two pictures: --style a.jpg,b.jpg --mix 0.3")
    run(RunSettings(style=args.style, style_dir=args.style_dir, strength=args.style_strength,
                    mix=0.5 if args.mix is None else args.mix, keep_colors=args.keep_colors, precision=args.precision, stylize=args.stylize, background=Background.parse(args.background),
                    mask=MaskSettings(threshold=args.mask_threshold, feather=args.mask_feather, smoothing=args.mask_smoothing), camera=args.camera, input=args.input, demo=args.demo, output=args.output,
                    device=args.device, model=args.model, size=args.size, inference_size=args.inference_size, upsample=args.upsample, stabilize=args.stabilize, max_frames=args.max_frames,
                    display=args.display, vsync=args.vsync, screenshot_dir=args.screenshot_dir,
                    record_dir=args.record_dir,
                    recording=RecordingOptions(codec=args.codec, quality=args.crf, preset=args.preset,
                                               size=args.record_size, fragmented=args.fragmented),
                    loop=args.loop, playlist=args.playlist, cycle_seconds=args.cycle, health_every=args.health_every,
                    remote_host=args.remote_host, remote_token=args.remote_token, http_port=args.http_port, osc_port=args.osc_port,
                    fullscreen=args.fullscreen, monitor=args.monitor, keep_going=args.keep_going,
                    virtual_camera=args.virtual_camera))


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from realtime.train import TrainConfig

    defaults = TrainConfig(style_image=Path(), name="", data=Path())
    parser.add_argument("--style-image", type=Path, required=True, help="the painting to learn")
    parser.add_argument("--name", required=True, help="style name: saved as realtime/checkpoints/NAME.MODEL.pt")
    parser.add_argument("--data", type=Path, required=True, help="folder of content photos")
    parser.add_argument("--model", default=defaults.variant, choices=("lite", "full"), help="network size")
    parser.add_argument("--image-size", type=positive_int, default=defaults.image_size, help="training crop size in pixels")
    parser.add_argument("--style-size", type=positive_int, default=defaults.style_size, help="long side of the painting in pixels")
    parser.add_argument("--steps", type=positive_int, default=defaults.steps)
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate, help="learning rate")
    parser.add_argument("--content-weight", type=float, default=defaults.content_weight)
    parser.add_argument("--style-weight", type=float, default=defaults.style_weight)
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument("--temporal-weight", type=float, default=defaults.temporal_weight,
                        help="penalty for changing under small motions (0 turns it off)")
    parser.add_argument("--steady-steps", type=non_negative_int, default=None,
                        help="the last steps, which weigh the temporal term more and add camera noise (default: a fifth of --steps; 0: none)")
    parser.add_argument("--steady-temporal-weight", type=float, default=defaults.steady_temporal_weight,
                        help="temporal weight in the steady steps")
    parser.add_argument("--temporal-noise", type=float, default=defaults.temporal_noise,
                        help="std of the noise added to the moved copy in the steady steps, pixels in 0..1 (0: none)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the starting weights and the data order")
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    parser.add_argument("--checkpoints", type=Path, default=None, help="where the finished style goes (default: the project's realtime/checkpoints/)")
    parser.add_argument("--run-dir", type=Path, help="where previews, the loss log and resumable state go (default: runs/NAME-MODEL)")
    parser.add_argument("--preview-every", type=positive_int, default=defaults.preview_every)
    parser.add_argument("--init-from", metavar="NAME|PATH",
                        help="fine-tune this trained style (same model size) instead of starting from random weights")
    parser.add_argument("--resume", nargs="?", const=True, default=False, type=Path, metavar="STATE",
                        help="continue the steps, optimizer and schedule from a saved state.pt "
                             "(default: the run directory's, if there is one)")
    parser.add_argument("--no-mixed-precision", dest="mixed_precision", action="store_false",
                        help="train in fp32 (default: fp16 on CUDA, bf16 on CPUs with native bf16)")
    parser.add_argument("--title", default="", help="painting title, for the metadata")
    parser.add_argument("--artist", default="", help="painter, for the metadata")
    parser.add_argument("--year", default="", help="year of the painting, for the metadata")


def command_train(args: argparse.Namespace) -> None:
    from realtime.assets import CHECKPOINTS
    from realtime.styles.registry import StyleRegistry
    from realtime.train import TrainConfig, train

    painting = {k: v for k, v in (("title", args.title), ("artist", args.artist), ("year", args.year)) if v}
    init_from = StyleRegistry().resolve(args.init_from, args.model).path if args.init_from else None
    path = train(TrainConfig(
        style_image=args.style_image, name=args.name, data=args.data, variant=args.model,
        image_size=args.image_size, style_size=args.style_size, steps=args.steps, batch_size=args.batch_size,
        learning_rate=args.lr, content_weight=args.content_weight, style_weight=args.style_weight,
        tv_weight=args.tv_weight, temporal_weight=args.temporal_weight, steady_steps=args.steady_steps,
        steady_temporal_weight=args.steady_temporal_weight, temporal_noise=args.temporal_noise,
        seed=args.seed, device=args.device, threads=args.threads, init_from=init_from,
        checkpoints=args.checkpoints or CHECKPOINTS, run_dir=args.run_dir,
        preview_every=args.preview_every, save_every=args.preview_every, resume=args.resume,
        mixed_precision=args.mixed_precision, painting=painting))
    print(f"saved {path}")


def command_export(args: argparse.Namespace) -> None:
    from realtime.export import export_onnx, export_torchscript
    from realtime.styles.registry import StyleRegistry

    export_format = args.format or ("onnx" if args.output.suffix.lower() == ".onnx" else "torchscript")
    if export_format == "onnx":
        if args.half:
            raise UserError("--half is for TorchScript files; ONNX tools choose their own precision")
        path = export_onnx(StyleRegistry(), args.style, args.model, args.output)
    else:
        path = export_torchscript(StyleRegistry(), args.style, args.model, args.output, args.half)
    print(f"wrote {path}")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", required=True, metavar="NAME|PATH")
    parser.add_argument("--model", default="lite", choices=("lite", "full"))
    parser.add_argument("--output", type=Path, required=True, metavar="FILE.ts|FILE.onnx")
    parser.add_argument("--format", choices=("torchscript", "onnx"),
                        help="default: from the output's extension (.onnx: ONNX, else TorchScript)")
    parser.add_argument("--half", action="store_true", help="fp16 weights (for GPUs; TorchScript only)")


def comma_list(convert):
    def parse(text: str) -> list:
        return [convert(item.strip()) for item in text.split(",") if item.strip()]
    return parse


def on_off(text: str) -> bool:
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"use on, off or on,off, not {text!r}")
    return text == "on"


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    data = os.environ.get("REALTIME_DATA")
    default_input = Path(data) / "video" / "room_people_walking_in_one_by_one.mp4" if data else None
    parser.add_argument("--input", type=Path, default=default_input,
                        help="a real video file (default: $REALTIME_DATA/video/room_people_walking_in_one_by_one.mp4)")
    parser.add_argument("--frames", type=positive_int, default=60, help="frames per measurement, after 5 warm-up frames")
    parser.add_argument("--devices", type=comma_list(str), default=["auto"], help="e.g. cpu,cuda")
    parser.add_argument("--models", type=comma_list(str), default=["lite", "full"],
                        help="lite, full and adain (any picture as the style), e.g. lite,adain")
    parser.add_argument("--sizes", type=comma_list(parse_size), default=[(640, 360)],
                        help="processing sizes, e.g. 320x180,640x360,1280x720,1920x1080")
    parser.add_argument("--inference-sizes", type=comma_list(parse_inference_size), default=["auto"],
                        help="where the style network runs: auto (384x216 on a CPU), full (the processing size) or WxH, "
                             "e.g. auto,full")
    parser.add_argument("--upsample", type=comma_list(str), default=[DEFAULT_UPSAMPLE],
                        help=f"ways back to the size when the network runs smaller: {', '.join(UPSAMPLE_MODES)}, "
                             "e.g. bilinear,guided")
    parser.add_argument("--precisions", type=comma_list(str), default=["auto"],
                        help="auto,fp32,fp16,bf16 (auto: fp16 on CUDA; bf16 on CPUs with native bf16, else fp32)")
    parser.add_argument("--torchscript", type=comma_list(on_off), default=[True], help="on, off or on,off (eager)")
    parser.add_argument("--record", type=comma_list(on_off), default=[False], help="encode the output too: off, on or off,on")
    parser.add_argument("--display", type=comma_list(on_off), default=[False], help="show it in the real window: off, on or off,on")
    parser.add_argument("--segmentation", type=comma_list(on_off), default=[False, True],
                        help="stylize only the person, so the segmenter runs too: off, on or off,on (default)")
    parser.add_argument("--json", type=Path, help="write the full report as JSON here")
    parser.add_argument("--markdown", type=Path, metavar="FILE.md",
                        help="also append the table to this file, e.g. docs/benchmarks.md (default: print it only)")


def command_bench(args: argparse.Namespace) -> None:
    from realtime.measure.bench import (
        BENCH_MODELS,
        configs_from,
        markdown_table,
        run_bench,
        write_outputs,
    )

    if args.input is None:
        raise UserError("pass --input VIDEO (a real video file) or set REALTIME_DATA")
    for model in args.models:
        if model not in BENCH_MODELS:
            raise UserError(f"unknown model {model!r}; use {', '.join(BENCH_MODELS)} or several, e.g. lite,adain")
    for mode in args.upsample:
        if mode not in UPSAMPLE_MODES:
            raise UserError(f"unknown upsampling {mode!r}; use {', '.join(UPSAMPLE_MODES)} or several, e.g. bilinear,guided")
    for precision in args.precisions:
        if precision not in ("auto", "fp32", "fp16", "bf16"):
            raise UserError(f"unknown precision {precision!r}; use auto, fp32, fp16 or bf16")
    configs = configs_from(args.devices, args.models, args.sizes, args.precisions, args.torchscript, args.record, args.display,
                           args.segmentation, args.inference_sizes, args.upsample)
    report = run_bench(args.input, configs, args.frames)
    write_outputs(report, args.json, args.markdown)
    print(markdown_table(report))


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="evaluation", metavar="WHAT", required=True, parser_class=OneLineErrorParser)
    segmentation = kinds.add_parser("segmentation", help="person mask IoU against ground truth, and parity with MediaPipe")
    data = os.environ.get("REALTIME_DATA")
    segmentation.add_argument("--data", type=Path, default=Path(data) / "portraits" if data else None,
                              help="folder with images/ and masks/ (default: $REALTIME_DATA/portraits)")
    segmentation.add_argument("--no-parity", dest="parity", action="store_false",
                              help="skip the comparison with MediaPipe's runtime")
    soak = kinds.add_parser("soak", help="run the live app for a long time on a looping file: memory and FPS")
    soak.add_argument("--input", type=Path, required=True, help="a video file, played in a loop")
    soak.add_argument("--minutes", type=float, default=30.0)
    soak.add_argument("--cycle", type=float, default=5.0, metavar="SECONDS", help="style change interval")
    soak.add_argument("--size", type=parse_size, default=(640, 360), metavar="WxH")
    soak.add_argument("--json", type=Path, help="write the report with every sample as JSON")
    temporal = kinds.add_parser("temporal", help="flicker of the stylized video and of the person mask (warping error)")
    temporal.add_argument("--input", type=Path, required=True, help="a video clip")
    temporal.add_argument("--style", default="starry_night", metavar="NAME|PATH")
    temporal.add_argument("--model", default="auto", choices=("auto", "lite", "full"))
    temporal.add_argument("--device", default="auto", choices=("auto", "cuda", "mps", "cpu"))
    temporal.add_argument("--size", type=parse_size, metavar="WxH", help="evaluation size (default: the clip's)")
    temporal.add_argument("--max-frames", type=positive_int, default=90, metavar="N")
    style = kinds.add_parser("style", help="per style: detail kept, distance to its painting (VGG Gram), flicker")
    style.add_argument("--styles", type=comma_list(str), help="names or checkpoint files (default: every style)")
    style.add_argument("--checkpoints", type=Path, help="look style names up in this folder (default: the project's)")
    style.add_argument("--images", type=Path, help="folder of photos (default: scikit-image's astronaut, coffee, chelsea, rocket)")
    style.add_argument("--paintings", type=Path, default=Path(data) / "styles" if data else None,
                       help="folder of the paintings (default: $REALTIME_DATA/styles)")
    default_clip = Path(data) / "video" / "webcam_person_signing_asl_book.mkv" if data else None
    style.add_argument("--clip", type=Path, default=default_clip,
                       help="clip for the flicker (default: $REALTIME_DATA/video/webcam_person_signing_asl_book.mkv)")
    style.add_argument("--clip-size", type=parse_size, default=(640, 360), metavar="WxH")
    style.add_argument("--max-frames", type=positive_int, default=30, metavar="N")
    style.add_argument("--model", default="lite", choices=("lite", "full"))


def command_eval(args: argparse.Namespace) -> None:
    from realtime import evaluate

    if args.evaluation == "soak":
        from realtime.measure.soak import soak
        from realtime.styles.registry import StyleRegistry

        if not args.input.is_file():
            raise UserError(f"input not found: {args.input}")
        report = soak(args.input, StyleRegistry(), args.minutes, args.cycle, args.size)
        if args.json is not None:
            args.json.write_text(json.dumps(report.to_dict(), indent=2))
        print(report.summary())
        return
    if args.evaluation == "segmentation":
        if args.data is None:
            raise UserError("pass --data DIR or set REALTIME_DATA")
        print(evaluate.report_segmentation(args.data, args.parity))
        return
    if args.evaluation == "style":
        print(evaluate_styles(args))
        return
    from realtime.app.run import build_engine
    from realtime.settings import RunSettings
    from realtime.styles.registry import StyleRegistry

    if not args.input.is_file():
        raise UserError(f"input not found: {args.input}")
    # As file mode stylizes the clip: the network at the full size.
    engine = build_engine(RunSettings(style=args.style, device=args.device, model=args.model, input=str(args.input),
                                      display=False), StyleRegistry())
    print(evaluate.report_temporal(args.input, engine, args.style, args.max_frames, args.size))


def evaluate_styles(args: argparse.Namespace) -> str:
    import torch

    from realtime.engine.style_engine import StyleEngine
    from realtime.measure.evaluate import read_clip
    from realtime.measure.style_quality import StyleJudge, photos_in, report_styles
    from realtime.styles.registry import StyleRegistry

    if args.paintings is None or not args.paintings.is_dir():
        raise UserError(f"paintings folder not found: {args.paintings}; pass --paintings DIR or set REALTIME_DATA")
    if args.clip is not None and not args.clip.is_file():
        raise UserError(f"clip not found: {args.clip}; pass --clip VIDEO or set REALTIME_DATA")
    registry = StyleRegistry(args.checkpoints) if args.checkpoints else StyleRegistry()
    styles = args.styles or registry.names()
    if not styles:
        raise UserError(f"no styles in {registry.folder}")
    clip = read_clip(args.clip, args.max_frames, args.clip_size) if args.clip else None
    engine = StyleEngine(registry, torch.device("cpu"), args.model)  # full size, as image and file modes
    return report_styles(StyleJudge(engine, photos_in(args.images), args.paintings, clip), styles)


def add_sheet_arguments(parser: argparse.ArgumentParser) -> None:
    data = os.environ.get("REALTIME_DATA")
    parser.add_argument("--photos", type=Path, nargs="+", required=True, help="photos not used in training")
    parser.add_argument("--output", type=Path, required=True, metavar="FILE.png")
    parser.add_argument("--styles", type=comma_list(str), help="default: every style in realtime/checkpoints/")
    parser.add_argument("--paintings", type=Path, default=Path(data) / "styles" if data else Path("."),
                        help="folder of the paintings (default: $REALTIME_DATA/styles)")
    parser.add_argument("--model", default="lite", choices=("lite", "full"))


def command_sheet(args: argparse.Namespace) -> None:
    import torch

    from realtime.engine.style_engine import StyleEngine
    from realtime.io.images import write_image
    from realtime.measure.contact_sheet import contact_sheet
    from realtime.styles.registry import StyleRegistry

    registry = StyleRegistry()
    styles = args.styles or registry.names()
    if not styles:
        raise UserError(f"no styles in {registry.folder}")
    engine = StyleEngine(registry, torch.device("cpu"), args.model)
    write_image(args.output, contact_sheet(engine, styles, args.photos, args.paintings))
    print(f"wrote {args.output}")


def add_paint_arguments(parser: argparse.ArgumentParser) -> None:
    from realtime.paint import PaintConfig

    defaults = PaintConfig(content=Path(), style=Path())
    parser.add_argument("--content", type=Path, required=True, metavar="PHOTO", help="the photo to paint")
    parser.add_argument("--style", type=Path, required=True, metavar="IMAGE", help="any picture as the style")
    parser.add_argument("--output", type=Path, required=True, metavar="OUT.png")
    parser.add_argument("--size", type=positive_int, default=defaults.size, help="long side of the result in pixels")
    parser.add_argument("--steps", type=positive_int, default=defaults.steps, help="L-BFGS budget in loss evaluations")
    parser.add_argument("--init", default=defaults.init, choices=("content", "noise"), help="start from the photo or from noise")
    parser.add_argument("--keep-colors", action="store_true", help="keep the photo's colours")
    parser.add_argument("--content-weight", type=float, default=defaults.content_weight)
    parser.add_argument("--style-weight", type=float, default=defaults.style_weight)
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the noise start")
    parser.add_argument("--threads", type=non_negative_int, default=0, help="CPU threads (0: torch's default)")


def command_paint(args: argparse.Namespace) -> None:
    from realtime.io.images import write_image
    from realtime.io.outputs import check_output_path, check_writable, is_image_path
    from realtime.paint import PaintConfig, paint

    if not is_image_path(args.output):
        raise UserError(f"--output {args.output.name}: paint writes an image (.png or .jpg)")
    check_output_path(args.output, None)
    check_writable(args.output)
    painting = paint(PaintConfig(
        content=args.content, style=args.style, size=args.size, steps=args.steps, init=args.init,
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        keep_colors=args.keep_colors, seed=args.seed, threads=args.threads))
    write_image(args.output, painting.image)
    print(f"wrote {args.output} ({painting.seconds:.0f} s, loss {painting.losses[0]:.3f} -> {painting.losses[-1]:.3f})")


# name -> (help, arguments, handler); `realtime --help` lists them in this order.
COMMANDS = {
    "run": ("stylize a camera, video, image or the demo (the default command)", add_run_arguments, command_run),
    "train": ("train a style network from a painting", add_train_arguments, command_train),
    "export": ("write a style as a frozen TorchScript or an ONNX file", add_export_arguments, command_export),
    "bench": ("measure the pipeline's speed against the naive loop", add_bench_arguments, command_bench),
    "eval": ("measure styles (style), mask quality (segmentation), flicker (temporal) and long runs (soak)", add_eval_arguments, command_eval),
    "paint": ("paint one photo in any picture's style by optimisation (Gatys et al.; slow, best quality)",
              add_paint_arguments, command_paint),
    "sheet": ("a contact sheet: every style on a few photos, next to its painting", add_sheet_arguments, command_sheet),
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = OneLineErrorParser(prog="realtime", description="Real-time style transfer for webcams and video files.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)
    subparsers = {}
    for name, (summary, add_arguments, handler) in COMMANDS.items():
        extra = {"epilog": f"keys in the window:\n{key_list_text()}",
                 "formatter_class": argparse.RawDescriptionHelpFormatter} if name == "run" else {}
        subparsers[name] = commands.add_parser(name, help=summary, **extra)
        add_arguments(subparsers[name])
        subparsers[name].set_defaults(handler=handler)
    return parser, subparsers


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every finally block runs (recordings get finalized)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "run")  # `realtime --camera 0` means `realtime run --camera 0`
    parser, subparsers = build_parser()
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        args = parser.parse_args(argv)
        if getattr(args, "config", None) is not None:
            apply_config(subparsers[args.command], args.config)
            args = parser.parse_args(argv)
        args.handler(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except Terminated:
        print("stopped (SIGTERM)", file=sys.stderr)
        return 143
    return 0
