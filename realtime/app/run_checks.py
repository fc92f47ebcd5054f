"""Every check `realtime run` makes on its settings before any work (no engine, no window yet): one
validate(), so a bad combination fails at once in one line, whatever asked for the run."""
from __future__ import annotations

import sys
from pathlib import Path

from realtime.app.remote import is_loopback
from realtime.errors import UserError
from realtime.io.capture import check_input
from realtime.io.outputs import (check_alpha_output, check_image_output, check_output_path, check_writable,
                                  is_image_path, partial_path)
from realtime.io.encoders import check_encoder
from realtime.settings import RunSettings
from realtime.styles.registry import style_pictures


def validate(settings: RunSettings) -> None:
    """Raise UserError for the first thing wrong with the settings; say what a window-only option ignores."""
    if sum([settings.camera is not None, settings.input is not None, settings.demo]) > 1:
        raise UserError("choose one source: --camera, --input or --demo")
    check_window_options(settings)
    check_transparent(settings)
    if settings.input is not None:
        check_input(settings.input)
    image_input = settings.input is not None and is_image_path(Path(settings.input))
    if settings.json and settings.display and not image_input:
        raise UserError("--json reports image and file modes; add --no-display --output FILE, or drop --json")
    if settings.output is not None:
        check_output_path(settings.output, settings.recording.codec, "styled.png" if image_input else "styled.mp4")
        if image_input:
            check_image_output(settings.output)  # before the work, not after it
        check_not_the_input(settings.output, settings.input)
        check_writable(settings.output)
        if not is_image_path(settings.output):
            check_encoder(settings.output, settings.recording)
    elif settings.display and not image_input:
        check_encoder(Path("recording.mp4"), settings.recording)  # R records .mp4: a bad --crf fails now, not then
    if settings.style_dir is not None:
        style_pictures(settings.style_dir)  # a missing or empty folder fails now
        if image_input or not settings.display:
            print("note: --style-dir adds styles to the window's style list; without a window only --style is used",
                  file=sys.stderr)
    if settings.ndi is not None and not settings.ndi.strip():
        raise UserError("--ndi needs a name for the source, like --ndi stage")
    if image_input:
        if settings.ndi is not None:
            raise UserError("--ndi sends video, and a picture input makes one picture; drop --ndi, or give a video")
        return
    if not settings.display and settings.output is None and not settings.streams_out:
        raise UserError("--no-display needs --output FILE (or --virtual-camera or --ndi NAME) to send the result to")
    if settings.output is not None and is_image_path(settings.output):
        raise UserError(f"{settings.output.name} is an image; use a video file (.mp4, .mkv, .webm) for video input")
    if settings.demo and demo_never_ends(settings):
        raise UserError("--demo without a window would never finish the file: add --max-frames N to record "
                        "N frames, or drop --no-display to watch it in the window")


def demo_never_ends(settings: RunSettings) -> bool:
    """The demo is endless: recorded without a window it needs a frame count (a virtual camera or NDI may run on)."""
    return not settings.display and not settings.streams_out and settings.max_frames is None


def check_window_options(settings: RunSettings) -> None:
    """Options that only the window acts on are refused without one, instead of being ignored."""
    window_only = {"--http-port": settings.http_port is not None, "--osc-port": settings.osc_port is not None,
                   "--cycle": settings.cycle_seconds is not None, "--playlist": bool(settings.playlist)}
    given = [option for option, used in window_only.items() if used]
    if given and not settings.display:
        raise UserError(f"{', '.join(given)}: only the window's show acts on this; drop --no-display "
                        "(a fullscreen window runs unattended) or drop the option")
    # File mode loops only to N frames, or for NDI, which a show feeds until Ctrl-C.
    if settings.loop and not settings.display and settings.max_frames is None and settings.ndi is None:
        raise UserError("--loop without a window would never finish the file: add --max-frames N to stop after "
                        "N frames, or drop --no-display to loop in the window")
    remote = settings.http_port is not None or settings.osc_port is not None
    if remote and not is_loopback(settings.remote_host) and not settings.remote_token:
        raise UserError(f"--remote-host {settings.remote_host} lets anyone on the network control the show; "
                        "add --remote-token SECRET, or keep the default 127.0.0.1")


def check_transparent(settings: RunSettings) -> None:
    """A cut-out needs outputs that carry alpha; the others are refused before any work."""
    if settings.background.kind != "transparent":
        return
    if settings.virtual_camera:
        raise UserError("--virtual-camera cannot carry the transparent background; send the cut-out with --ndi NAME, "
                        "or choose another --background")
    if settings.output is not None:
        check_alpha_output(settings.output, settings.recording)


def check_not_the_input(output: Path, input_name: str | None) -> None:
    """Refuse to write over the source, under any spelling (relative, ./, a symlink or a hard link),
    also as the NAME.partial.EXT a file job writes first (say, restyling a killed job's file)."""
    if input_name is None or "://" in input_name:
        return
    if output.exists() and output.samefile(input_name):
        raise UserError(f"--output {output} is the input file itself; choose another output name")
    partial = partial_path(output)
    if partial.exists() and partial.samefile(input_name):
        raise UserError(f"--output {output} is first written as {partial.name}, the input file itself; "
                        "choose another output name")
