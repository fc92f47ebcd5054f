"""Packaging: the shipped styles, weights and shaders live at the checkout's top level (checkpoints/,
shaders/), go into the wheel inside the package, and are found three ways: from a bare checkout, an
editable install and a plain one. A user's training never writes into the installed package."""
from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import cv2
import pytest
from conftest import ROOT, decode, make_style

from realtime.assets import SHADERS, SHIPPED_CHECKPOINTS
from realtime.styles.registry import StyleRegistry

# The repository's files, under the names the wheel gives them.
SHIPPED = {**{f"realtime/checkpoints/{p.name}": p for pattern in ("*.pt", "*.md", "*.pack.json")
              for p in (ROOT / "checkpoints").glob(pattern)},
           **{f"realtime/shaders/{p.name}": p for p in (ROOT / "shaders").iterdir()},
           **{p.relative_to(ROOT).as_posix(): p for p in (ROOT / "realtime").rglob("*.py")}}


def site_folders() -> list[str]:
    """Where this interpreter's packages (torch and the rest) are installed. A venv made from
    sys.executable with --system-site-packages would see its base interpreter's instead, which inside a
    virtualenv has none of them; these folders, listed in a .pth file of the new venv, come after its
    own site-packages, so its wheel wins, and their .pth files (this checkout's editable install) do not run."""
    folders = [*site.getsitepackages(), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [folder for folder in dict.fromkeys(folders) if Path(folder).is_dir()]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that points the app at this checkout's files."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "REALTIME_CHECKPOINTS", "REALTIME_SHADERS", "XDG_DATA_HOME")}
    return {**env, **extra}


def run(*command: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert result.returncode == 0, f"{' '.join(map(str, command))}:\n{result.stdout}\n{result.stderr}"
    return result


def copy_source(folder: Path) -> Path:
    """The files a build reads: building in the checkout would leave build/ and a changed egg-info in it."""
    folder.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("realtime", "checkpoints", "shaders"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def make_venv(folder: Path) -> Path:
    """A fresh venv that sees this interpreter's packages but not this checkout; returns its python. Without
    pip of its own: this interpreter's pip and setuptools (new enough for an editable package-dir) install."""
    run(sys.executable, "-m", "venv", "--without-pip", folder, cwd=folder.parent, env=clean_env())
    python = folder / "bin" / "python"
    venv_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                         cwd=folder, env=clean_env()).stdout.strip())
    (venv_site / "running_environment.pth").write_text("".join(f"{folder}\n" for folder in site_folders()))
    return python


def found_files(python: Path | str, cwd: Path, env: dict[str, str]) -> list[str]:
    """Where that interpreter's realtime finds its package, shipped styles and shaders."""
    code = "import realtime.assets as a; print(a.PACKAGE); print(a.SHIPPED_CHECKPOINTS); print(a.SHADERS)"
    return run(python, "-c", code, cwd=cwd, env=env).stdout.splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    source = copy_source(folder / "source")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", "wheels", source,
        cwd=folder, env=clean_env())
    (built,) = (folder / "wheels").glob("realtime-*.whl")
    return built


def test_the_checkout_keeps_the_shipped_files_at_its_top_level():
    assert SHIPPED_CHECKPOINTS == ROOT / "checkpoints" and SHADERS == ROOT / "shaders"
    assert SHIPPED_CHECKPOINTS.is_dir() and SHADERS.is_dir()


def test_the_wheel_holds_every_module_style_weight_and_shader(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(set(SHIPPED) - set(names)) == []
    for wanted in ("realtime/checkpoints/NOTICE.md", "realtime/checkpoints/magenta_arbitrary.pt",
                   "realtime/checkpoints/selfie_segmentation.pt", "realtime/checkpoints/selfie_segmentation_landscape.pt",
                   "realtime/shaders/quad.vert", "realtime/shaders/frame.frag", "realtime/shaders/overlay.frag"):
        assert wanted in names


def test_a_bare_checkout_finds_its_files_and_the_users_styles(tmp_path):
    """`python run.py` without installing, from another folder: the checkout's top-level folders, and the
    user's styles first."""
    data_home = tmp_path / "data"
    make_style(data_home / "realtime" / "styles" / "mine.lite.pt", (3.0, 0.0, -3.0))
    env = clean_env(XDG_DATA_HOME=str(data_home), PYTHONPATH=str(ROOT))
    assert found_files(sys.executable, tmp_path, env) == [str(ROOT / "realtime"), str(ROOT / "checkpoints"), str(ROOT / "shaders")]
    listed = run(sys.executable, ROOT / "run.py", "--list-styles", cwd=tmp_path, env=clean_env(XDG_DATA_HOME=str(data_home)))
    homes = {line.split()[0]: line.split()[-1] for line in listed.stdout.splitlines()}
    assert homes.pop("mine") == str(data_home / "realtime" / "styles")
    assert sorted(homes) == StyleRegistry(SHIPPED_CHECKPOINTS).names()
    assert set(homes.values()) == {str(ROOT / "checkpoints")}


def test_an_editable_install_finds_the_checkouts_top_level_folders(tmp_path):
    source = copy_source(tmp_path / "source")
    python = make_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-e", source,
        cwd=tmp_path, env=clean_env())
    assert found_files(python, tmp_path, clean_env()) == [str(source / "realtime"), str(source / "checkpoints"),
                                                          str(source / "shaders")]


@pytest.mark.slow
def test_a_plain_install_finds_its_files_and_trains_outside_the_package(tmp_path, wheel):
    """A non-editable install (the built wheel in a fresh venv) runs from another folder on its own package
    data, and `realtime train` saves into the user's styles folder, not into site-packages."""
    python, realtime = make_venv(tmp_path / "venv"), tmp_path / "venv" / "bin" / "realtime"
    home = tmp_path / "home"
    env = clean_env(HOME=str(home))
    run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path, env=env)

    package, checkpoints, shaders = map(Path, found_files(python, tmp_path, env))
    assert package.is_relative_to(tmp_path / "venv"), package
    assert (checkpoints, shaders) == (package / "checkpoints", package / "shaders")
    assert sorted(p.name for p in checkpoints.iterdir()) == sorted(p.name for p in SHIPPED_CHECKPOINTS.iterdir())
    assert sorted(p.name for p in shaders.iterdir()) == sorted(p.name for p in SHADERS.iterdir())
    run(realtime, "--demo", "--no-display", "--output", "demo.mp4", "--max-frames", "10", cwd=tmp_path, env=env)
    assert len(decode(tmp_path / "demo.mp4")["frames"]) == 10  # without a window the demo waits for the engine

    from test_train import write_photos

    write_photos(tmp_path / "photos", 6, size=32)
    cv2.imwrite(str(tmp_path / "painting.png"), cv2.imread(str(tmp_path / "photos" / "photo_00.png")))
    def package_files() -> list[Path]:
        return sorted(p for p in package.rglob("*") if "__pycache__" not in p.parts)

    before = package_files()
    run(realtime, "train", "--style-image", tmp_path / "painting.png", "--name", "tiny", "--data", tmp_path / "photos",
        "--steps", "1", "--image-size", "32", "--style-size", "32", "--batch-size", "1", cwd=tmp_path, env=env)
    user_styles = home / ".local" / "share" / "realtime" / "styles"
    assert (user_styles / "tiny.magenta.pt").is_file()
    assert package_files() == before
    listed = run(realtime, "--list-styles", cwd=tmp_path, env=env).stdout.splitlines()
    homes = {line.split()[0]: line.split()[-1] for line in listed}
    assert homes.pop("tiny") == str(user_styles)
    assert sorted(homes) == StyleRegistry(SHIPPED_CHECKPOINTS).names() and set(homes.values()) == {str(checkpoints)}
