"""How many CPU threads the engine's torch work should use, given what other programs take.

Alone on the machine, torch's threads should wait for the next operation by spinning a moment
(GNU OpenMP's GOMP_SPINCOUNT, set by realtime/tuning.py): a frame is hundreds of small
operations, and waking sleeping threads for each one cost 40 % of the frame rate on 2 cores.
Beside another busy program, spinning threads take the cores that the working ones wait for,
and the frame rate collapses. So the engine watches how much CPU time the rest of the machine
uses (Linux /proc/stat, less this process's own) and runs one thread fewer per core taken:
one thread beside a program that keeps one core busy has nobody to wait for. The thread counts are the
process's: an engine changes them only in a process tuned by tune_for_realtime() (realtime/tuning.py).
"""
from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import cv2
import torch

from realtime.tuning import is_tuned

PROC_STAT = Path("/proc/stat")
SAMPLE_SECONDS = 1.0  # how often the machine's load is read
SMOOTHING = 0.5  # weight of the newest reading: a busy spell of a second or two does not flip it
MARGIN = 0.6  # cores' worth past the current count before a core counts as taken, or as free again


def machine_cpu_seconds() -> tuple[float, float, int] | None:
    """(busy, total) CPU seconds since boot of the cores this process may run on, and their count, from
    /proc/stat; None where it is missing."""
    try:
        lines = PROC_STAT.read_text().splitlines()
    except OSError:
        return None
    ours = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    busy = total = 0
    cores = 0
    for line in lines:
        name, *values = line.split()
        if not (name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in ours):
            continue
        # user nice system idle iowait irq softirq steal (guest time is already counted in user)
        ticks = [int(value) for value in values[:8]]
        total += sum(ticks)
        busy += sum(ticks) - ticks[3] - ticks[4]
        cores += 1
    if cores == 0:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return busy / tick, total / tick, cores


class CpuShare:
    """Sets torch's thread count to the cores that other programs leave free, re-read every second."""

    def __init__(self, threads: int | None = None):
        self.max_threads = threads or torch.get_num_threads()  # torch's choice: physical cores
        self.threads = self.max_threads
        self.others = 0.0  # logical CPUs' worth of time that other programs take, smoothed
        self.taken = 0  # the whole CPUs counted as taken (with hysteresis)
        self._last: tuple[float, float, float] | None = None  # (busy, total, own) at the last reading
        self._next_reading = 0.0
        self._lock = threading.Lock()  # engines on two threads may update at once

    @classmethod
    def shared(cls) -> CpuShare | None:
        """The process's one instance (torch's threads are the process's); None where the count is not
        ours to change: the process was not tuned, the user set OMP_NUM_THREADS, one core, no /proc/stat.
        In a tuned process OpenCV's full-size passes then take as many threads as torch has."""
        global _shared
        if not is_tuned():
            return None
        with _shared_lock:
            if _shared is None:
                if "OMP_NUM_THREADS" in os.environ or torch.get_num_threads() < 2 or machine_cpu_seconds() is None:
                    cv2.setNumThreads(torch.get_num_threads())
                    return None
                _shared = cls()
            return _shared

    def update(self) -> int:
        """Called once a frame on the thread that runs the engine (torch's count is per thread);
        reads the machine at most once a SAMPLE_SECONDS. Returns the thread count."""
        with self._lock:
            now = time.monotonic()
            if now >= self._next_reading:
                self._next_reading = now + SAMPLE_SECONDS
                self._read_machine()
        if torch.get_num_threads() != self.threads:
            set_threads(self.threads)
        return self.threads

    def _read_machine(self) -> None:
        reading = machine_cpu_seconds()
        if reading is None:
            return
        busy, total, cores = reading
        own = time.process_time()
        if self._last is not None:
            last_busy, last_total, last_own = self._last
            elapsed = (total - last_total) / cores  # wall seconds, as the kernel counted them
            if elapsed > 0:
                others = max(0.0, (busy - last_busy) - (own - last_own)) / elapsed
                self.others += SMOOTHING * (others - self.others)
                self.taken = self._taken(self.others)
                self.threads = max(1, min(self.max_threads, cores - self.taken))
        self._last = (busy, total, own)

    def _taken(self, others: float) -> int:
        """Whole CPUs that other programs take, with hysteresis: the count moves once the load is
        MARGIN past it, so a load near a boundary does not switch the thread count every second."""
        if others >= self.taken + MARGIN:
            return math.floor(others + 1 - MARGIN)
        if others <= self.taken - MARGIN:
            return max(0, math.ceil(others - 1 + MARGIN))
        return self.taken

    def reset(self) -> None:
        """Full thread count on the calling thread, and forget what was measured (a benchmark's next row)."""
        with self._lock:
            self.threads, self.taken = self.max_threads, 0
            self.others, self._last, self._next_reading = 0.0, None, 0.0
        set_threads(self.max_threads)


def set_threads(count: int) -> None:
    """torch's threads on the calling thread, and OpenCV's pool (the engine's full-size passes on a CPU)."""
    torch.set_num_threads(count)
    cv2.setNumThreads(count)


_shared: CpuShare | None = None
_shared_lock = threading.Lock()
