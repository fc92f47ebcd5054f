"""Process tuning is one explicit call (realtime/tuning.py): importing the package or building an engine
changes no environment variable, allocator setting or thread count; the command line tunes before torch loads."""
from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest
from conftest import ROOT


def run_python(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT,
                            env=env or dict(os.environ), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


IMPORT_AND_BUILD = """
import ctypes, os, sys
mallopt_calls = []

class Libraries(ctypes.CDLL):  # sees glibc's mallopt being looked up, as tune_for_realtime() does
    def __getattr__(self, name):
        mallopt_calls.extend([name] if name == "mallopt" else [])
        return super().__getattr__(name)

ctypes.CDLL = Libraries
before = dict(os.environ)
import realtime
print(dict(os.environ) == before, "torch" not in sys.modules)
import cv2, torch  # OpenCV's import sets LD_LIBRARY_PATH: not ours to judge
before, threads = dict(os.environ), (torch.get_num_threads(), cv2.getNumThreads())
stylizer = realtime.Stylizer("warm", device="cpu", checkpoints=sys.argv[1], stylize="person")
list(stylizer.stream([torch.zeros(64, 96, 3, dtype=torch.uint8).numpy()] * 2))
print(dict(os.environ) == before, (torch.get_num_threads(), cv2.getNumThreads()) == threads, not mallopt_calls)
"""


def test_importing_the_package_and_running_a_stylizer_changes_nothing_in_the_process(style_dir):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OMP_", "GOMP_"))}
    # the import sets no environment variable and loads no torch; a Stylizer sets none, takes over no thread count
    # and leaves glibc's allocator settings alone
    assert run_python(IMPORT_AND_BUILD, str(style_dir), env=env).split() == ["True"] * 5


@pytest.mark.parametrize("given, expected", [({}, "100000"), ({"OMP_WAIT_POLICY": "PASSIVE"}, "unset"),
                                             ({"GOMP_SPINCOUNT": "0"}, "0")])
def test_idle_openmp_threads_spin_a_moment_once_tuned_unless_the_user_says_otherwise(given, expected):
    """Waking sleeping threads for every small operation costs 40 % of the frame rate (docs/benchmarks.md)."""
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    script = "import realtime, os; realtime.tune_for_realtime(); print(os.environ.get('GOMP_SPINCOUNT', 'unset'))"
    assert run_python(script, env={**env, **given}) == expected


CLI_TUNES_FIRST = """
import os, sys
from realtime import cli
summary, arguments, _ = cli.COMMANDS["run"]
cli.COMMANDS["run"] = (summary, arguments, lambda args: print(os.environ.get("GOMP_SPINCOUNT"), "torch" in sys.modules))
cli.main(["run", "--demo"])
"""


def test_the_command_line_tunes_the_process_before_torch_is_imported():
    env = {key: value for key, value in os.environ.items() if key not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    assert run_python(CLI_TUNES_FIRST, env=env) == "100000 False"


OPEN_A_VIDEO = """
import os, sys
from realtime.io.capture import open_video
open_video(sys.argv[1]).release()
print(os.environ.get("OPENCV_FFMPEG_LOGLEVEL"), os.environ.get("OPENCV_LOG_LEVEL"))
import realtime
realtime.tune_for_realtime()
print(os.environ.get("OPENCV_FFMPEG_LOGLEVEL"))
"""


def test_opening_a_video_leaves_opencvs_logging_alone_until_the_process_is_tuned(clip):
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENCV_")}
    assert run_python(OPEN_A_VIDEO, str(clip), env=env).split() == ["None", "None", "-8"]


FRAME_LIKE_ALLOCATIONS = """
import resource
import realtime
realtime.tune_for_realtime()
import torch

def frame():  # six 1280x720 float pictures alive at once, then freed, as a frame's composite makes them
    pictures = [torch.ones(1, 3, 720, 1280) for _ in range(6)]
    return sum(float(picture.sum()) for picture in pictures)

frame()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    frame()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's thresholds (tuning.py)")
def test_a_tuned_process_reuses_freed_pictures_instead_of_faulting_in_fresh_pages():
    """glibc's defaults hand a frame's big buffers back to the kernel: about 16,000 page faults a frame in this
    pattern (six 11 MB pictures). Tuned, freed buffers are reused: fewer faults than one picture has pages."""
    env = {name: value for name, value in os.environ.items() if name not in ("LD_PRELOAD", "MALLOC_TRIM_THRESHOLD_",
                                                                                "MALLOC_MMAP_THRESHOLD_")}
    faults_per_frame = int(run_python(FRAME_LIKE_ALLOCATIONS, env=env).split()[-1])
    assert faults_per_frame < 3 * 720 * 1280 * 4 // 4096, faults_per_frame
