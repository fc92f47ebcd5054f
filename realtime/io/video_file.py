"""Writing stylized frames to a video file with PyAV (VideoWriter): each frame stamped with its time, a
playable fragment on disk every second, the input's audio copied along, and a recording stopped, finalized,
before the disk is full. Pictures are written by io/images.py."""
from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.video.frame import PictureType

from realtime.errors import UserError
from realtime.io.alpha import as_bgra, over
from realtime.io.audio import AudioCopy
from realtime.io.claim import claim
from realtime.io.outputs import (
    ALPHA_VIDEO,
    CODECS,
    CONTAINERS,
    PRORES_4444,
    RecordingOptions,
    check_output_path,
    partial_path,
)

FRAGMENT_SECONDS = 1.0  # fragmented recordings: a playable piece at least this often
# Frames are stamped in these units: capture times to the millisecond live; a file's own times at 90 kHz
# (MPEG's clock), which holds 24, 25, 30, 50 and 60 fps and millisecond times exactly.
LIVE_TIME_BASE, FILE_TIME_BASE = Fraction(1, 1000), Fraction(1, 90000)
MP4_SUFFIXES = (".mp4", ".mov")  # the others (.mkv, .webm) are Matroska
log = logging.getLogger("realtime")


def fragment_options(suffix: str, live: bool) -> dict[str, str]:
    """Muxer options that put every FRAGMENT_SECONDS of the recording on disk as soon as it is muxed,
    so a file cut anywhere (kill -9, a crash, a power cut) plays up to its last complete piece."""
    flush = {"flush_packets": "1"}  # to disk at once, not held in a buffer
    if suffix not in MP4_SUFFIXES:
        # A cluster every second (default 5 s, held in memory until complete); a cut Matroska file
        # plays to its last complete cluster.
        return {"cluster_time_limit": str(round(FRAGMENT_SECONDS * 1000)), **flush}  # milliseconds
    # Live: a fragment at each keyframe, which write() forces every second of capture time. Files:
    # hybrid, fragments while written and a regular mp4 (one index, its duration) once closed;
    # delay_moov writes the first index with the first fragment, when the B frames' delay is known,
    # so its edit list starts the picture with the sound.
    movflags = "frag_keyframe+empty_moov+default_base_moof" if live else "hybrid_fragmented+delay_moov"
    # Also by time, keyframe or not: an encoder that ignores the forced keyframes (or makes them plain
    # I frames), or a file's long GOPs, must not hold a fragment back until the next keyframe.
    return {"movflags": movflags, "frag_duration": str(round(FRAGMENT_SECONDS * 1_000_000)), **flush}  # microseconds


NO_ROOM_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)  # disk full, file size limit, quota
MIN_FREE_BYTES = 100 * 2**20  # refuse to start a recording with less free than this
LOW_FREE_BYTES = 20 * 2**20  # stop a recording, finalized, when the disk gets this full
FREE_SPACE_CHECK_SECONDS = 2.0


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path.parent if not path.is_dir() else path).free


def check_free_space(path: Path) -> None:
    free = free_bytes(path)
    if free < MIN_FREE_BYTES:
        raise UserError(f"only {free / 2**20:.0f} MB free where {path} would go; "
                        "free some space or write it to another disk")


class VideoWriter:
    """Encodes H x W x 3 uint8 BGR frames; the stream is added with the first frame's size. BGRA
    frames (a cut-out) keep their alpha in a .webm or .mov, and are put over black in the others.

    Each frame is stamped with the time it was given, counted from the first: from a file, its time
    there, so a variable frame rate (a phone's, a browser's) keeps its timing and the sound stays in
    step; live, its capture time, so playback runs at the speed of reality. Odd sizes
    are padded to even ones by repeating the last row/column (4:2:0 needs even sizes).
    Fragmented (the default), every second of the recording goes to disk playable, so even a
    killed process leaves a file that plays. From a file, it is written as NAME.partial.EXT and
    renamed once closed: a killed job's file is never taken for a finished one.

    It changes nothing in the process beyond its file; but SVT-AV1 (av1), run by root, puts the thread that
    writes the first frame and its own workers on real-time priority: the app then calls
    realtime.tuning.drop_realtime_priority().
    """

    def __init__(self, path: Path, fps: Fraction, live: bool = False, options: RecordingOptions | None = None,
                 audio_from: Path | None = None):
        self.options = options or RecordingOptions()
        codec_name = self.options.codec or CONTAINERS[path.suffix.lower()]
        check_output_path(path, codec_name)
        self.path, self.fps, self.live = path, fps, live
        self.codec = CODECS[codec_name]
        self.fragmented = self.options.fragmented
        container_options = fragment_options(path.suffix.lower(), live) if self.fragmented else {}
        check_free_space(path)
        # An existing file is replaced only by a complete one, so the new one is written beside it; so is
        # a file job's, which has a complete end (a live recording is complete wherever it stops).
        self.writing_path = partial_path(path) if path.exists() or not live else path
        self.kept: Path | None = None  # the existing file, when an unfinished run left it in place
        self._claim = claim(self.writing_path, path)  # held until the file has its final name
        try:
            self.container = av.open(str(self.writing_path), mode="w", options=container_options)
        except BaseException:
            self._settle(complete=False)
            raise
        self.audio_from = audio_from
        self.audio: AudioCopy | None = None
        self.stream: av.video.stream.VideoStream | None = None
        self.alpha = False  # whether the stream keeps alpha: set with the first frame
        self.frames_written = 0
        self._first_timestamp: float | None = None
        self._last_pts = -1
        self._end = 0.0  # output seconds where the last frame written stops showing
        self._next_fragment = 0.0
        self._fragments_end: int | None = None  # file size after the last complete fragment
        self._next_space_check = 0.0
        self.out_of_room = False

    def _add_streams(self, width: int, height: int) -> av.video.stream.VideoStream:
        encoder, options = self._encoder()
        stream = self.container.add_stream(encoder, rate=self.fps)
        stream.width, stream.height = width + width % 2, height + height % 2
        if (stream.width, stream.height) != (width, height):
            log.warning("note: %dx%d frames are recorded as %dx%d (video needs even sides; the last row or "
                        "column is repeated); --size or --record-size choose another size", width, height,
                        stream.width, stream.height)
        stream.pix_fmt = ALPHA_VIDEO[self.path.suffix.lower()] if self.alpha else "yuv420p"
        stream.codec_context.time_base = LIVE_TIME_BASE if self.live else FILE_TIME_BASE
        stream.time_base = stream.codec_context.time_base
        stream.options = options
        if self.audio_from is not None:
            self.audio = AudioCopy.open(self.audio_from, self.container)
        return stream

    def _encoder(self) -> tuple[str, dict[str, str]]:
        if self.alpha and self.path.suffix.lower() == ".mov":
            encoder, options = PRORES_4444
            return encoder, dict(options)
        options = dict(self.codec.live_options if self.live else self.codec.file_options)
        options.update(self.codec.quality_setting(self.options.quality))
        if self.options.preset:
            options["preset"] = self.options.preset
        return self.codec.encoder, options

    def write(self, image: np.ndarray, timestamp: float) -> None:
        """timestamp: in seconds, the frame's time in its file, or its capture time (live)."""
        if self.options.size is not None and (image.shape[1], image.shape[0]) != self.options.size:
            image = cv2.resize(image, self.options.size, interpolation=cv2.INTER_AREA)
        if self.stream is None:
            self.alpha = image.shape[2] == 4 and self.path.suffix.lower() in ALPHA_VIDEO
            self.stream = self._add_streams(image.shape[1], image.shape[0])
        image = as_bgra(image) if self.alpha else over(image, np.zeros_like(image[..., :3]))
        if image.shape[0] % 2 or image.shape[1] % 2:
            image = np.pad(image, ((0, image.shape[0] % 2), (0, image.shape[1] % 2), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(image, format="bgra" if self.alpha else "bgr24")
        frame.time_base = self.stream.codec_context.time_base
        if self._first_timestamp is None:
            self._first_timestamp = timestamp
        self._last_pts = max(self._last_pts + 1, round((timestamp - self._first_timestamp) / frame.time_base))
        frame.pts = self._last_pts
        seconds = float(frame.pts * frame.time_base)
        if self.fragmented and self.live and seconds >= self._next_fragment:
            # A keyframe, so a fragment, every FRAGMENT_SECONDS of capture time, however few frames
            # come in it: a slow machine still gets a playable piece every second. The muxer writes
            # a fragment when the packet that starts the next one arrives (only then is its last
            # frame's duration known), so the second frame starts one too: the first frame is on
            # disk as soon as the muxer can put it there.
            frame.pict_type = PictureType.I
            self._next_fragment = seconds + FRAGMENT_SECONDS if self.frames_written else seconds
        try:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
                if self.fragmented:  # fragments are the only writes: the file ends after a complete one
                    self._fragments_end = self.writing_path.stat().st_size
        except OSError as exc:
            if exc.errno not in NO_ROOM_ERRORS:
                raise
            self.out_of_room = True
            kept = " up to the last complete second" if self.fragmented else ""
            raise UserError(f"no room left for {self.path} ({exc.strerror}); the file keeps what was written{kept}; "
                            "free some space or record to another disk") from None
        self._check_free_space()
        self.frames_written += 1
        self._end = seconds + 1 / float(self.fps)
        if self.audio is not None:
            self.audio.copy_until(seconds)

    def _close_out_of_room(self) -> None:
        try:
            self.container.close()  # the trailer may not fit either
        except OSError:
            pass
        if self._fragments_end is not None:
            os.truncate(self.writing_path, self._fragments_end)
        self._settle(complete=False)

    def _check_free_space(self) -> None:
        """Stop while the file can still be finalized, instead of when the disk is full."""
        now = time.monotonic()
        if now < self._next_space_check:
            return
        self._next_space_check = now + FREE_SPACE_CHECK_SECONDS
        free = free_bytes(self.writing_path)
        if free < LOW_FREE_BYTES:
            raise UserError(f"the disk holding {self.path} is nearly full ({free / 2**20:.0f} MB left); "
                            "stopped recording there, the file is finalized; free some space or record to another disk")

    def close(self, complete: bool = True) -> None:
        """Flush the encoder, copy the rest of the audio, and finalize the container. A file
        written beside an existing one replaces it only when `complete`; else both stay.
        Out of room, a fragmented file is cut back to its last complete fragment, so it plays."""
        if self.out_of_room:
            self._close_out_of_room()
            return
        try:
            if self.stream is not None:
                self.container.mux(self.stream.encode(None))
            if self.audio is not None:
                self.audio.copy_until(self._end)
                self.audio.close()
        finally:
            self.container.close()
        self._settle(complete)

    def _settle(self, complete: bool) -> None:
        """Give the finalized file the name asked for, unless that would replace an existing file
        with an incomplete one: then both stay. No packet, no file. Then let the name go: another job
        takes it only once this file is where it belongs."""
        try:
            if not self.writing_path.exists():
                return
            if self.writing_path.stat().st_size == 0:
                self.writing_path.unlink()
            elif self.writing_path != self.path:
                if complete or not self.path.exists():
                    os.replace(self.writing_path, self.path)
                else:
                    self.kept, self.path = self.path, self.writing_path  # the summary names both
        finally:
            os.close(self._claim)
