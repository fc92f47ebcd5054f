"""The README and the docs say what is true: every Python example in the README and in docs/python-api.md runs
as written, each in a fresh interpreter, in a folder with the files it names (photo.jpg, painting.jpg,
clip.mp4); the README's test command is the one CI runs; every relative link in the README and the docs
points at a file that exists."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import pytest
from conftest import ROOT, real_photo, write_clip

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
README = (ROOT / "README.md").read_text()
PAGES_WITH_EXAMPLES = ("README.md", "docs/python-api.md")
# page -> its examples, each example once: the README's repeats the first of docs/python-api.md.
_FIRST_PAGE: dict[str, str] = {}
for _page in PAGES_WITH_EXAMPLES:
    for _example in PYTHON_BLOCK.findall((ROOT / _page).read_text()):
        _FIRST_PAGE.setdefault(_example, _page)
EXAMPLES = [(page, example) for example, page in _FIRST_PAGE.items()]
# Every Markdown page whose links are checked.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted(page for page in ROOT.glob("*/README.md") if not page.parent.name.startswith("."))]


def test_the_readme_and_the_python_api_page_have_python_examples():
    assert PYTHON_BLOCK.findall(README), "the README shows the Python API"
    assert len(PYTHON_BLOCK.findall((ROOT / "docs" / "python-api.md").read_text())) >= 6
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=[f"{page}-{n}" for n, (page, _) in enumerate(EXAMPLES)])
def test_a_python_example_runs(index, tmp_path):
    page, example = EXAMPLES[index]
    cv2.imwrite(str(tmp_path / "photo.jpg"), real_photo(192, 144))
    cv2.imwrite(str(tmp_path / "painting.jpg"), cv2.applyColorMap(real_photo(128, 96), cv2.COLORMAP_JET))
    write_clip(tmp_path / "clip.mp4", 4, 160, 96, Fraction(25))
    before = set(tmp_path.iterdir())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"{page}:\n{example}\n{result.stderr}"
    assert set(tmp_path.iterdir()) - before or result.stdout, "the example wrote nothing and printed nothing"


def readme_commands() -> list[str]:
    """The commands of the README's first code block, comments left out."""
    block = re.search(r"```bash\n(.*?)```", README, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_starts_with_the_two_commands():
    start, tests = readme_commands()
    assert README.index("```bash") < README.index("\n## "), "the two commands come before the first section"
    assert start.startswith("pip install torch==2.13.0 && pip install -e . && ")
    assert tests.endswith("python -m pytest -q")


def test_the_readmes_test_command_is_the_one_ci_runs():
    """.ci/run installs quietly (-q) and runs apt-get on its own lines; the rest is the README's command."""
    _, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    ci_command = ci[ci.index("# The README's test command:") + 1]
    apt, _, rest = tests.partition(" && pip install ")
    assert "pip install " + rest == ci_command.replace(" -q ", " ")
    ci_apt = next(line for line in ci if line.startswith("apt-get install")).partition(">")[0]
    packages = [[word for word in command.partition("apt-get install")[2].split() if not word.startswith("-")]
                for command in (apt, ci_apt)]
    assert packages[0] == packages[1] and "xvfb" in packages[0]

def test_the_readme_is_a_front_page():
    lines = README.splitlines()
    assert len(lines) < 150
    _, tests = readme_commands()
    assert [line for line in lines if len(line) > 200 and line != tests] == []


@pytest.mark.parametrize("page", PAGES, ids=[page.relative_to(ROOT).as_posix() for page in PAGES])
def test_every_relative_link_resolves(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)  # code is not a link
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    broken = [target for target in targets if not re.match(r"[a-z]+:", target)
              and not (page.parent / target.split("#")[0]).exists()]
    assert broken == []
