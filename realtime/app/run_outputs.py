"""Where `realtime run`'s frames go besides the window: the virtual camera and NDI, then (file mode) the
recording, opened in one place for the window and for file mode."""
from __future__ import annotations

from realtime.app.recording import Recording
from realtime.errors import UserError
from realtime.io.alpha_video import AlphaVideoSource
from realtime.io.capture import Source
from realtime.io.ndi import open_ndi
from realtime.io.sinks import FrameSink, close_all
from realtime.io.virtual_camera import open_virtual_camera
from realtime.settings import RunSettings


def output_size(settings: RunSettings, source: Source) -> tuple[int, int]:
    """The size of the frames the engine hands out."""
    return settings.size or source.frame_size


def open_sinks(settings: RunSettings, source: Source, recording: Recording | None = None) -> list[FrameSink]:
    """The virtual camera (--virtual-camera) and NDI (--ndi), then `recording`, started on --output, when
    given (file mode; the window starts its own). Opening one fails in one line, the others closed."""
    sinks: list[FrameSink] = []
    try:  # the live outputs first: a missing device must not leave an empty recording behind
        if settings.virtual_camera:
            sinks.append(open_virtual_camera(*output_size(settings, source), source.fps))
        if settings.ndi is not None:
            # BGRA: the receiver gets the cut-out, or the input's own transparency
            alpha = settings.background.kind == "transparent" or isinstance(source, AlphaVideoSource)
            sinks.append(open_ndi(settings.ndi, *output_size(settings, source), source.fps, alpha))
        if recording is not None and settings.output is not None:
            recording.open(settings.output)
            sinks.append(recording)
    except UserError:
        close_all(sinks)
        raise
    return sinks
