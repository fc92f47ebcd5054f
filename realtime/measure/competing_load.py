"""Other work on the same machine, for `bench --load N`: N processes that each keep every core busy
with torch matrix products, the way a second torch program would. A show machine often runs
something else too; the pipeline should then lose about the share of the cores taken, no more."""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from realtime.errors import UserError

BUSY_SCRIPT = """
import torch
x = torch.randn(512, 512)
x = (x @ x).tanh_()
print("busy", flush=True)
while True:
    x = (x @ x).tanh_()
"""
READY_SECONDS = 120.0  # how long a competing process may take to start computing (loading torch, mostly)


@contextmanager
def competing_processes(count: int) -> Iterator[None]:
    """Start `count` busy processes, wait until each computes, stop them all on the way out."""
    # Another program: OpenMP's own defaults, not the ones this package chose for itself.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OMP_", "GOMP_", "KMP_"))}
    processes = [subprocess.Popen([sys.executable, "-c", BUSY_SCRIPT], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env) for _ in range(count)]
    try:
        deadline = time.monotonic() + READY_SECONDS
        for process in processes:
            wait_until_busy(process, deadline)
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait()
            process.stdout.close()


def wait_until_busy(process: subprocess.Popen, deadline: float) -> None:
    """Until `process` says it computes; UserError when it ends first or is not there by `deadline`
    (a hung helper must not hang the bench)."""
    ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
    if not ready:
        raise UserError(f"a competing process for --load did not start computing in {READY_SECONDS:.0f} s; "
                        "run the bench with a smaller --load, or on a less busy machine")
    if process.stdout.readline().strip() != "busy":
        try:
            code = process.wait(timeout=5)  # it closed its output: it is ending
        except subprocess.TimeoutExpired:
            code = None
        raise UserError(f"a competing process for --load failed to start (exit code {code}); "
                        "check that torch imports: python -c 'import torch'")
