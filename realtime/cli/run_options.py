"""`realtime run`: its options, the TOML config file that can set them, and RunSettings filled from them.

An option's dest is its RunSettings field's name, so settings_from() copies it over: a new option
is one field in realtime/settings.py and one add_argument here.
"""
from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path
from typing import Any

from realtime.cli.values import (
    MODEL_HELP,
    non_negative_int,
    parse_inference_size,
    parse_playlist,
    parse_size,
    port_number,
    positive_int,
    settings_from,
    stroke_scale,
    unit_interval,
)
from realtime.engine.segmenters import SEGMENTERS
from realtime.errors import UserError
from realtime.io.outputs import CODECS, RecordingOptions
from realtime.look import STROKE_SCALES, STYLIZE_MODES, Background, MaskSettings
from realtime.settings import (
    DEVICES,
    NETWORK_SIZES,
    PICTURE_MODELS,
    PRECISIONS,
    UPSAMPLE_MODES,
    RunSettings,
)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    # The defaults are RunSettings' and MaskSettings', so the Python API and the command line agree.
    defaults, mask = RunSettings(), MaskSettings()
    source = parser.add_argument_group("source (default: the first camera that opens, else the demo)")
    source.add_argument("--camera", type=non_negative_int, metavar="INDEX", help="camera index, e.g. 0")
    source.add_argument("--input", metavar="FILE|URL", help="video file, image file or stream URL")
    source.add_argument("--demo", action="store_true", help="a built-in moving scene (needs no camera)")
    style = parser.add_argument_group("style")
    style.add_argument("--style", default=defaults.style, metavar="NAME|PATH",
                       help="style name (yours from 'realtime train', or a shipped one), a checkpoint file (.pt, .pth, "
                            f".model, .ts), or any picture as the style (default: {defaults.style})")
    style.add_argument("--style-dir", type=Path, metavar="DIR",
                       help="add every picture in DIR to the style list (number keys, N/P, --cycle, remote control)")
    style.add_argument("--style-strength", dest="strength", type=unit_interval, default=defaults.strength, metavar="S",
                       help="0 (the photo) to 1 (fully stylized); for pictures with --picture-model adain, AdaIN's alpha "
                            f"(+/- keys) (default: {defaults.strength:g})")
    style.add_argument("--mix", type=unit_interval, metavar="M",
                       help=f"with --style a.jpg,b.jpg (two pictures) or a,b (two styles of one pack): how much of the second style, "
                            f"0 to 1 (default: {defaults.mix:g})")
    style.add_argument("--picture-model", default=defaults.picture_model, choices=PICTURE_MODELS,
                       help="what paints a picture given as the style: magenta (Magenta's arbitrary stylization network, "
                            "live on a CPU) or adain (VGG-19 features with the picture's statistics: about a second a frame) "
                            f"(default: {defaults.picture_model})")
    style.add_argument("--keep-colors", action="store_true", help="keep the photo's colours, take the style's light and texture (K)")
    style.add_argument("--list-styles", action="store_true",
                       help="list the styles, yours and the shipped ones, each with its folder, and exit")
    style.add_argument("--device", default=defaults.device, choices=DEVICES,
                       help="auto picks CUDA, then MPS, then the CPU")
    style.add_argument("--model", default=defaults.model, choices=("auto", *NETWORK_SIZES),
                       help=MODEL_HELP)
    style.add_argument("--precision", default=defaults.precision, choices=PRECISIONS,
                       help="style network precision; auto: fp16 on CUDA, bf16 on CPUs with native bf16 (AMX), else fp32")
    style.add_argument("--size", type=parse_size, metavar="WxH", help="processing and output size (default: the source's)")
    style.add_argument("--inference-size", type=parse_inference_size, default=defaults.inference_size, metavar="WxH|auto|full",
                       help="run the style network at about WxH pixels (in the frame's aspect) and upsample; full: at the "
                            "processing size; auto (default): for a live source or window on a CPU, 512x288 with the fast network "
                            "(384x216 with the others); on a GPU, full; in image and file modes at most 960x540, so the strokes "
                            "keep their size relative to the picture")
    style.add_argument("--stroke-scale", type=stroke_scale, default=defaults.stroke_scale, metavar="S",
                       help="stroke size: 2 paints strokes twice as large (the network runs at half the width and height of "
                            f"--inference-size), 0.5 half as large; {STROKE_SCALES[0]:g} to {STROKE_SCALES[1]:g} "
                            f"([ and ] in the window; default: {defaults.stroke_scale:g})")
    style.add_argument("--upsample", default=defaults.upsample, choices=UPSAMPLE_MODES,
                       help="how the network's output returns to the frame's size when --inference-size is smaller: "
                            f"bilinear, guided (fast guided filter on the frame) or detail (bilinear plus the frame's "
                            f"fine detail) (default: {defaults.upsample})")
    style.add_argument("--stabilize", type=unit_interval, default=defaults.stabilize, metavar="S",
                       help="video: how much of the last stylized frame to keep where the picture is still, "
                            f"0 (off) to 1; moving parts always take the new frame (default: {defaults.stabilize:g})")
    person = parser.add_argument_group("person segmentation")
    person.add_argument("--stylize", default=defaults.stylize, choices=STYLIZE_MODES, help="what to stylize (G cycles)")
    person.add_argument("--background", default=defaults.background.kind, metavar="keep|blur|transparent|color:#RRGGBB|IMAGE",
                        help="what goes behind the person; transparent: nothing, the person with the mask as alpha "
                             f"(.png .webm .mov, --ndi) (default: {defaults.background.kind})")
    person.add_argument("--mask-threshold", type=unit_interval, default=mask.threshold, metavar="P",
                        help="person probability at the mask edge")
    person.add_argument("--mask-feather", type=unit_interval, default=mask.feather, metavar="P", help="softness of the mask edge")
    person.add_argument("--mask-smoothing", type=unit_interval, default=mask.smoothing, metavar="S",
                        help="temporal steadiness of unsure mask pixels, 0 (off) to 1")
    person.add_argument("--segmenter", default=defaults.segmenter, metavar="NAME|PATH",
                        help=f"the person segmenter: {', '.join(SEGMENTERS)} (shipped; default: {defaults.segmenter}), "
                             "or a file saved by `realtime train segmentation`")
    add_output_arguments(parser, defaults)
    parser.add_argument("--config", type=Path, metavar="FILE.toml", help="read options from a TOML file (keys are the long option names)")


def add_output_arguments(parser: argparse.ArgumentParser, defaults: RunSettings) -> None:
    """Where the frames go, how they are recorded, and what an installation needs."""
    out = parser.add_argument_group("output")
    out.add_argument("--output", type=Path, metavar="FILE",
                     help="write the stylized video (.mp4 .mkv .mov .webm) or image (.png .jpg), into a folder that "
                          "exists; an image input without it is written as NAME_STYLE.png beside the input")
    out.add_argument("--max-frames", type=positive_int, metavar="N",
                     help="stop after N frames (recording the demo or a --loop without a window needs it)")
    out.add_argument("--no-display", dest="display", action="store_false",
                     help="no window: process to --output as fast as possible (a file plays in real time to "
                          "--virtual-camera and --ndi)")
    out.add_argument("--virtual-camera", action="store_true",
                     help="also send the stylized stream to a virtual camera for OBS or video calls (needs pyvirtualcam)")
    out.add_argument("--ndi", metavar="NAME",
                     help="also send the stylized stream as the NDI source NAME, for TouchDesigner, OBS, Resolume or "
                          "vMix on the network (needs cyndilib: pip install -e '.[ndi]'; docs/installations.md)")
    out.add_argument("--json", action="store_true",
                     help="image and file modes: print one JSON object on stdout at the end (input, output, size, style, "
                          "model, device, seconds, frames, dropped); progress and messages stay on stderr")
    out.add_argument("--no-vsync", dest="vsync", action="store_false", help="start with vsync off")
    out.add_argument("--screenshot-dir", type=Path, default=defaults.screenshot_dir, metavar="DIR", help="where S saves screenshots")
    rec = parser.add_argument_group("recording (--output, or R in the window)")
    rec.add_argument("--record-dir", type=Path, default=defaults.record_dir, metavar="DIR",
                     help="where R saves recordings (timestamped .mp4 names)")
    rec.add_argument("--codec", choices=tuple(CODECS), help="default: from the extension (h264; vp9 for .webm), "
                     "h264_nvenc when a CUDA GPU is used and the encoder opens")
    scales = ", ".join(f"{name} {codec.quality_range[0]}-{codec.quality_range[1]} (default {codec.default_quality})"
                       for name, codec in CODECS.items())
    rec.add_argument("--crf", type=int, metavar="Q", help=f"constant quality, lower is better: {scales}")
    rec.add_argument("--preset", help="encoder speed preset (h264: ultrafast..veryslow; default medium for files, veryfast live)")
    rec.add_argument("--record-size", type=parse_size, metavar="WxH", help="scale recorded frames to this size")
    rec.add_argument("--fragmented", action=argparse.BooleanOptionalAction, default=defaults.recording.fragmented,
                     help="write every second to disk playable, so even a kill -9 leaves a file that plays "
                          "(a file job's as NAME.partial.EXT); --no-fragmented: a plain file, unplayable until finalized")
    show = parser.add_argument_group("installations")
    show.add_argument("--fullscreen", action="store_true", help="fullscreen without a cursor, on --monitor")
    show.add_argument("--monitor", type=int, default=defaults.monitor, metavar="N", help="monitor for --fullscreen (see --list-monitors)")
    show.add_argument("--list-monitors", action="store_true", help="list the monitors and exit")
    show.add_argument("--keep-going", action="store_true",
                      help="restart a failed engine or capture thread (logged), instead of stopping")
    show.add_argument("--loop", action="store_true", help="play a video file in a loop (window; with --max-frames in file mode)")
    show.add_argument("--playlist", type=parse_playlist, default=defaults.playlist, metavar="STYLE[:MODE],...",
                      help="styles (and stylize modes) for --cycle, e.g. starry_night,udnie:person (default: all styles)")
    show.add_argument("--cycle", dest="cycle_seconds", type=float, metavar="SECONDS",
                      help="step through the playlist every SECONDS, with crossfades")
    show.add_argument("--log-file", type=Path, metavar="FILE", help="rotating log: start/stop, styles, camera loss, drops, health")
    show.add_argument("--health-every", type=float, default=defaults.health_every, metavar="SECONDS", help="how often to log a health line")
    show.add_argument("--http-port", type=port_number, metavar="PORT", help="HTTP remote control: GET /status, POST /style?value=NAME ...")
    show.add_argument("--osc-port", type=port_number, metavar="PORT", help="OSC remote control: /style NAME, /mode M, /strength S, /record start|stop, /ndi on|off")
    show.add_argument("--remote-host", default=defaults.remote_host, metavar="ADDRESS",
                      help=f"where remote control listens (default: {defaults.remote_host}, this machine only; any other "
                           "address needs --remote-token)")
    show.add_argument("--remote-token", metavar="SECRET",
                      help="remote commands must carry it (HTTP: Authorization: Bearer SECRET or ?token=SECRET; OSC: first argument)")


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


def run_settings(args: argparse.Namespace) -> RunSettings:
    """RunSettings from `realtime run`'s options; only the fields made of several options are built here.
    realtime.app.run_checks.validate checks the settings; --mix is checked here, where it shows whether it was given."""
    if args.mix is not None and args.style.count(",") != 1:
        raise UserError("--mix blends two styles: two pictures (--style a.jpg,b.jpg --mix 0.3) or two styles of one pack "
                        "(--style ice_blue,red_embers --mix 0.3)")
    return settings_from(
        RunSettings, args,
        mix=RunSettings.mix if args.mix is None else args.mix,
        background=Background.parse(args.background),
        mask=MaskSettings(threshold=args.mask_threshold, feather=args.mask_feather, smoothing=args.mask_smoothing),
        recording=RecordingOptions(codec=args.codec, quality=args.crf, preset=args.preset, size=args.record_size,
                                   fragmented=args.fragmented))


def list_styles() -> None:
    from realtime.styles.checkpoint import load_style
    from realtime.styles.registry import StyleRegistry

    registry = StyleRegistry()
    if not registry.names():
        print(f"no styles in {registry.searched()}")
    for name in registry.names():
        variants = registry.variants(name)
        ref = registry.resolve(name, variants[0])
        painting = {**load_style(ref.path)[1], **registry.slot_meta(name)}.get("painting", {})
        about = f"{painting.get('title', '')}, {painting.get('artist', '')} ({painting.get('year', '')})" if painting else ""
        if ref.slots and not painting:
            about = f"slot {ref.slots[0]} of the style pack {ref.path.name}"
        print(f"{name:<20} {'/'.join(variants):<29} {about:<60} {registry.home(name)}")


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

    setup_logging(args.log_file)
    report = run(run_settings(args))
    if args.json:
        print(report.to_json())
