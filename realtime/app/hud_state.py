"""What the window app shows about itself: the HUD's and the key list's state, the flash message, and the
facts the overlays (realtime.app.overlays) draw and the remote's /status reports. The app keeps it up to
date; hotkeys (realtime.app.controls) switch parts of it. Plain data, so neither side needs the app."""
from __future__ import annotations

import time
from dataclasses import dataclass

from realtime.look import Look


@dataclass
class HudState:
    look: Look  # the app's own Look, shared: what the keys change is what the HUD shows
    engine: str  # the engine's device and network, e.g. "cpu / lite"
    show_hud: bool = True
    show_keys: bool = False
    paused: bool = False
    recording_since: float | None = None  # time.monotonic() when the current recording started; None: none
    camera_lost: bool = False
    fps: float = 0.0
    network_size: str = ""  # e.g. "net 384x216 -> 640x360"
    frames_shown: int = 0
    ndi: bool | None = None  # whether frames go out over NDI; None: no --ndi
    message: str = ""
    message_until: float = 0.0  # time.monotonic() when the message goes

    @property
    def recording(self) -> bool:
        return self.recording_since is not None

    def flash(self, message: str, seconds: float = 2.0) -> None:
        self.message, self.message_until = message, time.monotonic() + seconds

    def status(self) -> dict[str, object]:
        """What the remote control reports (HTTP GET /status)."""
        look = self.look
        return {"style": look.style, "mode": look.stylize, "strength": look.strength, "fps": round(self.fps, 1),
                "recording": self.recording, "camera_lost": self.camera_lost, "frames_shown": self.frames_shown,
                "ndi": self.ndi}
