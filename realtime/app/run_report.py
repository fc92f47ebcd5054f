"""What `realtime run --json` prints for image and file modes: one JSON object on stdout that a script
can read (progress and messages go to stderr)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from realtime.engine.style_engine import StyleEngine
from realtime.settings import RunSettings


@dataclass
class RunReport:
    input: str  # the file or URL; a camera or the demo by its description
    output: str | None  # None: only the virtual camera got the frames
    size: tuple[int, int]  # the processing and output size, width x height
    style: str
    model: str  # the network that painted: magenta, fast, lite, multistyle, full, a checkpoint file's, or a picture's
    device: str
    seconds: float  # stylizing and writing, after the engine was built
    frames: int
    dropped: int  # frames of a live source that the engine could not keep up with

    @classmethod
    def of(cls, settings: RunSettings, engine: StyleEngine, input_name: str, output: Path | None,
           size: tuple[int, int], seconds: float, frames: int, dropped: int = 0) -> RunReport:
        ref = engine.style(settings.style).ref
        # A checkpoint given by path reports "file": its size is not known from its name.
        model = settings.picture_model if ref.kind == "picture" else ref.model or "file"
        return cls(input_name, str(output) if output else None, size, ref.name, model, str(engine.device),
                   round(seconds, 3), frames, dropped)

    def to_json(self) -> str:
        return json.dumps(asdict(self))
