"""The real GLFW window under Xvfb: what it shows is the engine's output, and hotkeys act."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import glfw
import numpy as np
import pytest
from conftest import decode
from live_app import make_app, overlay_rects, read_pixels, settled_pixels, shown, step_until

from realtime.app.window_app import LiveApp
from realtime.io.alpha import Checkerboard
from realtime.look import Background, Look
from realtime.look import STYLE_FADE_SECONDS
from realtime.window.renderer import Renderer, letterbox

if not os.environ.get("DISPLAY"):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the window tests under xvfb-run (DISPLAY is not set)")
    pytest.skip("no DISPLAY: run under xvfb-run", allow_module_level=True)


def press(app: LiveApp, key: str) -> None:
    """A real key event through the X server, as xdotool types it."""
    window_id = glfw.get_x11_window(app.renderer.window)
    subprocess.run(["xdotool", "key", "--window", str(window_id), key], check=True)


def test_window_shows_the_engine_output(app):
    pixels = settled_pixels(app, "warm")
    expected = app.last.image
    assert pixels.shape == expected.shape  # the window is the frame's size: no scaling
    assert np.abs(pixels.astype(int) - expected.astype(int)).mean() < 2.0


def test_a_cut_out_is_shown_over_a_checkerboard(portrait_clip, style_dir, tmp_path):
    clip, _ = portrait_clip
    app = make_app(clip, style_dir, tmp_path, look=Look("warm", stylize="person", background=Background("transparent")))
    app.start()
    try:
        pixels = settled_pixels(app, "warm")
        frame = app.last.image
    finally:
        app.close()
    assert frame.shape[2] == 4
    assert np.abs(pixels.astype(int) - Checkerboard().behind(frame).astype(int)).mean() < 2.0
    see_through = pixels[frame[..., 3] == 0].astype(int)
    assert len(see_through) > 0.2 * frame[..., 3].size  # the portrait's background
    assert set(np.unique(see_through)) == {153, 204}  # the two greys of the squares, nothing else


def test_style_hotkey_changes_what_is_displayed(app):
    assert shutil.which("xdotool"), "install xdotool (Debian package) to test real key presses"
    before = settled_pixels(app, "warm")
    press(app, "1")  # styles are sorted: 1 = cool, 2 = warm
    after = settled_pixels(app, "cool")
    assert np.abs(after.astype(int) - app.last.image.astype(int)).mean() < 2.0
    # warm pushes red up, cool pushes blue up: the picture really changed.
    assert before[:, :, 2].mean() - before[:, :, 0].mean() > 40
    assert after[:, :, 0].mean() - after[:, :, 2].mean() > 40


def test_crossfade_blends_old_and_new_style(app):
    before = settled_pixels(app, "warm").astype(float)
    app.handle("next_style")
    step_until(app, lambda: app.last.style == "cool")
    mid_fade = time.monotonic() + STYLE_FADE_SECONDS / 3
    step_until(app, lambda: time.monotonic() > mid_fade)
    during = shown(app).astype(float)
    after = settled_pixels(app, "cool").astype(float)
    # Part way through, the picture lies between the two styles.
    assert np.abs(during - before).mean() > 5 and np.abs(during - after).mean() > 5


def test_keys_for_strength_compare_and_screenshot(app, tmp_path):
    settled_pixels(app, "warm")
    for key in ("minus", "minus", "c", "s"):
        press(app, key)
    step_until(app, lambda: app.look.compare and app.look.strength == 0.8 and list(tmp_path.glob("*.png")))
    saved = list(tmp_path.glob("realtime-*.png"))
    assert len(saved) == 1


def test_letterbox_keeps_the_aspect_ratio():
    assert letterbox(1920, 1080, 800, 800) == (0, 175, 800, 450)
    assert letterbox(640, 480, 1280, 720) == (160, 0, 960, 720)


def test_resized_window_letterboxes(app):
    settled_pixels(app, "warm")
    glfw.set_window_size(app.renderer.window, 400, 112)
    step_until(app, lambda: glfw.get_framebuffer_size(app.renderer.window) == (400, 112), seconds=5)
    pixels = shown(app)
    assert pixels.shape[:2] == (112, 400)
    assert pixels[:, :50].max() == 0 and pixels[:, -50:].max() == 0  # black bars left and right
    assert pixels[:, 150:250].mean() > 20


def test_hud_is_drawn_but_not_recorded(app):
    app.hud.show_hud = True
    settled_pixels(app, "warm")
    with_hud = shown(app)
    assert np.abs(with_hud.astype(int) - app.last.image.astype(int))[:30, :100].mean() > 10


def test_r_records_the_frames_without_the_hud(app, tmp_path):
    app.hud.show_hud = True
    settled_pixels(app, "warm")
    press(app, "r")
    step_until(app, lambda: app.recording.recorder is not None)
    recording_started = time.monotonic()
    step_until(app, lambda: time.monotonic() - recording_started > 1.5)
    pixels = shown(app)
    blue, green, red = pixels[10:32, -32:-10].reshape(-1, 3).mean(axis=0)
    assert red > 150 and green < 100 and blue < 100, "the red recording dot is on screen"
    press(app, "r")
    step_until(app, lambda: app.recording.recorder is None)
    app.recording.wait()
    (recording,) = tmp_path.glob("realtime-*.mp4")
    written = decode(recording)
    assert len(written["frames"]) >= 10
    # The file holds the composite frame alone: no HUD text, no dot.
    assert np.abs(written["frames"][-1].astype(int) - app.last.image.astype(int)).mean() < 4


def test_fullscreen_show_keeps_its_screen_when_monitors_change():
    """--fullscreen --monitor 0: covers the monitor, hides the cursor, and stays fullscreen through a
    disconnect and reconnect. Xvfb cannot unplug its only output, so the events are delivered to
    the window's own monitor callback; the window, the monitor and the mode changes are real."""
    renderer = Renderer(192, 112, fullscreen=True, monitor=0)
    try:
        monitor = glfw.get_monitors()[0]
        mode = glfw.get_video_mode(monitor)
        glfw.poll_events()
        assert renderer.fullscreen
        assert glfw.get_window_size(renderer.window) == (mode.size.width, mode.size.height)
        assert glfw.get_input_mode(renderer.window, glfw.CURSOR) == glfw.CURSOR_HIDDEN
        for event in (glfw.DISCONNECTED, glfw.CONNECTED):
            renderer._on_monitor_change(monitor, event)
            glfw.poll_events()
            assert glfw.get_monitor_name(glfw.get_window_monitor(renderer.window)) == glfw.get_monitor_name(monitor)
        renderer.show(np.full((112, 192, 3), (0, 0, 255), np.uint8), "red")
        time.sleep(STYLE_FADE_SECONDS + 0.05)  # a first frame fades in from black
        renderer.draw()
        renderer.present()  # Mesa resizes the drawable to the new window size at a buffer swap
        renderer.draw()
        assert (read_pixels(renderer)[mode.size.height // 2, mode.size.width // 2] == (0, 0, 255)).all()
        renderer.toggle_fullscreen()  # F: back to the window it was
        glfw.poll_events()
        assert not renderer.fullscreen and glfw.get_window_size(renderer.window) == (192, 112)
    finally:
        renderer.close()


def test_a_dropped_picture_becomes_the_style_and_k_keeps_the_colours(app, tmp_path):
    import cv2

    settled_pixels(app, "warm")
    picture = tmp_path / "blue.png"
    picture_pixels = np.full((64, 64, 3), (200, 60, 20), np.uint8)
    picture_pixels[::8] = 255
    cv2.imwrite(str(picture), picture_pixels)
    (tmp_path / "notes.txt").write_text("not a picture")
    app.renderer._on_drop(app.renderer.window, [str(tmp_path / "notes.txt")])  # what GLFW calls on a drop
    app.step()
    assert app.look.style == "warm" and "not a picture" in app.hud.message
    app.renderer._on_drop(app.renderer.window, [str(picture)])
    app.step()
    assert app.look.style == str(picture) and str(picture) in app.styles
    painted = settled_pixels(app, str(picture)).astype(int)
    assert painted[..., 0].mean() > painted[..., 2].mean() + 20  # blue like the picture
    press(app, "k")
    step_until(app, lambda: app.look.keep_colors)
    frames_before = app.last.index
    step_until(app, lambda: app.last.index > frames_before + 2)
    kept = shown(app).astype(int)
    assert kept[..., 0].mean() - kept[..., 2].mean() < painted[..., 0].mean() - painted[..., 2].mean() - 10


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two (left, top, width, height) rectangles share a pixel."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (320, 180)])
def test_the_key_list_fits_in_the_window_below_the_hud(app, size):
    """? at the default 640x360 (the full list is 436 px tall), larger and smaller: the key list is
    drawn inside the window, clear of the HUD and the recording dot."""
    app.hud.show_hud = app.hud.show_keys = True
    glfw.set_window_size(app.renderer.window, *size)
    step_until(app, lambda: app.renderer.size == size and len(app.renderer.overlays) == 2, seconds=5)
    app.recording.start(app.recording.folder / "keys.mp4")
    step_until(app, lambda: len(app.renderer.overlays) == 3)
    hud, dot, keys = overlay_rects(app.renderer)
    left, top, width, height = keys
    assert 0 <= left and left + width <= size[0] and 0 <= top and top + height <= size[1], (keys, size)
    assert not overlap(keys, hud) and not overlap(keys, dot), (keys, hud, dot)
    if size == (1280, 720):
        assert height == 436  # room for the list at full size, in one block
    app.handle("record")
    app.recording.wait()
