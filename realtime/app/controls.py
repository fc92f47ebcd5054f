"""What the hotkeys (realtime.window.hotkeys) and the remote commands (realtime.app.remote) do to a
running app: one table each, so every key and command is one line here and is tested. They act on
`Controlled`, what the window app (realtime.app.window_app) offers them, so a small stand-in serves too."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from realtime.app.hud_state import HudState
from realtime.app.remote import RemoteControl
from realtime.look import STROKE_SCALES, STYLIZE_MODES, Look

STRENGTH_STEP = 0.1
STROKE_STEP = 1.25  # [ and ]: strokes a quarter larger or smaller


class WindowToggles(Protocol):
    vsync: bool

    def toggle_vsync(self) -> None: ...

    def toggle_fullscreen(self) -> None: ...


class Controlled(Protocol):
    """What the hotkeys and remote commands may touch."""
    look: Look
    hud: HudState
    renderer: WindowToggles
    quitting: bool

    def set_style(self, name: str) -> bool: ...

    def pick_style_number(self, number: int) -> None: ...

    def step_style(self, step: int) -> None: ...

    def use_dropped_file(self, path: str) -> None: ...

    def toggle_pause(self) -> None: ...

    def toggle_recording(self) -> None: ...

    def toggle_ndi(self) -> None: ...

    def save_screenshot(self) -> None: ...


# Keys that switch a part of the look on and off: action -> Look field.
LOOK_TOGGLES = {"compare": "compare", "mask": "show_mask", "mirror": "mirror", "keep_colors": "keep_colors"}


def change_strength(app: Controlled, delta: float) -> None:
    app.look.strength = round(min(1.0, max(0.0, app.look.strength + delta)), 2)


def scale_strokes(app: Controlled, factor: float) -> None:
    low, high = STROKE_SCALES
    app.look.stroke_scale = round(min(high, max(low, app.look.stroke_scale * factor)), 3)
    app.hud.flash(f"strokes x{app.look.stroke_scale:.2f}")


def next_stylize_mode(app: Controlled) -> None:
    app.look.stylize = STYLIZE_MODES[(STYLIZE_MODES.index(app.look.stylize) + 1) % len(STYLIZE_MODES)]


def toggle_vsync(app: Controlled) -> None:
    app.renderer.toggle_vsync()
    app.hud.flash(f"vsync {'on' if app.renderer.vsync else 'off'}")


def toggle_hud(app: Controlled) -> None:
    app.hud.show_hud = not app.hud.show_hud


def toggle_key_list(app: Controlled) -> None:
    app.hud.show_keys = not app.hud.show_keys


def quit_app(app: Controlled) -> None:
    app.quitting = True


# action -> what it does; "style:N" and "drop:PATH" carry an argument.
ACTIONS: dict[str, Callable[[Controlled, str], None]] = {
    "style": lambda app, number: app.pick_style_number(int(number)),
    "next_style": lambda app, _: app.step_style(1),
    "previous_style": lambda app, _: app.step_style(-1),
    "stronger": lambda app, _: change_strength(app, STRENGTH_STEP),
    "weaker": lambda app, _: change_strength(app, -STRENGTH_STEP),
    "bigger_strokes": lambda app, _: scale_strokes(app, STROKE_STEP),
    "smaller_strokes": lambda app, _: scale_strokes(app, 1 / STROKE_STEP),
    "stylize_mode": lambda app, _: next_stylize_mode(app),
    "drop": lambda app, path: app.use_dropped_file(path),
    "pause": lambda app, _: app.toggle_pause(),
    "screenshot": lambda app, _: app.save_screenshot(),
    "record": lambda app, _: app.toggle_recording(),
    "ndi": lambda app, _: app.toggle_ndi(),
    "fullscreen": lambda app, _: app.renderer.toggle_fullscreen(),
    "vsync": lambda app, _: toggle_vsync(app),
    "hud": lambda app, _: toggle_hud(app),
    "help": lambda app, _: toggle_key_list(app),
    "quit": lambda app, _: quit_app(app),
}


def handle_action(app: Controlled, action: str) -> None:
    """Apply one hotkey action, e.g. "mirror", "style:3" or "drop:/path/picture.jpg"."""
    name, _, argument = action.partition(":")
    if name in LOOK_TOGGLES:
        field = LOOK_TOGGLES[name]
        setattr(app.look, field, not getattr(app.look, field))
    elif name in ACTIONS:
        ACTIONS[name](app, argument)


def set_recording(app: Controlled, value: str) -> None:
    if (value == "start") != app.hud.recording:
        app.toggle_recording()


def set_ndi(app: Controlled, value: str) -> None:
    if (value == "on") != bool(app.hud.ndi):
        app.toggle_ndi()


# remote command -> what it does with its (already checked) value
REMOTE_COMMANDS: dict[str, Callable[[Controlled, object], None]] = {
    "style": lambda app, value: app.set_style(value),
    "mode": lambda app, value: setattr(app.look, "stylize", value),
    "strength": lambda app, value: setattr(app.look, "strength", value),
    "record": set_recording,
    "ndi": set_ndi,
}


def apply_remote_commands(app: Controlled, remote: RemoteControl) -> None:
    """Apply what arrived over HTTP or OSC since the last frame, then publish the app's status."""
    for name, value in remote.pending():
        REMOTE_COMMANDS[name](app, value)
    remote.status = app.hud.status()
