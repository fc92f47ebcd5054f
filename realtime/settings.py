"""What the commands are asked to do, as plain data: the command line (and for `realtime run` the
config file) fills it, the app, training and painting read it. `realtime run`'s options are declared once,
in RUN_OPTIONS, and RunSettings is made from them. No torch, OpenCV or PyAV here, so `--help` starts at once."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from realtime.assets import user_styles
from realtime.engine.segmenters import SEGMENTERS
from realtime.io.outputs import CODECS, RecordingOptions, is_image_path
from realtime.look import DEFAULT_STABILIZE, STROKE_SCALES, STYLIZE_MODES, Background, Look, MaskSettings
from realtime.model.architectures import ARCHITECTURES, MODELS, TRAINING_RECIPES
from realtime.options import CLI, COMMAND_ONLY, RUN_AND_API, Option, section, settings_class
from realtime.values import (
    MODEL_HELP,
    non_negative_int,
    parse_inference_size,
    parse_playlist,
    parse_size,
    port_number,
    positive_int,
    stroke_scale,
    unit_interval,
)

UPSAMPLE_MODES = ("bilinear", "guided", "detail")
# What runs a picture given as the style: Magenta's arbitrary network (live) or AdaIN (VGG-19 + decoder, slow).
PICTURE_MODELS = ("magenta", "adain")
DEVICES = ("auto", "cuda", "mps", "cpu")  # --device: auto picks CUDA, then MPS, then the CPU (engine/device.py)
PRECISIONS = ("auto", "fp32", "fp16", "bf16")  # the style network's; engine/style_cache.py maps them to dtypes
DEFAULT_STYLE = "starry_night"
DEFAULT_UPSAMPLE = "guided"  # closest to the network at full size (docs/benchmarks.md, Upsampling)

SEGMENTER_MODELS = ("general", "landscape")  # each shipped segmenter's two networks: 256x256, and 144x256 for wide frames
DEFAULT_SEGMENTER = "mediapipe"


SOURCE = "source (default: the first camera that opens, else the demo)"
RECORDING = "recording (--output, or R in the window)"
# --crf's help: each codec's quality scale.
QUALITY_SCALES = ", ".join(f"{name} {codec.quality_range[0]}-{codec.quality_range[1]} (default {codec.default_quality})"
                           for name, codec in CODECS.items())

# `realtime run`'s options, declared once (realtime/options.py): the command line, the config file, RunSettings'
# fields and the Python API's keywords (api.Stylizer) all come from here, in this order (--help's).
RUN_OPTIONS: tuple[Option, ...] = (
    *section(
        SOURCE,
        Option("--camera", int | None, None, "camera index, e.g. 0", parse=non_negative_int, metavar="INDEX"),
        Option("--input", str | None, None, "video file, image file or stream URL", metavar="FILE|URL"),
        Option("--demo", bool, False, "a built-in moving scene (needs no camera)", action="store_true"),
    ),
    *section(
        "style",
        Option("--style", str, DEFAULT_STYLE, "style name (yours from 'realtime train', or a shipped one), a checkpoint "
               "file (.pt, .pth, .model, .ts), or any picture as the style (default: {default})", metavar="NAME|PATH"),
        Option("--style-dir", Path | None, None, "add every picture in DIR to the style list (number keys, N/P, --cycle, "
               "remote control)", parse=Path, metavar="DIR"),  # every picture in it joins the window's style list
        Option("--style-strength", float, 1.0, "0 (the photo) to 1 (fully stylized); for pictures with --picture-model "
               "adain, AdaIN's alpha (+/- keys) (default: {default})", name="strength", parse=unit_interval, metavar="S",
               where=RUN_AND_API),
        # the second style's share in a mix of two pictures or two pack styles (--style a,b)
        Option("--mix", float, 0.5, "with --style a.jpg,b.jpg (two pictures) or a,b (two styles of one pack): how much "
               "of the second style, 0 to 1 (default: {default})", parse=unit_interval, metavar="M",
               none_until_given=True, where=RUN_AND_API),
        Option("--picture-model", str, PICTURE_MODELS[0], "what paints a picture given as the style: magenta (Magenta's "
               "arbitrary stylization network, live on a CPU) or adain (VGG-19 features with the picture's statistics: "
               "about a second a frame) (default: {default})", choices=PICTURE_MODELS, where=RUN_AND_API),
        Option("--keep-colors", bool, False, "keep the photo's colours, take the style's light and texture (K)",
               action="store_true", where=RUN_AND_API),
        Option("--list-styles", bool, False, "list the styles, yours and the shipped ones, each with its folder, and exit",
               action="store_true", where=COMMAND_ONLY),
        Option("--device", str, "auto", "auto picks CUDA, then MPS, then the CPU", choices=DEVICES, where=RUN_AND_API),
        Option("--model", str, "auto", MODEL_HELP, choices=("auto", *MODELS), where=RUN_AND_API),
        Option("--precision", str, "auto", "style network precision; auto: fp16 on CUDA, bf16 on CPUs with native bf16 "
               "(AMX), else fp32", choices=PRECISIONS, where=RUN_AND_API),
        Option("--size", tuple[int, int] | None, None, "processing and output size (default: the source's)",
               parse=parse_size, metavar="WxH", where=RUN_AND_API),
        Option("--inference-size", str | tuple[int, int], "auto", "run the style network at about WxH pixels (in the "
               "frame's aspect) and upsample; full: at the processing size; auto (default): for a live source or window "
               "on a CPU, 512x288 with the fast network (384x216 with the others); on a GPU, full; in image and file "
               "modes at most 960x540, so the strokes keep their size relative to the picture",
               parse=parse_inference_size, metavar="WxH|auto|full", where=RUN_AND_API),
        Option("--stroke-scale", float, 1.0, "stroke size: 2 paints strokes twice as large (the network runs at half the "
               f"width and height of --inference-size), 0.5 half as large; {STROKE_SCALES[0]:g} to {STROKE_SCALES[1]:g} "
               "([ and ] in the window; default: {default})", parse=stroke_scale, metavar="S", where=RUN_AND_API),
        Option("--upsample", str, DEFAULT_UPSAMPLE, "how the network's output returns to the frame's size when "
               "--inference-size is smaller: bilinear, guided (fast guided filter on the frame) or detail (bilinear "
               "plus the frame's fine detail) (default: {default})", choices=UPSAMPLE_MODES, where=RUN_AND_API),
        Option("--stabilize", float, DEFAULT_STABILIZE, "video: how much of the last stylized frame to keep where the "
               "picture is still, 0 (off) to 1; moving parts always take the new frame (default: {default})",
               parse=unit_interval, metavar="S", where=RUN_AND_API),
    ),
    *section(
        "person segmentation",
        Option("--stylize", str, "all", "what to stylize (G cycles)", choices=STYLIZE_MODES, where=RUN_AND_API),
        Option("--background", str, "keep", "what goes behind the person; transparent: nothing, the person with the "
               "mask as alpha (.png .webm .mov, --ndi) (default: {default})",
               metavar="keep|blur|transparent|color:#RRGGBB|IMAGE", build=Background.parse, where=RUN_AND_API),
        Option("--person-light", float, 1.0, "in a dim room, light the person's outline in the painting's light colour, "
               "so a dark figure reads against a dark room; 0 (off) to 1 (the mask runs only in dim frames) "
               "(default: {default})", parse=unit_interval, metavar="S", where=RUN_AND_API),
        Option("--mask-threshold", float, MaskSettings.threshold, "person probability at the mask edge",
               parse=unit_interval, metavar="P", into="mask.threshold", where=RUN_AND_API),
        Option("--mask-feather", float, MaskSettings.feather, "softness of the mask edge", parse=unit_interval,
               metavar="P", into="mask.feather", where=RUN_AND_API),
        Option("--mask-smoothing", float, MaskSettings.smoothing, "temporal steadiness of unsure mask pixels, 0 (off) "
               "to 1", parse=unit_interval, metavar="S", into="mask.smoothing", where=RUN_AND_API),
        # a name of engine/segmenters.py's SEGMENTERS or a checkpoint's path (str(): the API takes a Path too)
        Option("--segmenter", str, DEFAULT_SEGMENTER, f"the person segmenter: {', '.join(SEGMENTERS)} (shipped; "
               "default: {default}), or a file saved by `realtime train segmentation`", metavar="NAME|PATH", build=str,
               where=RUN_AND_API),
    ),
    *section(
        "output",
        Option("--output", Path | None, None, "write the stylized video (.mp4 .mkv .mov .webm) or image (.png .jpg), "
               "into a folder that exists; an image input without it is written as NAME_STYLE.png beside the input",
               parse=Path, metavar="FILE"),
        Option("--max-frames", int | None, None, "stop after N frames (recording the demo or a --loop without a "
               "window needs it)", parse=positive_int, metavar="N"),
        Option("--no-display", bool, True, "no window: process to --output as fast as possible (a file plays in real "
               "time to --virtual-camera and --ndi)", action="store_false"),
        Option("--virtual-camera", bool, False, "also send the stylized stream to a virtual camera for OBS or video "
               "calls (needs pyvirtualcam)", action="store_true"),
        Option("--ndi", str | None, None, "also send the stylized stream as the NDI source NAME, for TouchDesigner, "
               "OBS, Resolume or vMix on the network (needs cyndilib: pip install -e '.[ndi]'; docs/installations.md)",
               metavar="NAME"),  # the NDI source's name (io/ndi.py)
        # app/run_report.py
        Option("--json", bool, False, "image and file modes: print one JSON object on stdout at the end (input, "
               "output, size, style, model, device, seconds, frames, dropped); progress and messages stay on stderr",
               action="store_true"),
        Option("--no-vsync", bool, True, "start with vsync off", action="store_false"),
        Option("--screenshot-dir", Path, Path("."), "where S saves screenshots", parse=Path, metavar="DIR"),
    ),
    *section(
        RECORDING,
        Option("--record-dir", Path, Path("."), "where R saves recordings (timestamped .mp4 names)", parse=Path,
               metavar="DIR"),
        Option("--codec", str | None, None, "default: from the extension (h264; vp9 for .webm), h264_nvenc when a "
               "CUDA GPU is used and the encoder opens", choices=tuple(CODECS), into="recording.codec"),
        Option("--crf", int | None, None, f"constant quality, lower is better: {QUALITY_SCALES}", parse=int,
               metavar="Q", into="recording.quality"),
        Option("--preset", str | None, None, "encoder speed preset (h264: ultrafast..veryslow; default medium for "
               "files, veryfast live)", into="recording.preset"),
        Option("--record-size", tuple[int, int] | None, None, "scale recorded frames to this size", parse=parse_size,
               metavar="WxH", into="recording.size"),
        Option("--fragmented", bool, RecordingOptions.fragmented, "write every second to disk playable, so even a "
               "kill -9 leaves a file that plays (a file job's as NAME.partial.EXT); --no-fragmented: a plain file, "
               "unplayable until finalized", action="yes_no", into="recording.fragmented"),
    ),
    *section(
        "installations",
        Option("--fullscreen", bool, False, "fullscreen without a cursor, on --monitor", action="store_true"),
        Option("--monitor", int, 0, "monitor for --fullscreen (see --list-monitors)", parse=int, metavar="N"),
        Option("--list-monitors", bool, False, "list the monitors and exit", action="store_true", where=COMMAND_ONLY),
        Option("--keep-going", bool, False, "restart a failed engine or capture thread (logged), instead of stopping",
               action="store_true"),
        Option("--loop", bool, False, "play a video file in a loop (window; with --max-frames in file mode)",
               action="store_true"),
        Option("--playlist", list[tuple[str, str | None]], [], "styles (and stylize modes) for --cycle, e.g. "
               "starry_night,udnie:person (default: all styles)", parse=parse_playlist, metavar="STYLE[:MODE],..."),
        Option("--cycle", float | None, None, "step through the playlist every SECONDS, with crossfades",
               name="cycle_seconds", parse=float, metavar="SECONDS"),
        Option("--log-file", Path | None, None, "rotating log: start/stop, styles, camera loss, drops, health",
               parse=Path, metavar="FILE", where=COMMAND_ONLY),
        Option("--health-every", float, 60.0, "how often to log a health line", parse=float, metavar="SECONDS"),
        Option("--http-port", int | None, None, "HTTP remote control: GET /status, POST /style?value=NAME ...",
               parse=port_number, metavar="PORT"),
        Option("--osc-port", int | None, None, "OSC remote control: /style NAME, /mode M, /strength S, "
               "/record start|stop, /ndi on|off", parse=port_number, metavar="PORT"),
        Option("--remote-host", str, "127.0.0.1", "where remote control listens (default: {default}, this machine "
               "only; any other address needs --remote-token)", metavar="ADDRESS"),
        Option("--remote-token", str | None, None, "remote commands must carry it (HTTP: Authorization: Bearer SECRET "
               "or ?token=SECRET; OSC: first argument)", metavar="SECRET"),
    ),
    Option("--config", Path | None, None, "read options from a TOML file (keys are the long option names)", parse=Path,
           metavar="FILE.toml", where=frozenset({CLI})),
)
# The RunSettings fields made of several options (Option.into).
RUN_PARTS = {"mask": MaskSettings, "recording": RecordingOptions}


def look(self) -> Look:
    return Look(self.style, strength=self.strength, stylize=self.stylize, background=self.background,
                stabilize=self.stabilize, keep_colors=self.keep_colors, stroke_scale=self.stroke_scale,
                person_light=self.person_light)


def streams_out(self) -> bool:
    """Whether frames go out in real time to another program (the virtual camera, NDI)."""
    return self.virtual_camera or self.ndi is not None


def live(self) -> bool:
    """Whether frames must keep up with a clock: a window, a camera, a stream or the demo."""
    if self.input is not None and "://" not in self.input:
        return self.display and not is_image_path(Path(self.input))
    return True


def run_settings_class(options: tuple[Option, ...] = RUN_OPTIONS) -> type:
    """RunSettings from the declarations: a field per option (and mask, recording from theirs), with its default."""
    return settings_class("RunSettings", options, RUN_PARTS, {
        "__module__": __name__, "__doc__": "What `realtime run` is asked to do: a field per RUN_OPTIONS option.",
        "look": look, "streams_out": property(streams_out), "live": property(live)})


RunSettings = run_settings_class()


TRAIN_LAYERS = ("all", "norms")  # realtime train --train-layers
@dataclass
class TrainConfig:
    """`realtime train`: realtime/train.py reads it."""
    style_image: Path | None  # None when a teacher network is the target
    name: str
    data: Path
    model: str = MODELS[0]  # a row of ARCHITECTURES (magenta: transfer learning from Magenta's network)
    train_layers: str = "all"  # "all" weights, or only the instance norms' scales and shifts ("norms")
    # None: the network's recipe (TRAINING_RECIPES)
    image_size: int | None = None
    style_size: int | None = None
    steps: int | None = None
    batch_size: int = 2
    learning_rate: float = 1e-3
    content_weight: float | None = None  # lower lets strong styles wash the photo's structure away
    style_weight: float | None = None
    tv_weight: float = 2.0
    temporal_weight: float = 100.0
    steady_steps: int | None = None  # the last steps of the run; None: the recipe's share (none when distilling)
    steady_temporal_weight: float | None = None
    temporal_noise: float = 0.02  # std of the noise on the moved copy in the steady phase, pixels in 0..1
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    checkpoints: Path | None = None  # where the finished style goes; None: the user's styles folder
    run_dir: Path | None = None
    preview_every: int = 250
    save_every: int = 250
    resume: bool | Path = False  # True: the run directory's state.pt; a path: that saved state
    init_from: Path | None = None  # a style checkpoint to fine-tune instead of starting from random weights
    teacher: Path | None = None  # a style checkpoint whose output is the target instead of the painting (distillation)
    mixed_precision: bool = True
    painting: dict[str, str] = field(default_factory=dict)

    def recipe(self) -> dict[str, float]:
        return TRAINING_RECIPES[ARCHITECTURES[self.model].recipe]

    def resolved(self) -> TrainConfig:
        """The settings with every field left at None taken from the network's recipe."""
        recipe = self.recipe()
        config = replace(self, **{key: recipe[key] for key in ("image_size", "style_size", "steps", "content_weight",
                                                              "style_weight", "steady_temporal_weight")
                                  if getattr(self, key) is None})
        return replace(config, steady_steps=config.resolved_steady_steps())

    def resolved_run_dir(self) -> Path:
        return self.run_dir or Path("runs") / f"{self.name}-{self.model}"

    def resolved_checkpoints(self) -> Path:
        return self.checkpoints or user_styles()

    def resolved_steady_steps(self) -> int:
        """The recipe's share of the steps by default (Johnson's: a fifth; the transfer path: all); none when
        distilling: the teacher is steady already, and a steady phase on top cost the fast networks 5-10 % of
        their detail (docs/styles.md)."""
        steps = self.steps if self.steps is not None else int(self.recipe()["steps"])
        if self.steady_steps is None:
            return 0 if self.teacher is not None else round(steps * self.recipe()["steady_fraction"])
        return min(self.steady_steps, steps)


@dataclass
class SegmentationTrainConfig:
    """`realtime train segmentation`: realtime/train_segmentation.py reads it."""
    data: Path  # images/NAME.jpg with masks/NAME.png
    model: str = "general"  # which shipped segmenter to start from (SEGMENTER_MODELS), or init_from
    init_from: Path | None = None  # a segmenter checkpoint to start from instead
    output: Path | None = None  # the best checkpoint; None: RUN_DIR/segmenter.pt
    run_dir: Path | None = None
    frozen_epochs: int = 2  # first stage: only the decoder learns, the pretrained encoder stays as it is
    epochs: int = 10  # in all, the frozen ones included
    batch_size: int = 16
    learning_rate: float = 1e-3  # the decoder's; in the second stage the encoder's is encoder_lr_scale of it
    encoder_lr_scale: float = 0.1
    dice_weight: float = 1.0  # loss = BCE + dice_weight * (1 - soft Dice)
    keep_weight: float = 0.0  # + keep_weight * BCE against the starting network's own masks (0: off)
    validation_fraction: float = 0.1
    backgrounds: Path | None = None  # photos to put behind the person now and then (besides synthetic ones)
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    resume: bool | Path = False  # True: the run directory's state.pt; a path: that saved state

    def resolved_run_dir(self) -> Path:
        return self.run_dir or Path("runs") / f"segmentation-{self.model}"

    def resolved_output(self) -> Path:
        return self.output or self.resolved_run_dir() / "segmenter.pt"


@dataclass
class PaintConfig:
    """`realtime paint`: realtime/paint.py reads it."""
    content: Path
    style: Path
    size: int = 512  # long side of the result
    steps: int = 300  # loss evaluations (a VGG forward and backward pass each)
    init: str = "content"  # "content": start from the photo; "noise": from random pixels
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    keep_colors: bool = False
    seed: int = 0
    threads: int = 0  # 0: torch's default
