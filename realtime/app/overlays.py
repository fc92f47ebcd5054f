"""What the window draws over the picture: the HUD, the key list, the recording dot and the
"camera lost" notice. Rebuilt only when their text changes."""
from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from realtime.styles.registry import display_name
from realtime.window.hotkeys import key_list_rows
from realtime.window.hud import MARGIN, RECORDING_DOT, key_list_image, text_image

if TYPE_CHECKING:
    from realtime.app.window_app import LiveApp

CAMERA_LOST = text_image(["camera lost, reconnecting..."])


@lru_cache(maxsize=8)  # rebuilt with the HUD's text (every FPS change), laid out again only when the window resizes
def key_list_overlay(window_w: int, window_h: int, top_row: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The key list and its (left, top): inside the window and below the panels along its top (the HUD,
    the recording dot: top_row tall, 0 for none), centred in the room left there, in columns or
    smaller type where the full list does not fit."""
    top = MARGIN + (top_row + MARGIN if top_row else 0)
    room_w, room_h = max(1, window_w - 2 * MARGIN), max(1, window_h - top - MARGIN)
    image = key_list_image("Keys", key_list_rows(), room_w, room_h)
    height, width = image.shape[:2]
    return image, ((window_w - width) // 2, top + (room_h - height) // 2)


class Overlays:
    def __init__(self, app: LiveApp):
        self.app = app
        self._shown: tuple | None = None

    def network_size_text(self) -> str:
        """The size the style network runs at, and the size it is upsampled to when that differs."""
        app = self.app
        if app.last is None:
            return ""
        height, width = app.last.image.shape[:2]
        net_w, net_h = app.engine.inference_size(width, height)
        return f"net {net_w}x{net_h}" + (f" -> {width}x{height}" if (net_w, net_h) != (width, height) else "")

    def hud_lines(self) -> list[str]:
        app, look = self.app, self.app.look
        state = [f"strength {look.strength:.0%}", f"stylize {look.stylize}"] + ["keep colours"] * look.keep_colors
        state += [f"background {look.background.kind}"] * (look.background.kind != "keep") + ["MASK"] * look.show_mask
        state += ["mirror"] * look.mirror + ["compare"] * look.compare + ["PAUSED"] * app.paused
        if app.recorder is not None:
            state.insert(0, f"REC {time.monotonic() - app.recording_started:5.1f} s")
        lines = [f"{display_name(look.style)}   {app.meter.fps:4.1f} FPS   {app.engine.device.type} / {app.engine.variant}"
                 f"   {self.network_size_text()}",
                 "   ".join(state) + "   ? keys"]
        if time.monotonic() < app.message_until:
            lines.append(app.message)
        return lines

    def update(self) -> bool:
        """Hand the renderer new overlays if anything in them changed; True if so."""
        app = self.app
        text = self.hud_lines() if app.show_hud else []
        size = app.renderer.size
        shown = (text, app.recorder is not None, app.capture.lost, app.show_keys, size)
        if shown == self._shown:
            return False
        self._shown = shown
        overlays = []
        if text:
            overlays.append((text_image(text), "top-left"))
        if app.capture.lost:
            overlays.append((CAMERA_LOST, "center"))
        if app.recorder is not None:
            overlays.append((RECORDING_DOT, "top-right"))
        if app.show_keys:
            top_row = max((image.shape[0] for image, anchor in overlays if anchor in ("top-left", "top-right")), default=0)
            overlays.append(key_list_overlay(*size, top_row))
        app.renderer.set_overlays(overlays)
        return True
