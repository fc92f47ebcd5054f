"""Where `realtime run`'s frames go besides the window: the recording, the virtual camera and NDI, opened
in one place for the window and for file mode."""
from __future__ import annotations

from pathlib import Path

from realtime.errors import UserError
from realtime.io.alpha_video import AlphaVideoSource
from realtime.io.capture import Source
from realtime.io.ndi import open_ndi
from realtime.io.outputs import RecordingOptions
from realtime.io.sinks import FrameSink, ThreadedSink, close_all
from realtime.io.video_file import VideoWriter
from realtime.io.virtual_camera import open_virtual_camera
from realtime.settings import RunSettings


def output_size(settings: RunSettings, source: Source) -> tuple[int, int]:
    """The size of the frames the engine hands out."""
    return settings.size or source.frame_size


def open_recorder(path: Path, source: Source, options: RecordingOptions, input_path: str | None = None) -> ThreadedSink:
    """A recorder for `source`; a file input's audio track goes along."""
    audio_from = Path(input_path) if input_path and not source.live else None
    return ThreadedSink(VideoWriter(path, source.fps, live=source.live, options=options, audio_from=audio_from))


def open_sinks(settings: RunSettings, source: Source, record_output: bool) -> list[FrameSink]:
    """The virtual camera (--virtual-camera) and NDI (--ndi), then the recording to --output when
    `record_output` (file mode; the window records through its own R toggle). Opening one fails in one
    line, the others closed."""
    sinks: list[FrameSink] = []
    try:  # the live outputs first: a missing device must not leave an empty recording behind
        if settings.virtual_camera:
            sinks.append(open_virtual_camera(*output_size(settings, source), source.fps))
        if settings.ndi is not None:
            # BGRA: the receiver gets the cut-out, or the input's own transparency
            alpha = settings.background.kind == "transparent" or isinstance(source, AlphaVideoSource)
            sinks.append(open_ndi(settings.ndi, *output_size(settings, source), source.fps, alpha))
        if record_output and settings.output is not None:
            sinks.append(open_recorder(settings.output, source, settings.recording, settings.input))
    except UserError:
        close_all(sinks)
        raise
    return sinks
