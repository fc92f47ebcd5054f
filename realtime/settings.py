"""Everything `realtime run` is asked to do, as plain data: the command line and the config file
fill it, the app reads it. No torch, OpenCV or PyAV here, so `--help` starts at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from realtime.io.outputs import RecordingOptions, is_image_path
from realtime.look import DEFAULT_STABILIZE, Background, Look, MaskSettings

UPSAMPLE_MODES = ("bilinear", "guided", "detail")


DEFAULT_UPSAMPLE = "guided"  # closest to the network at full size (docs/benchmarks.md, Upsampling)



@dataclass
class RunSettings:
    style: str = "starry_night"
    style_dir: Path | None = None  # every picture in it joins the window's style list
    strength: float = 1.0
    mix: float = 0.5  # the second picture's share in a mix of two (--style a.jpg,b.jpg)
    keep_colors: bool = False
    precision: str = "auto"
    stylize: str = "all"
    background: Background = field(default_factory=lambda: Background("keep"))
    mask: MaskSettings = field(default_factory=MaskSettings)
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

    def look(self) -> Look:
        return Look(self.style, strength=self.strength, stylize=self.stylize, background=self.background,
                    stabilize=self.stabilize, keep_colors=self.keep_colors)

    @property
    def live(self) -> bool:
        """Whether frames must keep up with a clock: a window, a camera, a stream or the demo."""
        if self.input is not None and "://" not in self.input:
            return self.display and not is_image_path(Path(self.input))
        return True

