"""The hotkey and remote-command tables (realtime.app.controls) against a small stand-in of the app:
no window, no engine, no threads; just the state the actions touch (test_controls.py runs them on the
real app)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from realtime.app.controls import (
    LOOK_TOGGLES,
    STRENGTH_STEP,
    STROKE_STEP,
    Controlled,
    apply_remote_commands,
    handle_action,
)
from realtime.app.hud_state import HudState
from realtime.app.remote import RemoteControl
from realtime.look import STROKE_SCALES, STYLIZE_MODES, Look


@dataclass
class StandInWindow:
    vsync: bool = True
    fullscreen: bool = False

    def toggle_vsync(self) -> None:
        self.vsync = not self.vsync

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen


@dataclass
class StandInApp:
    """Controlled, with the styles and calls written down instead of carried out."""
    styles: list[str] = field(default_factory=lambda: ["cool", "warm"])
    look: Look = field(default_factory=lambda: Look("cool"))
    renderer: StandInWindow = field(default_factory=StandInWindow)
    quitting: bool = False
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hud = HudState(self.look, "cpu / lite")

    def set_style(self, name: str) -> bool:
        self.look.style = name
        return True

    def pick_style_number(self, number: int) -> None:
        self.calls.append(f"style {number}")

    def step_style(self, step: int) -> None:
        self.calls.append(f"step {step}")

    def use_dropped_file(self, path: str) -> None:
        self.calls.append(f"drop {path}")

    def toggle_pause(self) -> None:
        self.hud.paused = not self.hud.paused

    def toggle_recording(self) -> None:
        self.hud.recording_since = None if self.hud.recording else 1.0

    def toggle_ndi(self) -> None:
        self.hud.ndi = not self.hud.ndi

    def save_screenshot(self) -> None:
        self.calls.append("screenshot")


def stand_in() -> Controlled:
    return StandInApp()


@pytest.mark.parametrize("action, field_name", sorted(LOOK_TOGGLES.items()))
def test_toggles_switch_their_part_of_the_look(action, field_name):
    app = stand_in()
    handle_action(app, action)
    assert getattr(app.look, field_name) is True
    handle_action(app, action)
    assert getattr(app.look, field_name) is False


def test_strength_steps_and_stops_at_the_ends():
    app = stand_in()
    handle_action(app, "weaker")
    assert app.look.strength == pytest.approx(1.0 - STRENGTH_STEP)
    for _ in range(12):
        handle_action(app, "weaker")
    assert app.look.strength == 0.0
    for _ in range(12):
        handle_action(app, "stronger")
    assert app.look.strength == 1.0


def test_stroke_keys_scale_the_strokes_within_their_range():
    app = stand_in()
    handle_action(app, "bigger_strokes")
    assert app.look.stroke_scale == pytest.approx(STROKE_STEP) and app.hud.message == f"strokes x{STROKE_STEP:.2f}"
    for _ in range(20):
        handle_action(app, "smaller_strokes")
    assert app.look.stroke_scale == STROKE_SCALES[0]
    for _ in range(20):
        handle_action(app, "bigger_strokes")
    assert app.look.stroke_scale == STROKE_SCALES[1]


def test_stylize_mode_cycles_through_every_mode():
    app = stand_in()
    seen = [app.look.stylize]
    for _ in STYLIZE_MODES:
        handle_action(app, "stylize_mode")
        seen.append(app.look.stylize)
    assert seen == [*STYLIZE_MODES, STYLIZE_MODES[0]]


def test_actions_with_arguments_and_the_app_s_own_jobs():
    app = stand_in()
    for action in ("style:3", "next_style", "previous_style", "drop:/tmp/a picture.jpg", "screenshot"):
        handle_action(app, action)
    assert app.calls == ["style 3", "step 1", "step -1", "drop /tmp/a picture.jpg", "screenshot"]
    handle_action(app, "pause")
    handle_action(app, "record")
    handle_action(app, "ndi")
    assert app.hud.paused and app.hud.recording and app.hud.ndi


def test_window_and_hud_keys():
    app = stand_in()
    for action in ("hud", "help", "vsync", "fullscreen"):
        handle_action(app, action)
    assert (app.hud.show_hud, app.hud.show_keys) == (False, True)
    assert app.renderer.vsync is False and app.hud.message == "vsync off" and app.renderer.fullscreen
    handle_action(app, "quit")
    assert app.quitting


def test_unknown_actions_change_nothing():
    app = stand_in()
    before = (app.look.snapshot(), app.hud.show_hud, app.calls[:])
    handle_action(app, "no_such_action")
    assert (app.look.snapshot(), app.hud.show_hud, app.calls) == before


def test_remote_commands_change_the_look_and_the_recording_and_publish_the_status():
    app = stand_in()
    remote = RemoteControl(app.styles)
    for name, value in (("style", "warm"), ("mode", "person"), ("strength", "0.25"), ("record", "start"),
                        ("record", "start")):  # a second start leaves the recording as it is
        remote.submit(name, value, "test")
    apply_remote_commands(app, remote)
    assert (app.look.style, app.look.stylize, app.look.strength) == ("warm", "person", 0.25) and app.hud.recording
    assert remote.status == {"style": "warm", "mode": "person", "strength": 0.25, "fps": 0.0, "recording": True,
                             "camera_lost": False, "frames_shown": 0, "ndi": None}
    remote.submit("record", "stop", "test")
    apply_remote_commands(app, remote)
    assert not app.hud.recording and remote.status["recording"] is False


def test_the_remote_switches_ndi_to_the_state_asked_for():
    app = stand_in()
    app.hud.ndi = True
    remote = RemoteControl(app.styles)
    for value, expected in (("off", False), ("off", False), ("on", True), ("on", True)):
        remote.submit("ndi", value, "test")
        apply_remote_commands(app, remote)
        assert app.hud.ndi is expected and remote.status["ndi"] is expected
    with pytest.raises(ValueError, match="ndi takes on or off"):
        remote.submit("ndi", "maybe", "test")

