"""A real NDI receiver (cyndilib) for the tests: finds a source by name on this machine and takes its frames."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

# NDI finds sources by mDNS, which these machines may not carry: this config makes it look on this machine.
LOCAL_ONLY = {"ndi": {"networks": {"ips": "127.0.0.1"}}}


def local_ndi_config(folder: Path) -> Path:
    """A folder for NDI_CONFIG_DIR (set before cyndilib is first imported) that finds sources on this machine."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ndi-config.v1.json").write_text(json.dumps(LOCAL_ONLY))
    return folder


class NdiReceiver:
    """Receives one source through NDI's frame synchronizer: each look returns the newest frame."""

    def __init__(self, stream_name: str):
        from cyndilib.finder import Finder

        self.stream_name = stream_name
        self.finder = Finder()
        self.finder.open()
        self.receiver = None

    def connect(self, timeout: float) -> float:
        """Wait for the source to be announced and connect to it; returns how long finding it took."""
        from cyndilib.receiver import Receiver
        from cyndilib.video_frame import VideoFrameSync
        from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat

        started = time.monotonic()
        source = None
        while source is None:
            assert time.monotonic() - started < timeout, f"no NDI source {self.stream_name!r} in {timeout} s"
            self.finder.wait_for_sources(0.5)
            source = next((s for s in self.finder.iter_sources() if s.stream_name == self.stream_name), None)
        found = time.monotonic() - started
        self.receiver = Receiver(color_format=RecvColorFormat.BGRX_BGRA, bandwidth=RecvBandwidth.highest)
        self.video = VideoFrameSync()
        self.receiver.frame_sync.set_video_frame(self.video)
        self.receiver.set_source(source)
        return found

    def newest(self) -> np.ndarray | None:
        """The newest frame as H x W x 4 BGRA (the fourth byte is alpha for BGRA, padding for BGRX); None before the first."""
        self.receiver.frame_sync.capture_video()
        width, height = self.video.get_resolution()
        if width == 0 or height == 0:
            return None
        rows = self.video.get_array().reshape(height, -1)  # NDI may pad each row (the line stride)
        return rows[:, :width * 4].reshape(height, width, 4).copy()

    def fourcc(self) -> str:
        return self.video.get_fourcc().name

    def first_frame(self, timeout: float) -> np.ndarray:
        deadline = time.monotonic() + timeout
        while (frame := self.newest()) is None:
            assert time.monotonic() < deadline, f"no frame from {self.stream_name!r} in {timeout} s"
            time.sleep(0.02)
        return frame

    def distinct_frames(self, seconds: float) -> list[np.ndarray]:
        """Every different frame seen in `seconds`, polling far faster than any frame rate."""
        frames, seen = [], set()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = self.newest()
            if frame is not None and (key := hash(frame.tobytes())) not in seen:
                seen.add(key)
                frames.append(frame)
            time.sleep(0.005)
        return frames

    def disconnect(self) -> None:
        """Leave, as a receiver that is closed does (the sender must go on)."""
        self.receiver.disconnect()
        self.receiver = None

    def close(self) -> None:
        if self.receiver is not None:
            self.disconnect()
        self.finder.close()
