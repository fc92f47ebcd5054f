"""What the commands are asked to do, as plain data: the command line (and for `realtime run` the
config file) fills it, the app, training and painting read it. No torch, OpenCV or PyAV here, so
`--help` starts at once."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from realtime.assets import user_styles
from realtime.io.outputs import RecordingOptions, is_image_path
from realtime.look import DEFAULT_STABILIZE, Background, Look, MaskSettings
from realtime.model.architectures import ARCHITECTURES, NETWORK_SIZES, TRAINING_RECIPES

UPSAMPLE_MODES = ("bilinear", "guided", "detail")
# What runs a picture given as the style: Magenta's arbitrary network (live) or AdaIN (VGG-19 + decoder, slow).
PICTURE_MODELS = ("magenta", "adain")
DEVICES = ("auto", "cuda", "mps", "cpu")  # --device: auto picks CUDA, then MPS, then the CPU (engine/device.py)
PRECISIONS = ("auto", "fp32", "fp16", "bf16")  # the style network's; engine/style_cache.py maps them to dtypes
DEFAULT_STYLE = "starry_night"
DEFAULT_UPSAMPLE = "guided"  # closest to the network at full size (docs/benchmarks.md, Upsampling)

SEGMENTER_MODELS = ("general", "landscape")  # each shipped segmenter's two networks: 256x256, and 144x256 for wide frames
DEFAULT_SEGMENTER = "mediapipe"


@dataclass
class RunSettings:
    style: str = DEFAULT_STYLE
    style_dir: Path | None = None  # every picture in it joins the window's style list
    strength: float = 1.0
    mix: float = 0.5  # the second style's share in a mix of two pictures or two pack styles (--style a,b)
    picture_model: str = PICTURE_MODELS[0]
    keep_colors: bool = False
    stroke_scale: float = 1.0
    precision: str = "auto"
    stylize: str = "all"
    background: Background = field(default_factory=lambda: Background("keep"))
    mask: MaskSettings = field(default_factory=MaskSettings)
    segmenter: str = DEFAULT_SEGMENTER  # a name of engine/segmenters.py's SEGMENTERS or a checkpoint's path
    camera: int | None = None
    input: str | None = None
    demo: bool = False
    output: Path | None = None
    device: str = "auto"
    model: str = "auto"
    size: tuple[int, int] | None = None
    inference_size: str | tuple[int, int] = "auto"  # auto, full or (W, H)
    upsample: str = DEFAULT_UPSAMPLE
    stabilize: float = DEFAULT_STABILIZE
    max_frames: int | None = None
    display: bool = True
    vsync: bool = True
    screenshot_dir: Path = Path(".")
    record_dir: Path = Path(".")
    recording: RecordingOptions = field(default_factory=RecordingOptions)
    loop: bool = False
    playlist: list[tuple[str, str | None]] = field(default_factory=list)
    cycle_seconds: float | None = None
    health_every: float = 60.0
    remote_host: str = "127.0.0.1"
    remote_token: str | None = None
    http_port: int | None = None
    osc_port: int | None = None
    fullscreen: bool = False
    monitor: int = 0
    keep_going: bool = False
    virtual_camera: bool = False
    ndi: str | None = None  # the NDI source's name (io/ndi.py)
    json: bool = False  # image and file modes: one JSON object on stdout at the end (app/run_report.py)

    def look(self) -> Look:
        return Look(self.style, strength=self.strength, stylize=self.stylize, background=self.background,
                    stabilize=self.stabilize, keep_colors=self.keep_colors, stroke_scale=self.stroke_scale)

    @property
    def streams_out(self) -> bool:
        """Whether frames go out in real time to another program (the virtual camera, NDI)."""
        return self.virtual_camera or self.ndi is not None

    @property
    def live(self) -> bool:
        """Whether frames must keep up with a clock: a window, a camera, a stream or the demo."""
        if self.input is not None and "://" not in self.input:
            return self.display and not is_image_path(Path(self.input))
        return True


TRAIN_LAYERS = ("all", "norms")  # realtime train --train-layers
@dataclass
class TrainConfig:
    """`realtime train`: realtime/train.py reads it."""
    style_image: Path | None  # None when a teacher network is the target
    name: str
    data: Path
    variant: str = NETWORK_SIZES[0]  # a row of ARCHITECTURES (magenta: transfer learning from Magenta's network)
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
        return TRAINING_RECIPES[ARCHITECTURES[self.variant].recipe]

    def resolved(self) -> TrainConfig:
        """The settings with every field left at None taken from the network's recipe."""
        recipe = self.recipe()
        config = replace(self, **{key: recipe[key] for key in ("image_size", "style_size", "steps", "content_weight",
                                                              "style_weight", "steady_temporal_weight")
                                  if getattr(self, key) is None})
        return replace(config, steady_steps=config.resolved_steady_steps())

    def resolved_run_dir(self) -> Path:
        return self.run_dir or Path("runs") / f"{self.name}-{self.variant}"

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
