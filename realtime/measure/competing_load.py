"""Other work on the same machine, for `bench --load N`: N processes that each keep every core busy
with torch matrix products, the way a second torch program would. A show machine often runs
something else too; the pipeline should then lose about the share of the cores taken, no more."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

BUSY_SCRIPT = """
import torch
x = torch.randn(512, 512)
x = (x @ x).tanh_()
print("busy", flush=True)
while True:
    x = (x @ x).tanh_()
"""
READY_SECONDS = 120.0


@contextmanager
def competing_processes(count: int) -> Iterator[None]:
    """Start `count` busy processes, wait until each computes, stop them all on the way out."""
    # Another program: OpenMP's own defaults, not the ones this package chose for itself.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OMP_", "GOMP_", "KMP_"))}
    processes = [subprocess.Popen([sys.executable, "-c", BUSY_SCRIPT], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env) for _ in range(count)]
    try:
        for process in processes:
            if process.stdout.readline().strip() != "busy":
                raise RuntimeError("a competing process for --load did not start")
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()
            process.stdout.close()
