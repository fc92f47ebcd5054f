"""Recording: real files, decoded back with PyAV, are complete and playable whatever happens."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import ROOT, decode, pattern_frame, run_cli, write_clip

from realtime.app.recording import Recording, RecordingFormat
from realtime.errors import UserError
from realtime.io.outputs import RecordingOptions, unused_path
from realtime.io.sinks import ThreadedSink
from realtime.io.video_file import FRAGMENT_SECONDS, VideoWriter
from realtime.tuning import drop_realtime_priority


def test_file_to_file_keeps_frames_rate_duration_and_audio(style_dir, tmp_path):
    clip = write_clip(tmp_path / "with_audio.mp4", 50, 160, 96, Fraction(25), audio_rate=44100)
    for suffix in (".mp4", ".webm"):  # AAC is remuxed into mp4, re-encoded to Opus for WebM
        out = tmp_path / f"out{suffix}"
        result = run_cli("--input", str(clip), "--style", "warm", "--output", str(out), "--no-display",
                         checkpoints=style_dir)
        assert result.returncode == 0, result.stderr
        source, written = decode(clip), decode(out)
        assert len(written["frames"]) == 50 and written["rate"] == 25
        assert written["times"][-1] == pytest.approx(source["times"][-1], abs=1e-3)
        assert written["audio_seconds"] == pytest.approx(source["audio_seconds"], abs=1 / 25)


def first_times(path: Path) -> tuple[float, float]:
    """When the first picture and the first sound play, in seconds."""
    starts = []
    for kind in ("video", "audio"):
        with av.open(str(path)) as container:
            starts.append(float(next(container.decode(getattr(container.streams, kind)[0])).time))
    return starts[0], starts[1]


def test_fragmented_file_keeps_sound_and_picture_together(tmp_path):
    """B frames delay the picture (0.08 s here) unless an edit list hides it, which a plain fragmented
    mp4 cannot write: the picture starts with the sound, as in the source. Once closed, the file is a
    regular mp4, whose index lists every frame."""
    clip = write_clip(tmp_path / "with_audio.mp4", 50, 160, 96, Fraction(25), audio_rate=44100)
    out = tmp_path / "fragmented.mp4"
    writer = VideoWriter(out, Fraction(25), options=RecordingOptions(fragmented=True), audio_from=clip)
    for index, image in enumerate(decode(clip)["frames"]):
        writer.write(image, index / 25)
    writer.close()
    source_video, source_audio = first_times(clip)
    video, audio = first_times(out)
    assert video - audio == pytest.approx(source_video - source_audio, abs=1e-3)
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames == 50  # 0 in a fragmented file: its index is in pieces


def test_audio_is_copied_from_a_file_whose_tags_are_not_utf8(tmp_path):
    """A damaged or oddly written tag (bytes that are not UTF-8) does not stop the recording."""
    clip = write_clip(tmp_path / "tagged.mp4", 10, 64, 48, Fraction(25), audio_rate=44100, title="TITLETITLE")
    source = decode(clip)
    data = clip.read_bytes()
    assert data.count(b"TITLETITLE") == 1
    clip.write_bytes(data.replace(b"TITLETITLE", bytes(range(0x91, 0x9B))))
    out = tmp_path / "out.mp4"
    writer = VideoWriter(out, Fraction(25), audio_from=clip)
    for index, image in enumerate(source["frames"]):
        writer.write(image, index / 25)
    writer.close()
    assert decode(out)["audio_seconds"] == pytest.approx(source["audio_seconds"], abs=1 / 25)


def test_live_timestamps_follow_capture_times(tmp_path):
    path = tmp_path / "live.mp4"
    writer = VideoWriter(path, Fraction(30), live=True)
    intervals = [0.033, 0.033, 0.1, 0.02, 0.25, 0.033, 0.05, 0.5, 0.033, 0.033]
    stamps = list(np.cumsum([0.0] + intervals) + 1000.0)  # capture clock, any origin
    for index, stamp in enumerate(stamps):
        writer.write(pattern_frame(index, 128, 72), stamp)
    writer.close()
    written = decode(path)
    assert len(written["frames"]) == len(stamps)
    # Intervals match reality (the first frame may sit a constant B-frame delay after 0).
    assert np.allclose(np.diff(written["times"]), intervals, atol=0.002)


def test_odd_sizes_are_padded_to_even_and_it_says_so(tmp_path, caplog):
    writer = VideoWriter(tmp_path / "odd.mp4", Fraction(10))
    for index in range(5):
        writer.write(pattern_frame(index, 101, 59), index / 10)
    writer.close()
    written = decode(tmp_path / "odd.mp4")
    assert (written["width"], written["height"]) == (102, 60)
    assert "101x59 frames are recorded as 102x60" in caplog.text  # not silently
    # Aligned: the picture is not sheared, the added column repeats its neighbour.
    frame = written["frames"][2].astype(int)
    assert np.abs(frame[:59, :101] - pattern_frame(2, 101, 59).astype(int)).mean() < 6


def test_record_size_and_codecs(tmp_path):
    try:
        for codec, suffix in (("h264", ".mp4"), ("hevc", ".mkv"), ("vp9", ".webm"), ("av1", ".mkv")):
            path = tmp_path / f"{codec}{suffix}"
            writer = VideoWriter(path, Fraction(24), options=RecordingOptions(codec=codec, size=(96, 64)))
            for index in range(6):
                writer.write(pattern_frame(index, 160, 96), index / 24)
            writer.close()
            written = decode(path)
            assert (len(written["frames"]), written["width"], written["height"]) == (6, 96, 64), codec
    finally:
        drop_realtime_priority()  # SVT-AV1 left this thread on real-time priority (see the next test)


def all_threads_on_the_normal_policy() -> bool:
    return all(os.sched_getscheduler(int(task)) == os.SCHED_OTHER for task in os.listdir("/proc/self/task"))


def test_an_av1_recording_puts_every_thread_back_on_the_normal_policy(tmp_path):
    """SVT-AV1 (run by root) sets its threads to real-time priority; everything started from here would
    inherit it. The app's recording puts them back once the encoder has opened; VideoWriter leaves the
    process alone."""
    recording = Recording(RecordingFormat(Fraction(24), True, RecordingOptions(codec="av1")), keep_going=False)
    recording.open(tmp_path / "av1.mkv")
    try:
        recording.put(pattern_frame(0, 160, 96), 0.0)
        deadline = time.monotonic() + 60
        while recording.recorder.writer.frames_written == 0:
            assert time.monotonic() < deadline, "the encoder wrote no frame"
            time.sleep(0.05)
        for index in range(1, 6):
            recording.put(pattern_frame(index, 160, 96), index / 24)
            assert all_threads_on_the_normal_policy()
    finally:
        recording.close()
        drop_realtime_priority()
    assert len(decode(tmp_path / "av1.mkv")["frames"]) >= 1


class SlowWriter(VideoWriter):
    """A real encoder behind a real sleep: an encoder that cannot keep up."""

    def write(self, image, timestamp):
        time.sleep(0.05)
        super().write(image, timestamp)


def test_slow_encoder_never_stalls_a_live_loop(tmp_path):
    recorder = ThreadedSink(SlowWriter(tmp_path / "slow.mp4", Fraction(30), live=True), depth=4)
    started = time.monotonic()
    for index in range(60):
        recorder.put(pattern_frame(index, 128, 72), started + index / 30)
    producer_seconds = time.monotonic() - started
    recorder.close()
    # Encoding 60 frames takes at least 3 s here; handing them over must not wait for it.
    assert producer_seconds < 1.5
    assert recorder.dropped > 0
    assert recorder.writer.frames_written + recorder.dropped == 60
    assert len(decode(tmp_path / "slow.mp4")["frames"]) == recorder.writer.frames_written


def test_slow_encoder_makes_file_mode_wait_not_drop(tmp_path):
    recorder = ThreadedSink(SlowWriter(tmp_path / "all.mp4", Fraction(30)), depth=4)
    for index in range(20):
        recorder.put(pattern_frame(index, 128, 72), index / 30)
    recorder.close()
    assert recorder.dropped == 0
    assert len(decode(tmp_path / "all.mp4")["frames"]) == 20


DEMO = ("--demo", "--size", "320x180", "--max-frames", "100000")  # endless: stopped by the test (or a later --max-frames)


class RecordingProcess:
    """The app recording headless (the demo, or the `source` options); its stderr is read on a thread,
    so a test can wait for the progress bar's frame count instead of for a fixed time (slow machines differ)."""

    def __init__(self, style_dir: Path, output: Path, *extra: str, source: tuple[str, ...] = DEMO):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "run.py"), *source, "--style", "warm", "--no-display",
             "--output", str(output), *extra], env={**os.environ, "REALTIME_CHECKPOINTS": str(style_dir)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            # As from a terminal: a shell's background job (how CI may start us) ignores SIGINT, and children inherit that.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while chunk := self.process.stderr.read(1):
            self.stderr += chunk

    def frames_done(self) -> int:
        # tqdm: "15frame [00:01, 9.5frame/s]" live, "15/300 [00:01<00:29, 9.5frame/s]" from a file
        counts = re.findall(r"(\d+)(?:frame|/\d+) \[", self.stderr)
        return int(counts[-1]) if counts else 0

    def wait_for(self, condition, what: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, self.finish()
            assert time.monotonic() < deadline, f"{what} did not happen in {timeout} s; stderr: {self.stderr}"
            time.sleep(0.1)

    def finish(self, timeout: float = 180) -> str:
        """Wait for the process to end (killing it if it does not) and return its stderr."""
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=10)
        return self.stderr


def decodable_frames(path: Path) -> int:
    try:
        return len(decode(path)["frames"]) if path.exists() else 0
    except (av.error.FFmpegError, KeyError, IndexError):
        return 0


@pytest.mark.parametrize("signum, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_finalizes_the_recording(style_dir, tmp_path, signum, exit_code):
    output = tmp_path / "signalled.mp4"
    recording = RecordingProcess(style_dir, output, "--no-fragmented")
    recording.wait_for(lambda: recording.frames_done() >= 30, "30 frames stylized")
    recording.process.send_signal(signum)
    stderr = recording.finish()
    assert recording.process.returncode == exit_code, stderr
    assert "Traceback" not in stderr
    written = decode(output)  # a plain mp4 only decodes once its index (moov) is written
    assert len(written["frames"]) >= 10
    assert f"({len(written['frames'])} frames" in stderr
    assert written["times"] == sorted(written["times"])


@pytest.mark.parametrize("suffix", [".mp4", ".webm"])  # fragments; Matroska clusters
def test_kill_9_leaves_a_playable_fragmented_file(style_dir, tmp_path, suffix):
    output = tmp_path / f"killed{suffix}"
    recording = RecordingProcess(style_dir, output)  # live sources record fragmented by default
    try:
        recording.wait_for(lambda: decodable_frames(output) >= 10, "10 frames in the file")
        recording.process.kill()
    finally:
        recording.finish()
    assert len(decode(output)["frames"]) >= 10


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_kill_9_late_in_a_file_job_leaves_nearly_all_of_it_playable(style_dir, tmp_path, suffix):
    """A killed file job loses only what was not yet in a complete second on disk: the last second,
    the encoder's lookahead (~40 frames) and the recorder's queue, however long the job. Killed after
    90% of its frames, it leaves NAME.partial.EXT playing at least 80% of them, with their sound;
    the name asked for is only ever a finished file."""
    count, fps = 1500, Fraction(10)
    clip = write_clip(tmp_path / "long.mp4", count, 160, 96, fps, audio_rate=16000)
    output = tmp_path / f"killed{suffix}"
    job = RecordingProcess(style_dir, output, source=("--input", str(clip)))
    try:
        job.wait_for(lambda: job.frames_done() >= 0.9 * count, "90% of the frames stylized", timeout=600)
        job.process.kill()
    finally:
        job.finish()
    assert job.process.returncode == -signal.SIGKILL, "the job ended before it was killed"
    assert not output.exists()
    written = decode(tmp_path / f"killed.partial{suffix}")
    assert len(written["frames"]) >= 0.8 * count
    assert written["times"][0] == 0 and written["times"] == sorted(written["times"])
    assert written["audio_seconds"] == pytest.approx(written["times"][-1], abs=FRAGMENT_SECONDS)


SLOW_LIVE_WRITER = '''
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

from realtime.io.outputs import RecordingOptions
from realtime.io.video_file import VideoWriter

path, codec, count, interval = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
# A camera that says 30 fps, behind an engine that manages one frame every `interval` seconds.
writer = VideoWriter(Path(path), Fraction(30), live=True, options=RecordingOptions(codec=codec))
for index in range(count):
    writer.write(np.full((72, 128, 3), index * 10, np.uint8), 5000.0 + index * interval)
    print(index + 1, flush=True)
sys.stdin.read()  # the file stays open, unfinished, until the test kills us
'''


@pytest.mark.parametrize("codec, count", [("h264", 2), ("h264", 9), ("hevc", 9)])
def test_kill_9_keeps_every_second_of_a_live_recording_slower_than_its_rate(tmp_path, codec, count):
    """Fragments go by the recording's time, not by a count of frames: when frames come at
    2 per second from a 30 fps source, everything older than FRAGMENT_SECONDS is in the file when
    the process is killed, and so is the first frame once a second one is written."""
    output, interval, log = tmp_path / f"slow-{codec}.mp4", 0.5, tmp_path / "writer.log"
    with open(log, "w") as stderr:
        writer = subprocess.Popen([sys.executable, "-c", SLOW_LIVE_WRITER, str(output), codec, str(count),
                                   str(interval)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                  text=True, cwd=ROOT)
    deadline = threading.Timer(120, writer.kill)  # a hung encoder ends in EOF below, not in a hung test
    deadline.start()
    try:
        for line in writer.stdout:  # one line a frame; at EOF (it crashed) the loop ends
            if line.strip() == str(count):
                break
        assert writer.poll() is None, f"the writer ended before writing {count} frames: {log.read_text()}"
        writer.kill()  # it wrote `count` frames and waits with the file unfinished
    finally:
        deadline.cancel()
        writer.kill()
        writer.wait()
    written = decode(output)
    stamps = [index * interval for index in range(count)]
    older = sum(stamp <= stamps[-1] - FRAGMENT_SECONDS for stamp in stamps)
    assert len(written["frames"]) >= max(older, 1)
    # The right frames, in order: frame n is a flat grey of 10 n.
    levels = [round(frame.mean() / 10) for frame in written["frames"]]
    assert levels == list(range(len(levels)))
    assert np.allclose(np.diff(written["times"]), interval, atol=0.002)  # capture times, not 1/30 s apart


FAILING_STYLE = '''
import torch

class FailsOnBrightFrames(torch.nn.Module):
    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        if bool(rgb.mean() > 0.9):
            raise RuntimeError("injected failure: a bright frame")
        return 1.0 - rgb

torch.jit.save(torch.jit.script(FailsOnBrightFrames()), {path!r})
'''


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="the engine thread runs with the window: needs xvfb-run")
def test_exception_in_the_engine_thread_finalizes_the_recording(style_dir, tmp_path):
    module = tmp_path / "failing.ts"
    script = tmp_path / "make_failing.py"
    script.write_text(FAILING_STYLE.format(path=str(module)))
    subprocess.run([sys.executable, str(script)], check=True)
    white = np.full((96, 160, 3), 255, np.uint8)
    clip = write_clip(tmp_path / "goes_white.mp4", 60, 160, 96, Fraction(30),
                      frame_maker=lambda index: pattern_frame(index, 160, 96) if index < 30 else white)
    output = tmp_path / "crashed.mp4"
    result = subprocess.run([sys.executable, str(ROOT / "run.py"), "--input", str(clip), "--style", str(module),
                             "--output", str(output)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "REALTIME_CHECKPOINTS": str(style_dir)})
    assert result.returncode != 0
    assert "injected failure" in result.stderr
    written = decode(output)
    assert 20 <= len(written["frames"]) <= 30  # the frames before the failure, none after


def test_a_new_recording_never_takes_an_existing_name(tmp_path):
    first = tmp_path / "realtime-20261123-101500.mp4"
    assert unused_path(first) == first
    first.write_bytes(b"an earlier recording")
    second = unused_path(first)
    assert second.name == "realtime-20261123-101500-2.mp4"
    second.touch()
    assert unused_path(first).name == "realtime-20261123-101500-3.mp4"
    assert first.read_bytes() == b"an earlier recording"


def test_an_existing_output_is_replaced_only_by_a_finished_run(style_dir, tmp_path):
    output = tmp_path / "show.mp4"
    output.write_bytes(b"the result of an earlier run")
    recording = RecordingProcess(style_dir, output, "--no-fragmented")
    recording.wait_for(lambda: recording.frames_done() >= 5, "5 frames stylized")
    recording.process.send_signal(signal.SIGINT)
    stderr = recording.finish()
    assert recording.process.returncode == 130, stderr
    assert output.read_bytes() == b"the result of an earlier run"  # an interrupted run replaces nothing
    partial = tmp_path / "show.partial.mp4"
    assert len(decode(partial)["frames"]) >= 5  # and what it did is kept, finalized, beside it
    assert f"wrote {partial}" in stderr and "stopped early" in stderr and f"kept the existing {output}" in stderr
    finished = RecordingProcess(style_dir, output, "--max-frames", "8")
    stderr = finished.finish()
    assert finished.process.returncode == 0, stderr
    assert decode(output)["frames"] and not partial.exists()  # replaced (a live demo drops frames a slow engine misses)


def test_no_room_left_is_one_line_and_the_file_plays_to_its_last_fragment(style_dir, tmp_path):
    import resource

    output = tmp_path / "full.mp4"
    limit = 80_000  # bytes: a file size limit fails writes the way a full disk does (EFBIG instead of ENOSPC)

    def limited() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *DEMO, "--style", "warm", "--no-display",
         "--output", str(output)], env={**os.environ, "REALTIME_CHECKPOINTS": str(style_dir)},
        capture_output=True, text=True, timeout=180, preexec_fn=limited)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no room left for" in errors[0] and "Traceback" not in result.stderr, result.stderr
    assert 0 < output.stat().st_size < limit
    assert len(decode(output)["frames"]) >= 1  # cut back to whole fragments: every frame in it decodes


def test_the_summary_says_when_a_run_stopped_early_or_wrote_nothing(tmp_path):
    empty = ThreadedSink(VideoWriter(tmp_path / "empty.mp4", Fraction(30)))
    empty.close(complete=False)  # e.g. out of memory before the first frame
    assert empty.summary() == f"nothing was recorded to {tmp_path / 'empty.mp4'} (0 frames, stopped early)"
    some = ThreadedSink(VideoWriter(tmp_path / "some.mp4", Fraction(30)))
    for index in range(3):
        some.put(pattern_frame(index, 64, 48), index / 30)
    some.close()
    assert some.summary() == f"wrote {tmp_path / 'some.mp4'} (3 frames)"


def test_a_second_job_on_the_same_output_is_refused_while_the_first_writes(style_dir, clip, tmp_path):
    """Two jobs shared NAME.partial.EXT: each cut into the other's file, and both said they wrote it."""
    output = tmp_path / "same.mp4"
    first = VideoWriter(output, Fraction(25))  # a job writing there now (a killed job's lock goes with it)
    first.write(pattern_frame(0, 64, 48), 0.0)
    second = run_cli("--input", str(clip), "--style", "warm", "--output", str(output), "--no-display",
                     checkpoints=style_dir)
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert f"another job is writing {output}" in second.stderr and "choose another --output" in second.stderr
    for index in range(1, 10):
        first.write(pattern_frame(index, 64, 48), index / 25)
    first.close()
    assert len(decode(output)["frames"]) == 10
    again = VideoWriter(output, Fraction(25))  # once it has finished, the name is free
    again.close()
    assert not (tmp_path / "same.partial.mp4").exists()
    live = tmp_path / "live.mp4"
    recording = VideoWriter(live, Fraction(25), live=True)  # writes into its name: a second one must not replace it
    with pytest.raises(UserError, match=f"another job is writing {live}"):
        VideoWriter(live, Fraction(25), live=True)
    recording.close()


def test_variable_frame_rate_keeps_each_frames_time_and_all_the_audio(style_dir, tmp_path):
    """A phone's or a browser's clip: frames 20 to 90 ms apart, 30 fps only declared. Stamped n / 30,
    it came out 1.6x fast with its sound cut where the picture ended."""
    gaps = np.random.default_rng(37).uniform(0.02, 0.09, 59)
    times = [0.0, *np.cumsum(gaps).round(3)]
    clip = write_clip(tmp_path / "vfr.mkv", 60, 160, 96, Fraction(30), audio_rate=48000, times=times)
    source = decode(clip)
    for suffix in (".mp4", ".webm"):  # AAC is remuxed into mp4, re-encoded to Opus for WebM
        out = tmp_path / f"out{suffix}"
        result = run_cli("--input", str(clip), "--style", "warm", "--output", str(out), "--no-display",
                         checkpoints=style_dir)
        assert result.returncode == 0, result.stderr
        written = decode(out)
        assert written["times"] == pytest.approx(source["times"], abs=1e-3)
        assert written["audio_seconds"] == pytest.approx(source["audio_seconds"], rel=0.02)
