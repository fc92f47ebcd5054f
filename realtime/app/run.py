"""`realtime run`: choose the source, build the engine, and run the window or the file loop."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm

from realtime.app.remote import RemoteControl, is_loopback
from realtime.app.run_report import RunReport
from realtime.engine.build import build_engine
from realtime.engine.stream import stylize_stream
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.capture import (
    CAMERA_INDEXES_TO_TRY,
    CaptureThread,
    DemoSource,
    Source,
    check_input,
    open_camera,
    open_video,
)
from realtime.io.images import read_bgr, write_styled
from realtime.io.outputs import (
    RecordingOptions,
    check_output_path,
    check_writable,
    is_image_path,
    partial_path,
)
from realtime.io.sinks import ThreadedSink, close_all
from realtime.io.video_file import VideoWriter, check_encoder, nvenc_available
from realtime.io.virtual_camera import open_virtual_camera
from realtime.settings import RunSettings
from realtime.styles.registry import StyleRegistry, style_pictures


def say(message: str) -> None:
    print(message, file=sys.stderr)


def open_source(settings: RunSettings) -> Source:
    """The video source the settings ask for; with none named, the first camera, else the demo."""
    if settings.input is not None:
        return open_video(settings.input)
    if settings.demo:
        return DemoSource(*(settings.size or (640, 360)))
    if settings.camera is not None:
        camera = open_camera(settings.camera, *(settings.size or (None, None)))
        if camera is None:
            raise UserError(f"camera {settings.camera} did not open (tried index {settings.camera}); "
                            "try another --camera index, --input FILE or --demo")
        return camera
    for index in CAMERA_INDEXES_TO_TRY:
        camera = open_camera(index, *(settings.size or (None, None)))
        if camera is not None:
            say(f"using camera {index}")
            return camera
    tried = ", ".join(map(str, CAMERA_INDEXES_TO_TRY))
    say(f"no camera found (tried indexes {tried}); showing the demo source instead (--demo)")
    return DemoSource(*(settings.size or (640, 360)))


def check_window_options(settings: RunSettings) -> None:
    """Options that only the window acts on are refused without one, instead of being ignored."""
    window_only = {"--http-port": settings.http_port is not None, "--osc-port": settings.osc_port is not None,
                   "--cycle": settings.cycle_seconds is not None, "--playlist": bool(settings.playlist)}
    given = [option for option, used in window_only.items() if used]
    if given and not settings.display:
        raise UserError(f"{', '.join(given)}: only the window's show acts on this; drop --no-display "
                        "(a fullscreen window runs unattended) or drop the option")
    if settings.loop and not settings.display and settings.max_frames is None:  # file mode loops only to N frames
        raise UserError("--loop without a window would never finish the file: add --max-frames N to stop after "
                        "N frames, or drop --no-display to loop in the window")
    remote = settings.http_port is not None or settings.osc_port is not None
    if remote and not is_loopback(settings.remote_host) and not settings.remote_token:
        raise UserError(f"--remote-host {settings.remote_host} lets anyone on the network control the show; "
                        "add --remote-token SECRET, or keep the default 127.0.0.1")


def run(settings: RunSettings) -> RunReport | None:
    """Returns what image and file modes did (None for the window)."""
    check_window_options(settings)
    registry = StyleRegistry()
    if settings.input is not None:
        check_input(settings.input)
    image_input = settings.input is not None and is_image_path(Path(settings.input))
    if settings.json and settings.display and not image_input:
        raise UserError("--json reports image and file modes; add --no-display --output FILE, or drop --json")
    if settings.output is not None:
        check_output_path(settings.output, settings.recording.codec, "styled.png" if image_input else "styled.mp4")
        check_not_the_input(settings.output, settings.input)
        check_writable(settings.output)
        if not is_image_path(settings.output):
            check_encoder(settings.output, settings.recording)
    elif settings.display and not image_input:
        check_encoder(Path("recording.mp4"), settings.recording)  # R records .mp4: a bad --crf fails now, not then
    if settings.style_dir is not None:
        style_pictures(settings.style_dir)  # a missing or empty folder fails now
        if image_input or not settings.display:
            say("note: --style-dir adds styles to the window's style list; without a window only --style is used")
    if image_input:
        return run_image(settings, build_engine(settings, registry, settings.live))
    if not settings.display and settings.output is None and not settings.virtual_camera:
        raise UserError("--no-display needs --output FILE (or --virtual-camera) to send the result to")
    if settings.output is not None and is_image_path(settings.output):
        raise UserError(f"{settings.output.name} is an image; use a video file (.mp4, .mkv, .webm) for video input")
    engine = build_engine(settings, registry, settings.live)
    for name, _ in settings.playlist:  # a show must not stop at its fifth style
        engine.styles.check(name)
    if settings.recording.codec is None and engine.device.type == "cuda" and nvenc_available():
        settings.recording.codec = "h264_nvenc"  # the GPU's encoder leaves the CPU free
    source = open_source(settings)
    if settings.display:
        run_window(settings, source, engine, registry)
        return None
    return run_file(settings, source, engine)


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


def run_image(settings: RunSettings, engine: StyleEngine) -> RunReport:
    started = time.perf_counter()
    image = read_bgr(Path(settings.input), "input picture")
    result = engine.process(image, settings.look())
    output = write_styled(result, Path(settings.input), engine.style(settings.style).ref.name, settings.output)
    say(f"wrote {output}")
    return RunReport.of(settings, engine, settings.input, output, (result.shape[1], result.shape[0]),
                        time.perf_counter() - started, 1)


def open_recorder(path: Path, source: Source, options: RecordingOptions, input_path: str | None = None) -> ThreadedSink:
    """A recorder for `source`; a file input's audio track goes along."""
    audio_from = Path(input_path) if input_path and not source.live else None
    return ThreadedSink(VideoWriter(path, source.fps, live=source.live, options=options, audio_from=audio_from))


def run_window(settings: RunSettings, source: Source, engine: StyleEngine, registry: StyleRegistry) -> None:
    """The live window; a file plays at its own frame rate."""
    from realtime.app.show import Show
    from realtime.app.window_app import (
        LiveApp,  # needs GLFW and OpenGL, which file mode does not
    )
    from realtime.window.renderer import Renderer

    styles = registry.names() + (style_pictures(settings.style_dir) if settings.style_dir else [])
    if settings.style not in styles:
        styles.insert(0, settings.style)
    renderer = Renderer(*(settings.size or source.frame_size), title=f"realtime - {settings.style}", vsync=settings.vsync,
                        fullscreen=settings.fullscreen, monitor=settings.monitor)
    capture = CaptureThread(source, settings.max_frames, paced=not source.live, loop=settings.loop,
                            reconnect=source.live)
    show = None
    if settings.cycle_seconds:
        playlist = settings.playlist or [(name, None) for name in styles]
        show = Show(playlist, settings.cycle_seconds)
    sinks = []
    try:
        if settings.virtual_camera:
            sinks.append(open_virtual_camera(*engine_output_size(settings, source), source.fps))
        remote = start_remote_control(settings, styles)
    except UserError:
        close_all(sinks)
        renderer.close()
        raise
    app = LiveApp(capture, engine, settings.look(), styles, renderer,
                  new_recording=lambda path: open_recorder(path, source, settings.recording, settings.input),
                  screenshot_dir=settings.screenshot_dir, record_dir=settings.record_dir, show=show,
                  health_every=settings.health_every, remote=remote, keep_going=settings.keep_going, sinks=sinks)
    try:
        if settings.output is not None:
            app.start_recording(settings.output)
        app.run()
    finally:
        app.close()


def start_remote_control(settings: RunSettings, styles: list[str]) -> RemoteControl | None:
    if settings.http_port is None and settings.osc_port is None:
        return None
    remote = RemoteControl(styles, settings.remote_token)
    token = " (token required)" if settings.remote_token else ""
    try:
        if settings.http_port is not None:
            port = remote.serve_http(settings.remote_host, settings.http_port)
            say(f"remote control: http://{settings.remote_host}:{port}/status{token}")
        if settings.osc_port is not None:
            port = remote.serve_osc(settings.remote_host, settings.osc_port)
            say(f"remote control: OSC on udp://{settings.remote_host}:{port}{token}")
    except OSError as exc:
        remote.close()
        raise UserError(f"cannot listen for remote control on {settings.remote_host}: {exc.strerror}; "
                        "pick another --http-port/--osc-port") from None
    return remote


def engine_output_size(settings: RunSettings, source: Source) -> tuple[int, int]:
    return settings.size or source.frame_size


def run_file(settings: RunSettings, source: Source, engine: StyleEngine) -> RunReport:
    """As fast as possible, every frame in order: capture thread -> engine -> encoder thread
    (and the virtual camera). A camera or stream does not wait: frames the engine misses are dropped
    and counted."""
    capture = CaptureThread(source, settings.max_frames, loop=settings.loop and settings.max_frames is not None,
                            reconnect=source.live, paced=settings.virtual_camera and not source.live,  # real time for a camera
                            live=source.live and not waits_for_the_engine(source, settings))
    sinks = []
    try:
        if settings.virtual_camera:  # first: a missing device must not leave an empty recording behind
            sinks.append(open_virtual_camera(*engine_output_size(settings, source), source.fps))
        if settings.output is not None:
            sinks.append(open_recorder(settings.output, source, settings.recording, settings.input))
    except UserError:
        close_all(sinks)
        raise
    look = settings.look()
    total = settings.max_frames if capture.loop else min(filter(None, (source.frame_count, settings.max_frames)), default=None)
    started = time.perf_counter()
    capture.start()
    finished = False
    try:
        with tqdm(total=total, desc=f"stylizing ({settings.style})", unit="frame") as bar:
            def deliver(image, frame, _look) -> None:
                for sink in sinks:
                    sink.put(image, frame.timestamp)
                bar.update(1)

            frames = stylize_stream(engine, capture.frames, look, deliver)
        if capture.error is not None:
            raise capture.error
        finished = True
    finally:
        capture.stop()
        if capture.frames.dropped:
            say(f"dropped {capture.frames.dropped} frames from {source.description} that the engine could not keep up with")
        close_all(sinks, complete=finished)
    return RunReport.of(settings, engine, settings.input or source.description, settings.output,
                        engine_output_size(settings, source),
                        time.perf_counter() - started, frames, capture.frames.dropped)


def waits_for_the_engine(source: Source, settings: RunSettings) -> bool:
    """Whether a job without a window queues the demo's frames, as a file's, instead of dropping those
    the engine misses: unlike a camera, the demo can wait for it. Feeding a virtual camera, it stays
    live, for the least latency."""
    return isinstance(source, DemoSource) and not settings.virtual_camera
