"""What the window draws over the picture: the HUD, the key list, the recording dot and the
"camera lost" notice, all from the app's HudState. Rebuilt only when their text changes."""
from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from realtime.app.hud_state import HudState
from realtime.styles.registry import display_name
from realtime.window.hotkeys import key_list_rows
from realtime.window.hud import MARGIN, RECORDING_DOT, key_list_image, text_image

if TYPE_CHECKING:
    from realtime.window.renderer import Renderer

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


def network_size_text(network: tuple[int, int], frame: tuple[int, int]) -> str:
    """The (width, height) the style network runs at, and the frame's it is upsampled to when that differs."""
    return f"net {network[0]}x{network[1]}" + (f" -> {frame[0]}x{frame[1]}" if network != frame else "")


def hud_lines(hud: HudState) -> list[str]:
    look = hud.look
    state = [f"strength {look.strength:.0%}", f"stylize {look.stylize}"] + ["keep colours"] * look.keep_colors
    state += [f"background {look.background.kind}"] * (look.background.kind != "keep") + ["MASK"] * look.show_mask
    state += ["mirror"] * look.mirror + ["compare"] * look.compare + ["PAUSED"] * hud.paused
    if hud.recording_since is not None:
        state.insert(0, f"REC {time.monotonic() - hud.recording_since:5.1f} s")
    lines = [f"{display_name(look.style)}   {hud.fps:4.1f} FPS   {hud.engine}   {hud.network_size}",
             "   ".join(state) + "   ? keys"]
    if time.monotonic() < hud.message_until:
        lines.append(hud.message)
    return lines


class Overlays:
    def __init__(self, renderer: Renderer):
        self.renderer = renderer
        self._shown: tuple | None = None

    def update(self, hud: HudState) -> bool:
        """Hand the renderer new overlays if anything in them changed; True if so."""
        text = hud_lines(hud) if hud.show_hud else []
        size = self.renderer.size
        shown = (text, hud.recording, hud.camera_lost, hud.show_keys, size)
        if shown == self._shown:
            return False
        self._shown = shown
        overlays = []
        if text:
            overlays.append((text_image(text), "top-left"))
        if hud.camera_lost:
            overlays.append((CAMERA_LOST, "center"))
        if hud.recording:
            overlays.append((RECORDING_DOT, "top-right"))
        if hud.show_keys:
            top_row = max((image.shape[0] for image, anchor in overlays if anchor in ("top-left", "top-right")), default=0)
            overlays.append(key_list_overlay(*size, top_row))
        self.renderer.set_overlays(overlays)
        return True
