"""--background transparent: the stylized person with the mask as alpha, in pictures and videos, decoded back."""
from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from conftest import PORTRAIT, alpha_means, real_photo, run_cli, shared_data


def test_a_portrait_cut_out_to_png_has_the_mask_as_alpha(style_dir, tmp_path):
    output = tmp_path / "cut.png"
    result = run_cli("--input", str(shared_data(f"portraits/images/{PORTRAIT}.jpg")), "--style", "warm",
                     "--stylize", "person", "--background", "transparent", "--output", str(output), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    picture = cv2.imread(str(output), cv2.IMREAD_UNCHANGED)
    assert picture.shape[2] == 4
    person = cv2.imread(str(shared_data(f"portraits/masks/{PORTRAIT}.png")), cv2.IMREAD_GRAYSCALE) > 127
    background, on_person = alpha_means(picture[..., 3], person)
    print(f"PNG alpha: {background:.3f} on the background, {on_person:.3f} on the person")
    assert background < 0.1 and on_person > 0.85
    edge = (picture[..., 3] > 12) & (picture[..., 3] < 243)
    assert edge.sum() > 0.5 * np.sqrt(person.sum()), edge.sum()  # a soft edge around the person, not a hard cut


def decoded_alpha(path) -> list[np.ndarray]:
    """Every frame's alpha plane. FFmpeg's own VP9 decoder drops the alpha that WebM keeps beside the
    picture; libvpx's reads it."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoder = av.CodecContext.create("libvpx-vp9", "r") if path.suffix == ".webm" else stream.codec_context
        # demux() ends with an empty packet, which flushes the decoder.
        frames = [frame for packet in container.demux(stream) for frame in decoder.decode(packet)]
    return [frame.to_ndarray(format="bgra")[..., 3] for frame in frames]


@pytest.mark.parametrize("suffix", [".webm", ".mov"])
def test_a_cut_out_clip_keeps_alpha(suffix, portrait_clip, style_dir, tmp_path):
    clip, masks = portrait_clip
    output = tmp_path / f"cut{suffix}"
    result = run_cli("--input", str(clip), "--style", "warm", "--stylize", "person", "--background", "transparent",
                     "--no-display", "--output", str(output), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    alphas = decoded_alpha(output)
    assert len(alphas) == len(masks)
    means = np.array([alpha_means(alpha, mask) for alpha, mask in zip(alphas, masks)])
    print(f"{suffix} alpha: {means[:, 0].mean():.3f} on the background, {means[:, 1].mean():.3f} on the person")
    assert (means[:, 0] < 0.1).all() and (means[:, 1] > 0.85).all(), means


@pytest.mark.parametrize(("args", "says"), [
    (["--output", "{tmp}/cut.mp4"], ".mp4 video cannot keep the transparent background; use .webm"),
    (["--output", "{tmp}/cut.jpg"], "cut.jpg cannot keep the transparent background; use .png"),
    (["--virtual-camera"], "--virtual-camera cannot carry the transparent background"),
    (["--output", "{tmp}/cut.webm", "--codec", "av1"], "--codec av1 has no alpha"),
])
def test_outputs_that_cannot_carry_alpha_are_refused_before_any_work(args, says, portrait_clip, tmp_path):
    clip, _ = portrait_clip
    result = run_cli("--input", str(clip), "--background", "transparent", "--no-display",
                     *[arg.format(tmp=tmp_path) for arg in args])
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {says}") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list(tmp_path.iterdir())


def soft_disc(width: int, height: int) -> np.ndarray:
    """Alpha: opaque in the middle, a soft edge, transparent in the corners."""
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot(x - width / 2, y - height / 2) / (min(width, height) / 2)
    return (np.clip((1.0 - distance) * 4, 0, 1) * 255).round().astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_a_transparent_picture_keeps_its_alpha(suffix, style_dir, tmp_path):
    photo = real_photo(160, 120)
    alpha = soft_disc(160, 120)
    logo = tmp_path / "logo.png"
    cv2.imwrite(str(logo), np.dstack([photo, alpha]))
    output = tmp_path / f"styled{suffix}"
    result = run_cli("--input", str(logo), "--style", "warm", "--output", str(output), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    styled = cv2.imread(str(output), cv2.IMREAD_UNCHANGED)
    assert styled.shape == (120, 160, 4)
    assert np.abs(styled[..., 3].astype(int) - alpha).max() <= 1  # the input's alpha, soft edge and all
    opaque = alpha == 255
    assert np.abs(styled[..., :3][opaque].astype(int) - photo[opaque]).mean() > 20  # stylized where it shows


def test_the_python_api_hands_back_a_cut_out_as_rgba(style_dir):
    from PIL import Image

    from realtime.api import Stylizer

    portrait = cv2.imread(str(shared_data(f"portraits/images/{PORTRAIT}.jpg")))
    stylizer = Stylizer("warm", device="cpu", checkpoints=style_dir, stylize="person", background="transparent")
    rgba = stylizer.stylize(Image.fromarray(portrait[..., ::-1]))
    assert rgba.mode == "RGBA"
    bgra = stylizer.stylize(portrait)
    assert np.abs(np.asarray(rgba).astype(int) - bgra[..., [2, 1, 0, 3]]).max() <= 1  # the same, channels swapped
    person = cv2.imread(str(shared_data(f"portraits/masks/{PORTRAIT}.png")), cv2.IMREAD_GRAYSCALE) > 127
    background, on_person = alpha_means(bgra[..., 3], person)
    assert background < 0.1 and on_person > 0.85


def write_alpha_clip(path, photo: np.ndarray, alpha: np.ndarray, count: int) -> None:
    """A WebM of the photo panning under a still alpha (VP9 with its alpha plane), written with PyAV."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libvpx-vp9", rate=25)
        stream.width, stream.height, stream.pix_fmt = photo.shape[1], photo.shape[0], "yuva420p"
        for index in range(count):
            bgra = np.dstack([np.roll(photo, index * 4, axis=1), alpha])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(bgra, format="bgra")))
        container.mux(stream.encode(None))


@pytest.mark.parametrize("suffix", [".webm", ".mov"])
def test_a_video_with_alpha_keeps_it(suffix, style_dir, tmp_path):
    photo, alpha = real_photo(160, 96), soft_disc(160, 96)
    clip = tmp_path / "alpha.webm"
    write_alpha_clip(clip, photo, alpha, 8)
    assert np.abs(decoded_alpha(clip)[0].astype(int) - alpha).mean() < 2  # the input itself keeps it
    output = tmp_path / f"styled{suffix}"
    result = run_cli("--input", str(clip), "--style", "warm", "--no-display", "--output", str(output),
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    alphas = decoded_alpha(output)
    assert len(alphas) == 8
    assert max(np.abs(decoded.astype(int) - alpha).mean() for decoded in alphas) < 3
