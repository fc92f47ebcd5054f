"""The hand-over points between threads: LatestMailbox (live: newest wins, drops counted) and
OrderedQueue (files: bounded FIFO, the producer waits). Threads here wait on conditions and
events, never on fixed sleeps: a busy 2-core machine only makes them slower, never wrong."""
from __future__ import annotations

import threading

import pytest

from realtime.mailbox import LatestMailbox, OrderedQueue

SHORT = 0.2  # how long a check that something does NOT happen gives it: a slow machine only weakens it
LONG = 30  # how long to wait for something that must happen


class Worker(threading.Thread):
    """Runs `target` once on a daemon thread and keeps its result (or exception)."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.target, self.result, self.error = target, None, None
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            self.result = self.target()
        except BaseException as exc:  # noqa: BLE001 (re-raised in the test by outcome())
            self.error = exc
        finally:
            self.finished.set()

    def outcome(self):
        assert self.finished.wait(LONG), "the thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def drain(channel) -> list:
    items = []
    while (item := channel.get(timeout=0)) is not None:
        items.append(item)
    return items


def test_latest_replaces_an_unread_item_and_counts_it_dropped():
    mailbox = LatestMailbox()
    assert mailbox.put(1) and mailbox.put(2) and mailbox.put(3)
    assert mailbox.get(timeout=0) == 3
    assert mailbox.dropped == 2
    mailbox.put(4)  # the slot was empty: nothing replaced
    assert mailbox.get(timeout=0) == 4
    assert mailbox.dropped == 2
    assert mailbox.get(timeout=0) is None


@pytest.mark.parametrize("channel", [LatestMailbox, OrderedQueue])
def test_get_times_out_with_none(channel):
    box = channel()
    assert box.get(timeout=0.05) is None
    assert not box.closed  # a timeout is not the end


@pytest.mark.parametrize("channel", [LatestMailbox, OrderedQueue])
def test_close_delivers_what_is_in_then_none(channel):
    box = channel()
    box.put("last")
    box.close()
    assert box.get() == "last"  # no timeout: once closed, get never blocks
    assert box.get() is None
    assert box.get() is None


def test_close_of_an_ordered_queue_delivers_everything_in_order():
    queue = OrderedQueue(depth=3)
    for item in "abc":
        queue.put(item)
    queue.close()
    assert [queue.get(), queue.get(), queue.get(), queue.get()] == ["a", "b", "c", None]


@pytest.mark.parametrize("channel", [LatestMailbox, OrderedQueue])
def test_closed_only_once_drained(channel):
    box = channel()
    assert not box.closed  # empty but open
    box.put(1)
    box.close()
    assert not box.closed  # closed, but an item is still to be delivered
    assert box.get(timeout=0) == 1
    assert box.closed


def test_close_wakes_a_waiting_consumer():
    queue = OrderedQueue()
    consumer = Worker(lambda: queue.get())  # no timeout: only an item or close() ends it
    consumer.start()
    assert not consumer.finished.wait(SHORT)
    queue.close()
    assert consumer.outcome() is None


def test_ordered_queue_keeps_the_order():
    queue = OrderedQueue(depth=4)
    for item in range(4):
        assert queue.put(item)
    assert drain(queue) == [0, 1, 2, 3]
    assert queue.dropped == 0


def test_put_waits_while_full_until_a_consumer_gets():
    queue = OrderedQueue(depth=2)
    queue.put(1)
    queue.put(2)
    producer = Worker(lambda: queue.put(3))
    producer.start()
    assert not producer.finished.wait(SHORT), "put returned while the queue was full"
    assert queue.get(timeout=0) == 1  # makes room
    assert producer.outcome() is True
    assert drain(queue) == [2, 3]


def test_put_gives_up_when_the_stop_event_is_set_while_full():
    queue, stop = OrderedQueue(depth=1), threading.Event()
    queue.put("kept")
    producer = Worker(lambda: queue.put("never", stop))
    producer.start()
    assert not producer.finished.wait(SHORT), "put returned while the queue was full"
    stop.set()
    assert producer.outcome() is False
    assert drain(queue) == ["kept"]


def test_a_set_stop_event_does_not_refuse_room_that_is_there():
    queue, stop = OrderedQueue(depth=1), threading.Event()
    stop.set()
    assert queue.put("fits", stop) is True
    late = Worker(lambda: queue.put("full", stop))  # full and stopped: returns instead of waiting
    late.start()
    assert late.outcome() is False
    assert drain(queue) == ["fits"]


def test_try_put_on_a_full_queue_returns_false_and_changes_nothing():
    queue = OrderedQueue(depth=2)
    assert queue.try_put("a") and queue.try_put("b")
    assert queue.try_put("c") is False
    assert drain(queue) == ["a", "b"]
    assert queue.try_put("d") is True
    assert drain(queue) == ["d"]


def test_producers_and_a_consumer_lose_and_reorder_nothing():
    """Several producers fight over a small queue; each one's items arrive, all of them, in its order."""
    queue, stop = OrderedQueue(depth=3), threading.Event()
    producers_count, per_producer = 4, 3000
    received: list[tuple[int, int]] = []

    def produce(producer: int) -> int:
        for sequence in range(per_producer):
            if not queue.put((producer, sequence), stop):
                return sequence
        return per_producer

    def consume() -> None:
        while (item := queue.get(timeout=LONG)) is not None:
            received.append(item)

    producers = [Worker(lambda producer=producer: produce(producer)) for producer in range(producers_count)]
    consumer = Worker(consume)
    try:
        consumer.start()
        for producer in producers:
            producer.start()
        assert [producer.outcome() for producer in producers] == [per_producer] * producers_count
        queue.close()
        consumer.outcome()
    finally:
        stop.set()  # a failed consumer must not leave producers waiting forever
        queue.close()
    assert len(received) == producers_count * per_producer
    for producer in range(producers_count):
        assert [sequence for origin, sequence in received if origin == producer] == list(range(per_producer))
    assert queue.dropped == 0 and queue.closed


def test_latest_mailbox_under_load_delivers_newest_items_and_counts_every_drop():
    """A fast producer and a consumer: what arrives is increasing, and arrived + dropped == sent."""
    mailbox, sent = LatestMailbox(), 20000
    received: list[int] = []

    def consume() -> None:
        while (item := mailbox.get(timeout=LONG)) is not None:
            received.append(item)

    consumer = Worker(consume)
    consumer.start()
    for item in range(sent):
        mailbox.put(item)
    mailbox.close()
    consumer.outcome()
    assert received == sorted(set(received))
    assert received[-1] == sent - 1  # the newest item is never the one dropped
    assert len(received) + mailbox.dropped == sent
