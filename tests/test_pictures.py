"""The pictures and files the user names (#24): a picture cut short, a folder, a device or a pipe where a
file goes, a style picture too thin to read, and files that are no kind of style. Each is refused in
one line that names the file and says what to do, with exit 2 and nothing written; whole pictures of
every format still read. Runs in-process under capfd, which also sees what the C decoders print to fd 2."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import onnx
import pytest
from conftest import PICTURE_ROLES, picture_argv, real_photo, special_file

from realtime.cli import main
from realtime.errors import UserError
from realtime.io.user_files import read_bgr

CUT_FORMATS = (".jpg", ".png", ".webp")


def refused(argv: list[str], capfd) -> str:
    """Run the command line; assert it exits 2 with one line; return that line."""
    capfd.readouterr()
    code = main(argv)
    err = capfd.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), f"exit {code}:\n{err}"
    return lines[0]


@pytest.fixture()
def photo(tmp_path) -> Path:
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), real_photo())
    return path


def cut_picture(path: Path, fraction: float) -> Path:
    """The real photo encoded under `path`'s suffix, then only the first `fraction` of its bytes kept."""
    data = cv2.imencode(path.suffix, real_photo(320, 240))[1].tobytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


@pytest.mark.parametrize("extension", CUT_FORMATS)
@pytest.mark.parametrize("role", PICTURE_ROLES)
def test_a_picture_cut_short_is_refused_wherever_a_picture_goes(role, extension, photo, style_dir, tmp_path, capfd):
    picture = cut_picture(tmp_path / f"cut{extension}", 0.5)
    output = tmp_path / "out.png"
    line = refused(picture_argv(role, picture, photo, style_dir / "warm.lite.pt", output), capfd)
    assert str(picture) in line and "damaged or cut short" in line and "re-save or re-download" in line
    assert not output.exists()


@pytest.mark.parametrize("extension", CUT_FORMATS)
def test_every_cut_is_caught_and_whole_pictures_still_read(extension, tmp_path):
    whole = cut_picture(tmp_path / f"whole{extension}", 1.0)
    assert read_bgr(whole).shape == (240, 320, 3)
    size = whole.stat().st_size
    # From a 5000-byte head (the issue's) to a file missing only its last bytes.
    for kept in sorted({min(5000, size // 2), size // 3, size * 9 // 10, size - 2}):
        cut = tmp_path / f"cut{kept}{extension}"
        cut.write_bytes(whole.read_bytes()[:kept])
        with pytest.raises(UserError, match="damaged or cut short|cannot decode"):
            read_bgr(cut)


@pytest.mark.parametrize("extension, depth, channels", [
    (".jpg", 8, 1), (".png", 8, 4), (".png", 16, 3), (".webp", 8, 3), (".bmp", 8, 3), (".tiff", 16, 1),
    (".tiff", 8, 4),
])
def test_whole_pictures_of_every_kind_are_not_taken_for_damaged(extension, depth, channels, tmp_path):
    image = real_photo(64, 48).astype(np.uint16) * 257 if depth == 16 else real_photo(64, 48)
    image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if channels == 1 else image
    image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA) if channels == 4 else image
    path = tmp_path / f"whole{extension}"
    assert cv2.imwrite(str(path), image)
    np.testing.assert_array_equal(read_bgr(path), cv2.imread(str(path), cv2.IMREAD_COLOR))


@pytest.mark.parametrize("kind, says", [("folder", "is a folder"), ("pipe", "not a regular file"),
                                        ("devnull", "not a regular file")])
@pytest.mark.parametrize("role", PICTURE_ROLES)
def test_a_folder_device_or_pipe_where_a_file_goes(role, kind, says, photo, style_dir, tmp_path, capfd):
    # A named pipe is never opened (that would wait for a writer forever): this test would hang.
    special = special_file(kind, tmp_path / ("pipe.jpg" if kind == "pipe" else "pictures"))
    line = refused(picture_argv(role, special, photo, style_dir / "warm.lite.pt", tmp_path / "out.png"), capfd)
    assert str(special) in line and says in line, line
    if role == "style" and kind == "folder":
        assert f"--style-dir {special}" in line


@pytest.mark.parametrize("width, height, model", [(20000, 20, "magenta"), (20, 20000, "adain"), (16, 16, "magenta"),
                                                  (1024, 32, "adain")])
def test_a_style_picture_too_thin_or_small_says_the_minimum(width, height, model, photo, style_dir, tmp_path, capfd):
    picture = tmp_path / "strip.png"
    cv2.imwrite(str(picture), cv2.resize(real_photo(), (width, height), interpolation=cv2.INTER_AREA))
    line = refused(["--input", str(photo), "--style", str(picture), "--picture-model", model,
                    "--output", str(tmp_path / "out.png")], capfd)
    assert f"{picture} is {width}x{height}" in line and "at least 17 pixels" in line and "at most 30 times" in line
    paint = picture_argv("paint-style", picture, photo, style_dir / "warm.lite.pt", tmp_path / "painted.png")
    assert refused(paint, capfd) == line


def test_the_thinnest_style_picture_allowed_works(photo, tmp_path):
    picture, output = tmp_path / "strip.png", tmp_path / "out.png"
    cv2.imwrite(str(picture), cv2.resize(real_photo(), (510, 17), interpolation=cv2.INTER_AREA))  # 30:1, 17 tall
    assert main(["--input", str(photo), "--style", str(picture), "--output", str(output)]) == 0
    assert cv2.imread(str(output)).shape == cv2.imread(str(photo)).shape


def test_a_photo_too_thin_to_paint_at_its_size_names_the_size_that_works(photo, tmp_path, capfd):
    strip, painted = tmp_path / "strip.png", tmp_path / "painted.png"
    cv2.imwrite(str(strip), cv2.resize(real_photo(), (2000, 20), interpolation=cv2.INTER_AREA))
    argv = picture_argv("paint-content", strip, photo, photo, painted)
    line = refused(argv, capfd)
    assert "too thin to paint at --size 32" in line and "use --size 1700 or more" in line
    # picture_argv ends with --size N: the size the message names works.
    assert main(argv[:-1] + ["1700"]) == 0 and cv2.imread(str(painted)).shape == (17, 1700, 3)


def not_a_style(kind: str, folder: Path, clip: Path) -> Path:
    """Real files of kinds a user might pass as --style by mistake."""
    if kind == "toml":
        path = folder / "show.toml"
        path.write_text('style = "warm"\nno-display = true\n')
    elif kind == "webm":
        path = folder / "clip.webm"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libvpx-vp9", rate=Fraction(10))
            stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
            container.mux(stream.encode(av.VideoFrame.from_ndarray(real_photo(32, 24), format="bgr24")))
            container.mux(stream.encode(None))
    elif kind == "cut-mp4":
        path = folder / "clip.mp4"
        path.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    else:
        path = folder / "style.onnx"
        identity = onnx.helper.make_node("Identity", ["frame"], ["styled"])
        tensor = onnx.helper.make_tensor_value_info("frame", onnx.TensorProto.FLOAT, [1, 3, 8, 8])
        styled = onnx.helper.make_tensor_value_info("styled", onnx.TensorProto.FLOAT, [1, 3, 8, 8])
        onnx.save(onnx.helper.make_model(onnx.helper.make_graph([identity], "style", [tensor], [styled])), path)
    return path


@pytest.mark.parametrize("kind", ["toml", "webm", "cut-mp4", "onnx"])
def test_a_file_that_is_no_kind_of_style_says_what_style_takes(kind, photo, clip, tmp_path, capfd):
    style = not_a_style(kind, tmp_path, clip)
    line = refused(["--input", str(photo), "--style", str(style), "--output", str(tmp_path / "out.png")], capfd)
    assert str(style) in line and "is not a style" in line
    assert all(fragment in line for fragment in ("bundled style name", ".pt", ".ts", ".jpg"))
