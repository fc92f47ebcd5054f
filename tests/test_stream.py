"""The stream loop (realtime.engine.stream) that file mode, the window's engine thread and the bench
all run: order, overlap, shutdown and errors, on the real engine and the real hand-over queues."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch
from conftest import pattern_frame, real_photo

from realtime.engine.stream import stylize_stream
from realtime.engine.style_engine import StyleEngine
from realtime.io.capture import Frame
from realtime.look import Look
from realtime.mailbox import LatestMailbox, OrderedQueue
from realtime.styles.registry import StyleRegistry


class CountingEngine(StyleEngine):
    """The real engine, writing down when each frame is submitted."""

    def __init__(self, *args, events: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = events

    def submit(self, image, look, stream=None):
        self.events.append(("submit", int(image[0, 0, 2])))
        return super().submit(image, look, stream)


@pytest.fixture()
def events() -> list:
    return []


@pytest.fixture()
def engine(style_dir, events):
    return CountingEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", events=events)


def frame(index: int) -> Frame:
    image = pattern_frame(index, 64, 48)
    image[0, 0, 2] = index  # the frame's number, readable at submit()
    return Frame(image, index, time.monotonic())


def queue_of(count: int) -> OrderedQueue[Frame]:
    frames: OrderedQueue[Frame] = OrderedQueue(depth=count + 1)
    for index in range(count):
        frames.put(frame(index))
    frames.close()
    return frames


def test_frames_come_out_in_order_and_stylized(engine):
    delivered = []
    count = stylize_stream(engine, queue_of(6), Look("warm"), lambda image, f, look: delivered.append((f.index, image, look)))
    assert count == 6 and [index for index, _, _ in delivered] == list(range(6))
    expected = engine.process(frame(3).image, Look("warm"))
    assert np.array_equal(delivered[3][1], expected)
    assert all(look.style == "warm" for _, _, look in delivered)


def test_the_next_frame_is_submitted_before_this_one_is_waited_for(engine, events):
    stylize_stream(engine, queue_of(4), Look("warm"), lambda image, f, look: events.append(("deliver", f.index)))
    assert events == [("submit", 0), ("submit", 1), ("deliver", 0), ("submit", 2), ("deliver", 1),
                      ("submit", 3), ("deliver", 2), ("deliver", 3)]


def test_a_live_frame_is_delivered_without_waiting_for_the_next(engine):
    """Overlap never adds latency: with no next frame waiting, the frame in flight is delivered."""
    frames: LatestMailbox[Frame] = LatestMailbox()
    first_delivered = threading.Event()

    def camera() -> None:
        frames.put(frame(0))
        if first_delivered.wait(timeout=120):  # the next frame only comes once the first is out
            frames.put(frame(1))
        frames.close()

    delivered = []

    def deliver(image, f, look) -> None:
        delivered.append(f.index)
        first_delivered.set()

    thread = threading.Thread(target=camera)
    thread.start()
    stylize_stream(engine, frames, Look("warm"), deliver)
    thread.join()
    assert delivered == [0, 1]


def test_the_look_is_read_once_per_frame(engine):
    look = Look("warm")
    seen = []

    def deliver(image, f, frame_look) -> None:
        seen.append(frame_look.style)
        look.style = "cool"  # what a hotkey does meanwhile, on another thread

    stylize_stream(engine, queue_of(4), look, deliver)
    # Frame 1 was submitted before frame 0 was delivered: it keeps the look it was submitted with.
    assert seen == ["warm", "warm", "cool", "cool"]


def test_keep_going_stops_the_loop_and_the_frame_in_flight_still_comes_out(engine, events):
    delivered = []
    stylize_stream(engine, queue_of(10), Look("warm"), lambda image, f, look: delivered.append(f.index),
                   keep_going=lambda: len(delivered) < 2)
    assert delivered == [0, 1, 2]  # stopped after the second; the third was in flight
    assert [n for kind, n in events if kind == "submit"] == [0, 1, 2]


def test_an_error_in_a_sink_stops_the_loop_at_once(engine, events):
    def deliver(image, f, look) -> None:
        if f.index == 1:
            raise OSError("disk full (test)")

    with pytest.raises(OSError, match="disk full"):
        stylize_stream(engine, queue_of(10), Look("warm"), deliver)
    assert [n for kind, n in events if kind == "submit"] == [0, 1, 2]


def test_an_error_in_the_engine_propagates(engine):
    frames = queue_of(2)
    with pytest.raises(Exception):  # a style that does not exist fails in the engine
        stylize_stream(engine, frames, Look("no_such_style"), lambda image, f, look: None)


def test_an_empty_closed_stream_ends_at_once(engine):
    assert stylize_stream(engine, queue_of(0), Look("warm"), lambda image, f, look: None) == 0


@pytest.mark.cuda
def test_out_of_memory_retry_keeps_the_buffers_of_the_frame_in_flight(style_dir, monkeypatch):
    """A retried frame (after CUDA ran out of memory) must not reuse the pinned buffers of the frame
    still in flight: the retry stays in its own slot."""
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cuda"), "lite")
    first_image, second_image = pattern_frame(0, 320, 180), pattern_frame(30, 320, 180)  # above the size floor
    expected_first = engine.process(first_image, Look("warm"))
    stream = engine.new_stream()
    in_flight = engine.submit(first_image, Look("warm"), stream)
    submit_once, slots = engine._submit, []

    def out_of_memory_once(image, look, stream):
        slots.append(stream.slot)
        if len(slots) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (test)")
        return submit_once(image, look, stream)

    monkeypatch.setattr(engine, "_submit", out_of_memory_once)
    engine.submit(second_image, Look("warm"), stream).wait()
    assert slots[0] == slots[1]
    assert np.array_equal(in_flight.wait(), expected_first)


def two_videos(count: int = 6) -> list[list[np.ndarray]]:
    """A person panning by, and the same with camera noise: alike enough that one video's last frame would be
    kept in the other's, were their memories mixed."""
    rng, photo = np.random.default_rng(2), real_photo(160, 120)
    first = [np.roll(photo, 2 * index, axis=1) for index in range(count)]
    noisy = [np.clip(frame.astype(int) + rng.integers(-12, 13, frame.shape), 0, 255).astype(np.uint8) for frame in first]
    return [first, noisy]


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_two_streams_through_one_engine_give_the_frames_each_gives_alone(style_dir, device):
    """The stabilizer's last frame, the person mask's last probabilities and (on CUDA) the pinned buffers of the
    frames in flight belong to each stream: two interleaved videos, each with two frames in flight, come out as
    each does alone."""
    engine = StyleEngine(StyleRegistry(style_dir), torch.device(device), "lite", precision="fp32")
    look = Look("cool", stabilize=0.8, stylize="person")
    videos = two_videos()

    def alone(video: list[np.ndarray]) -> list[np.ndarray]:
        stream = engine.new_stream()
        return [engine.process(frame, look, stream) for frame in video]

    expected = [alone(video) for video in videos]
    streams, together, in_flight = [engine.new_stream(), engine.new_stream()], [[], []], []
    for frames in zip(*videos):
        for which, frame in enumerate(frames):
            in_flight.append((which, engine.submit(frame, look, streams[which])))
        while len(in_flight) > 2:  # each stream's frame before last is delivered: two in flight each
            which, pending = in_flight.pop(0)
            together[which].append(pending.wait())
    for which, pending in in_flight:
        together[which].append(pending.wait())
    for got, want in zip(together, expected):
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
    shared = engine.new_stream()  # one memory for both: each video keeps strokes and mask of the other
    mixed = [engine.process(frame, look, shared) for frames in zip(*videos) for frame in frames]
    assert not all(np.array_equal(a, b) for a, b in zip(mixed, [f for pair in zip(*expected) for f in pair]))
