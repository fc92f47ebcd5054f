"""Every hotkey and every remote command, applied to the running window app: what each does to
the look, the recording, the engine thread and the window. Real window under Xvfb, real engine."""
from __future__ import annotations

import os
import time

import pytest
from conftest import decode
from live_app import make_app, step_until

from realtime.app.controls import ACTIONS, LOOK_TOGGLES, STRENGTH_STEP
from realtime.app.overlays import hud_lines
from realtime.app.remote import RemoteControl
from realtime.window.hotkeys import HOTKEYS

if not os.environ.get("DISPLAY"):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the window tests under xvfb-run (DISPLAY is not set)")
    pytest.skip("no DISPLAY: run under xvfb-run", allow_module_level=True)


@pytest.fixture()
def looping_app(still_clip, style_dir, tmp_path):
    """The app on a clip that loops, so a test can wait as long as a slow machine needs."""
    live = make_app(still_clip, style_dir, tmp_path, loop=True)
    live.start()
    step_until(live, lambda: live.last is not None, seconds=60)
    yield live
    live.close()


def hotkey_actions() -> set[str]:
    actions = set()
    for _, action, _ in HOTKEYS:
        for part in action.split(" / "):
            actions.add(part.split(":")[0])
    return actions


def test_every_hotkey_has_an_action():
    assert hotkey_actions() == set(ACTIONS) | set(LOOK_TOGGLES)


def test_style_keys(looping_app):
    app = looping_app  # styles: 1 = cool, 2 = warm
    app.handle("style:1")
    assert app.look.style == "cool"
    app.handle("style:9")  # no ninth style: nothing happens
    assert app.look.style == "cool"
    app.handle("next_style")
    assert app.look.style == "warm"
    app.handle("next_style")
    assert app.look.style == "cool"  # wraps around
    app.handle("previous_style")
    assert app.look.style == "warm"
    step_until(app, lambda: app.last.style == "warm")  # the engine runs what the keys chose


def test_strength_keys_step_and_stop_at_the_ends(looping_app):
    app = looping_app
    app.handle("weaker")
    assert app.look.strength == pytest.approx(1.0 - STRENGTH_STEP)
    for _ in range(12):
        app.handle("weaker")
    assert app.look.strength == 0.0
    app.handle("stronger")
    assert app.look.strength == pytest.approx(STRENGTH_STEP)
    for _ in range(12):
        app.handle("stronger")
    assert app.look.strength == 1.0


@pytest.mark.parametrize("action, field", sorted(LOOK_TOGGLES.items()))
def test_toggle_keys_switch_their_part_of_the_look(looping_app, action, field):
    app = looping_app
    assert getattr(app.look, field) is False
    app.handle(action)
    assert getattr(app.look, field) is True
    app.handle(action)
    assert getattr(app.look, field) is False


def test_g_cycles_what_is_stylized(looping_app):
    app = looping_app
    seen = [app.look.stylize]
    for _ in range(3):
        app.handle("stylize_mode")
        seen.append(app.look.stylize)
    assert seen == ["all", "person", "background", "all"]


def test_space_pauses_the_engine_and_resumes_it(looping_app):
    app = looping_app
    app.handle("pause")
    assert app.hud.paused
    app.worker.set_paused(True).result(timeout=60)  # taken by the engine thread (after the frame in flight)
    step_until(app, lambda: app.worker.results.get(timeout=0) is None)
    index = app.last.index
    # The capture goes on until its queue is full; the engine takes none of those frames.
    frames = app.capture.frames
    step_until(app, lambda: frames.waiting >= frames.depth, seconds=60)
    assert app.last.index == index and app.worker.results.get(timeout=0) is None
    assert "PAUSED" in " ".join(hud_lines(app.hud))
    app.handle("pause")
    step_until(app, lambda: app.last.index > index, seconds=60)


def test_r_starts_and_stops_a_recording(looping_app, tmp_path):
    app = looping_app
    app.handle("record")
    assert app.recording.recorder is not None
    recorder = app.recording.recorder
    step_until(app, lambda: recorder.writer.frames_written >= 5, seconds=60)
    app.handle("record")
    assert app.recording.recorder is None
    app.recording.wait()
    (recording,) = tmp_path.glob("realtime-*.mp4")
    assert len(decode(recording)["frames"]) >= 5


def test_screenshot_hud_help_vsync_fullscreen_and_quit(looping_app, tmp_path):
    app = looping_app
    app.handle("screenshot")
    assert len(list(tmp_path.glob("realtime-*.png"))) == 1
    app.handle("hud")
    assert app.hud.show_hud is True  # the fixture starts with the HUD hidden
    app.handle("help")
    assert app.hud.show_keys is True
    vsync = app.renderer.vsync
    app.handle("vsync")
    assert app.renderer.vsync is not vsync and "vsync" in app.hud.message
    app.handle("fullscreen")
    assert app.renderer.fullscreen
    app.handle("fullscreen")
    assert not app.renderer.fullscreen
    app.handle("quit")
    assert app.step() is False


def test_remote_commands_change_the_show(looping_app, tmp_path):
    app = looping_app
    app.remote = RemoteControl(app.styles)
    for name, value in (("style", "cool"), ("mode", "person"), ("strength", "0.25"), ("record", "start")):
        app.remote.submit(name, value, "test")
    app.step()
    assert (app.look.style, app.look.stylize, app.look.strength) == ("cool", "person", 0.25)
    assert app.recording.recorder is not None
    status = app.remote.status
    assert status["style"] == "cool" and status["mode"] == "person" and status["recording"] is True
    recorder = app.recording.recorder
    step_until(app, lambda: recorder.writer.frames_written >= 3, seconds=60)
    app.remote.submit("record", "stop", "test")
    app.step()
    assert app.recording.recorder is None and app.remote.status["recording"] is False
    app.recording.wait()
    assert len(list(tmp_path.glob("realtime-*.mp4"))) == 1


def test_recording_goes_on_through_an_engine_restart(still_clip, style_dir, tmp_path):
    """A replaced engine thread (--keep-going) keeps the recording and the pause state it was told."""
    app = make_app(still_clip, style_dir, tmp_path, loop=True)
    app.restarts.keep_going = True
    app.start()
    try:
        step_until(app, lambda: app.last is not None, seconds=60)
        app.handle("record")
        recorder = app.recording.recorder
        step_until(app, lambda: recorder.writer.frames_written >= 3, seconds=60)
        app.worker.error = RuntimeError("engine failed (test)")  # what the thread leaves when it fails
        old = app.worker
        app.step()
        assert app.worker is not old and app.recording.recorder is recorder
        written = recorder.writer.frames_written
        step_until(app, lambda: recorder.writer.frames_written > written + 3, seconds=60)
    finally:
        old.stop()
        app.close()


def test_messages_to_an_ended_engine_thread_take_effect_at_once(looping_app):
    app = looping_app
    app.worker.stop()
    app.worker.join(timeout=60)
    assert not app.worker.is_alive()
    future = app.worker.set_paused(True)
    assert future.done()
    started = time.monotonic()
    assert app.worker.set_paused(False).result(timeout=1) is None and time.monotonic() - started < 1


def test_an_engine_failure_is_never_taken_for_the_end_of_the_input(app):
    """A failing engine thread sets its error, then closes its results. When that happened while step()
    was between its look at the error and its look at the results, the app quit as if the input had
    ended: exit 0 and a cut recording."""
    step_until(app, lambda: app.last is not None, seconds=60)
    app.worker.set_paused(True).result(timeout=30)  # the real thread waits; the test fails it in step()
    update = app.overlays.update

    def update_while_the_engine_thread_fails(hud):
        app.worker.error = RuntimeError("engine failed (test)")
        app.worker.results.close()
        return update(hud)

    app.overlays.update = update_while_the_engine_thread_fails
    assert app.step(), "the failure passed for the end of the input"
    with pytest.raises(RuntimeError, match="engine failed"):
        app.step()
