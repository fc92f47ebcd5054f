"""Packaging: a plain (non-editable) install runs on the styles and shaders it ships."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT, decode


def site_folders() -> list[str]:
    """Where this interpreter's packages (torch and the rest) are installed. A venv made from
    sys.executable with --system-site-packages would see its base interpreter's instead, which inside a
    virtualenv has none of them; these folders, listed in a .pth file of the new venv, come after its
    own site-packages, so its wheel wins, and their .pth files (this checkout's editable install) do not run."""
    folders = [*site.getsitepackages(), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [folder for folder in dict.fromkeys(folders) if Path(folder).is_dir()]


@pytest.mark.slow
def test_a_plain_install_finds_its_styles_and_shaders(tmp_path):
    """A non-editable install (a built wheel in a fresh venv) runs from another folder on its own package data."""
    from realtime.assets import SHADERS, SHIPPED_CHECKPOINTS
    from realtime.styles.registry import StyleRegistry

    # Build from a copy: an in-tree build leaves build/ and a changed egg-info in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "realtime", source / "realtime", ignore=shutil.ignore_patterns("__pycache__"))
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "REALTIME_CHECKPOINTS", "REALTIME_SHADERS")}

    def run(*command: str) -> subprocess.CompletedProcess:
        result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
        return result

    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "wheels", str(source))
    (wheel,) = (tmp_path / "wheels").glob("realtime-*.whl")
    run(sys.executable, "-m", "venv", "venv")
    python, realtime = tmp_path / "venv" / "bin" / "python", tmp_path / "venv" / "bin" / "realtime"
    venv_site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    (venv_site / "running_environment.pth").write_text("".join(f"{folder}\n" for folder in site_folders()))
    run(str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel))

    installed = run(str(python), "-c", "import realtime.assets as a; print(a.PACKAGE)").stdout.strip()
    assert Path(installed).is_relative_to(tmp_path / "venv"), installed
    shipped = run(str(python), "-c", "import realtime.assets as a; print(*sorted(p.name for p in a.SHIPPED_CHECKPOINTS.iterdir()));"
                  "print(*sorted(p.name for p in a.SHADERS.iterdir()))").stdout.splitlines()
    packaged = sorted(p.name for pattern in ("*.pt", "*.md") for p in SHIPPED_CHECKPOINTS.glob(pattern))
    assert shipped == [" ".join(packaged), " ".join(sorted(p.name for p in SHADERS.iterdir()))]

    listed = run(str(realtime), "--list-styles").stdout.splitlines()
    assert [line.split()[0] for line in listed] == StyleRegistry(SHIPPED_CHECKPOINTS).names()
    run(str(realtime), "--demo", "--no-display", "--output", "demo.mp4", "--max-frames", "10")
    assert len(decode(tmp_path / "demo.mp4")["frames"]) == 10  # without a window the demo waits for the engine
