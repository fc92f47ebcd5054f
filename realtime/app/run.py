"""`realtime run`: choose the source, build the engine, and run the window or the file loop."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm

from realtime.app.remote import RemoteControl
from realtime.app.run_checks import demo_never_ends, validate
from realtime.app.recording import Recording, RecordingFormat
from realtime.app.run_outputs import open_sinks, output_size
from realtime.app.run_report import RunReport
from realtime.engine.build import build_engine
from realtime.engine.stream import stylize_stream
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.capture import CAMERA_INDEXES_TO_TRY, CaptureThread, Source, open_camera, open_video
from realtime.io.demo import DemoSource
from realtime.io.images import keep_alpha_of, write_styled
from realtime.io.user_files import read_bgr
from realtime.io.outputs import is_image_path
from realtime.io.sinks import FrameSink, close_all
from realtime.io.encoders import nvenc_available
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
    if demo_never_ends(settings):
        raise UserError(f"no camera found (tried indexes {tried}); name a source: --input FILE, or --demo "
                        "with --max-frames N")
    say(f"no camera found (tried indexes {tried}); showing the demo source instead (--demo)")
    return DemoSource(*(settings.size or (640, 360)))


def run(settings: RunSettings) -> RunReport | None:
    """Returns what image and file modes did (None for the window)."""
    validate(settings)
    registry = StyleRegistry()
    engine = build_engine(settings, registry, settings.live)
    if settings.input is not None and is_image_path(Path(settings.input)):
        return run_image(settings, engine)
    for name, _ in settings.playlist:  # a show must not stop at its fifth style
        engine.styles.check(name)
    if settings.recording.codec is None and engine.device.type == "cuda" and nvenc_available():
        settings.recording.codec = "h264_nvenc"  # the GPU's encoder leaves the CPU free
    source = open_source(settings)
    if settings.display:
        run_window(settings, source, engine, registry)
        return None
    return run_file(settings, source, engine)


def run_image(settings: RunSettings, engine: StyleEngine) -> RunReport:
    started = time.perf_counter()
    image = read_bgr(Path(settings.input), "input picture")
    look, stream = settings.look(), engine.new_stream()
    result = keep_alpha_of(Path(settings.input), engine.process(image, look, stream))
    if look.needs_mask and stream.mask is not None and float(stream.mask.max()) < engine.mask_settings.threshold:
        say(f"note: found no person in {settings.input}; the whole picture is background to --stylize and --background")
    output = write_styled(result, Path(settings.input), engine.style(settings.style).ref.name, settings.output)
    say(f"wrote {output}")
    return RunReport.of(settings, engine, settings.input, output, (result.shape[1], result.shape[0]),
                        time.perf_counter() - started, 1)


def run_window(settings: RunSettings, source: Source, engine: StyleEngine, registry: StyleRegistry) -> None:
    """The live window; a file plays at its own frame rate."""
    from realtime.app.show import Show
    from realtime.app.window_app import (  # needs GLFW and OpenGL, which file mode does not
        LiveApp,
        Outputs,
        Supervision,
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
    sinks: list[FrameSink] = []
    try:
        sinks = open_sinks(settings, source)  # the app starts the recording: R, the remote, --output
        remote = start_remote_control(settings, styles, registry.packs())
    except UserError:
        close_all(sinks)
        renderer.close()
        raise
    outputs = Outputs(RecordingFormat.of(source, settings.recording, settings.input), settings.record_dir,
                      settings.screenshot_dir, sinks)
    app = LiveApp(capture, engine, settings.look(), styles, renderer, outputs=outputs, show=show, remote=remote,
                  supervision=Supervision(settings.health_every, settings.keep_going))
    try:
        if settings.output is not None:
            app.recording.start(settings.output)
        app.run()
    finally:
        app.close()


def start_remote_control(settings: RunSettings, styles: list[str], packs: dict[str, Path]) -> RemoteControl | None:
    if settings.http_port is None and settings.osc_port is None:
        return None
    remote = RemoteControl(styles, settings.remote_token, packs)
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


def run_file(settings: RunSettings, source: Source, engine: StyleEngine) -> RunReport:
    """As fast as possible, every frame in order: capture thread -> engine -> encoder thread
    (and the virtual camera and NDI, for which a file plays at its own rate). A camera or stream does
    not wait: frames the engine misses are dropped and counted. An NDI show loops until stopped."""
    loop = settings.loop and (settings.max_frames is not None or settings.ndi is not None)
    capture = CaptureThread(source, settings.max_frames, loop=loop, reconnect=source.live,
                            paced=settings.streams_out and not source.live,  # real time for a receiver
                            live=source.live and not waits_for_the_engine(source, settings))
    recording = Recording(RecordingFormat.of(source, settings.recording, settings.input), keep_going=False)
    sinks = open_sinks(settings, source, recording)
    look = settings.look()
    total = settings.max_frames if capture.loop else min(filter(None, (source.frame_count, settings.max_frames)), default=None)
    started = time.perf_counter()
    capture.start()
    finished = False
    try:
        with tqdm(total=total, desc=f"stylizing ({settings.style})", unit="frame") as bar:
            def deliver(image, frame, _look) -> None:
                for sink in sinks:
                    sink.put(image, frame.show_time)
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
                        output_size(settings, source),
                        time.perf_counter() - started, frames, capture.frames.dropped)


def waits_for_the_engine(source: Source, settings: RunSettings) -> bool:
    """Whether a job without a window queues the demo's frames, as a file's, instead of dropping those
    the engine misses: unlike a camera, the demo can wait for it. Feeding a virtual camera or NDI, it
    stays live, for the least latency."""
    return isinstance(source, DemoSource) and not settings.streams_out
