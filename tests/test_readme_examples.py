"""Every Python example in the README runs as written, each in a fresh interpreter, in a folder with the
files it names (photo.jpg, painting.jpg, clip.mp4)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction

import cv2
import pytest
from conftest import ROOT, real_photo, write_clip

EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


def test_the_readme_has_python_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_a_readme_python_example_runs(index, tmp_path):
    cv2.imwrite(str(tmp_path / "photo.jpg"), real_photo(192, 144))
    cv2.imwrite(str(tmp_path / "painting.jpg"), cv2.applyColorMap(real_photo(128, 96), cv2.COLORMAP_JET))
    write_clip(tmp_path / "clip.mp4", 4, 160, 96, Fraction(25))
    before = set(tmp_path.iterdir())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", EXAMPLES[index]], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{EXAMPLES[index]}\n{result.stderr}"
    assert set(tmp_path.iterdir()) - before or result.stdout, "the example wrote nothing and printed nothing"
