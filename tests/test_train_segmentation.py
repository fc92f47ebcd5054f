"""Fine-tuning the person segmenter (`realtime train segmentation`) and running what it saves
(`--segmenter PATH`): the loss goes down, the checkpoint says how it was made, runs resume,
a saved segmenter drives the live window and file mode, and bad data is one line."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import decode, run_cli, shared_data

from realtime.engine.person_mask import GENERAL
from realtime.errors import UserError
from realtime.model.segmentation_net import load_segmenter
from realtime.portraits import portrait_pairs, read_portrait
from realtime.segmentation_augment import Augmentation, augmented
from realtime.settings import SegmentationTrainConfig
from realtime.train_segmentation import keep_loss, optimizer_for, sample_batch, segmentation_loss

TINY_SET = 6  # pairs: five to learn from, one held out


def tiny_portraits(folder: Path, count: int = TINY_SET) -> Path:
    """The first shared training portraits, linked into images/ and masks/ of a new folder."""
    source = shared_data("portraits_train")
    for image, mask in portrait_pairs(source)[:count]:
        for kind, path in (("images", image), ("masks", mask)):
            (folder / kind).mkdir(parents=True, exist_ok=True)
            (folder / kind / path.name).symlink_to(path)
    return folder


def test_a_few_steps_of_fine_tuning_lower_the_loss(tmp_path):
    torch.manual_seed(0)
    data = tiny_portraits(tmp_path / "tiny", 4)
    portraits = [read_portrait(image, mask, 400) for image, mask in portrait_pairs(data)]
    net = load_segmenter(GENERAL)
    config = SegmentationTrainConfig(data=data, frozen_epochs=0, learning_rate=1e-3)
    unchanged = Augmentation(background_probability=0, zoom=(1, 1), shift=0, tilt_degrees=0, brightness=0,
                             contrast=(1, 1), saturation=(1, 1), hue_degrees=0, blur_probability=0, noise_probability=0)
    pictures, masks = zip(*(augmented(p, net.input_size, unchanged, np.random.default_rng(0), []) for p in portraits))
    rgb = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2).contiguous()
    target = torch.from_numpy(np.stack(masks)).unsqueeze(1)

    def loss() -> float:
        with torch.no_grad():
            return segmentation_loss(net.logits(rgb), target, config.dice_weight).item()

    before = loss()
    optimizer = optimizer_for(net, 0, config)
    rng = np.random.default_rng(1)
    for _ in range(8):
        batch_rgb, batch_target = sample_batch(portraits, list(range(len(portraits))), net.input_size, rng, [],
                                               torch.device("cpu"))
        optimizer.zero_grad()
        segmentation_loss(net.logits(batch_rgb), batch_target, config.dice_weight).backward()
        optimizer.step()
    assert loss() < 0.9 * before


def test_the_frozen_stage_leaves_the_encoder_as_it_was(tmp_path):
    net = load_segmenter(GENERAL)
    config = SegmentationTrainConfig(data=tmp_path, frozen_epochs=1, epochs=2)
    frozen = optimizer_for(net, 0, config)
    assert all(not p.requires_grad for p in net.encoder_parameters())
    assert len(frozen.param_groups) == 1
    everything = optimizer_for(net, 1, config)
    encoder_group = everything.param_groups[1]
    assert encoder_group["lr"] == pytest.approx(config.learning_rate * config.encoder_lr_scale)
    assert all(p.requires_grad for p in net.parameters())


def test_the_keep_loss_pulls_only_where_the_network_left_its_start():
    """--keep-weight: no pull while the network still gives the starting one's masks, a pull once it drifts."""
    torch.manual_seed(0)
    teacher = load_segmenter(GENERAL).eval()
    rgb = torch.rand(2, 3, *teacher.input_size)
    with torch.no_grad():
        start = teacher.logits(rgb) / 100  # MediaPipe's logits saturate the sigmoid; scaled, the pull is measurable

    def pull(logits: torch.Tensor) -> float:
        logits = logits.clone().requires_grad_(True)
        keep_loss(logits, lambda x: torch.sigmoid(start), rgb).backward()
        return logits.grad.abs().sum().item()

    drifted = pull(start + torch.randn_like(start))
    assert drifted > 0.05
    assert pull(start) < 1e-4 * drifted
    assert keep_loss(start, None, rgb).item() == 0


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A segmenter fine-tuned for two short epochs by the command line."""
    folder = tmp_path_factory.mktemp("segmentation")
    data = tiny_portraits(folder / "data")
    result = run_cli("train", "segmentation", "--data", str(data), "--epochs", "2", "--frozen-epochs", "1",
                     "--batch-size", "5", "--run-dir", str(folder / "run"))
    assert result.returncode == 0, result.stderr
    assert f"saved {folder / 'run' / 'segmenter.pt'}" in result.stdout
    return folder / "run" / "segmenter.pt"


def test_the_checkpoint_records_its_data_settings_and_scores(trained):
    payload = torch.load(trained, weights_only=True)
    training = payload["training"]
    assert training["pairs"] == TINY_SET and training["validation_pairs"] == 1
    assert training["settings"]["epochs"] == 2 and training["settings"]["frozen_epochs"] == 1
    assert [entry["epoch"] for entry in training["history"]] == [1, 2]
    assert 0 < training["best"]["iou"] <= 1 and 0 < training["before"]["iou"] <= 1
    assert "fine-tuned" in payload["license"] and "Apache" in payload["license"]
    assert tuple(load_segmenter(trained).input_size) == (256, 256)


def test_a_run_resumes_where_it_stopped(trained):
    run_dir = trained.parent
    result = run_cli("train", "segmentation", "--data", str(run_dir.parent / "data"), "--epochs", "3",
                     "--frozen-epochs", "1", "--batch-size", "5", "--run-dir", str(run_dir), "--resume",
                     "--output", str(run_dir / "resumed.pt"))
    assert result.returncode == 0, result.stderr
    state = torch.load(run_dir / "state.pt", weights_only=False)
    assert [entry["epoch"] for entry in state["history"]] == [1, 2, 3]  # epochs 1 and 2 were not run again


def everyone(trained: Path, folder: Path) -> Path:
    """The trained segmenter with its last bias raised so far that every pixel is a person."""
    payload = torch.load(trained, weights_only=True)
    last_bias = [key for key in payload["state_dict"] if key.endswith("bias")][-1]
    payload["state_dict"][last_bias] += 1000.0
    torch.save(payload, folder / "everyone.pt")
    return folder / "everyone.pt"


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="the live window needs a DISPLAY (xvfb-run)")
def test_a_saved_segmenter_runs_live(trained, still_clip, style_dir, tmp_path):
    """In the window, stylizing only the person: the stock segmenter finds no one in the test pattern; a
    segmenter that sees a person everywhere gets the whole frame stylized, so it is the one that ran."""
    recordings = {}
    for name, segmenter in (("stock", "mediapipe"), ("everyone", str(everyone(trained, tmp_path)))):
        out = tmp_path / f"{name}.mp4"
        result = run_cli("--input", str(still_clip), "--style", "warm", "--stylize", "person", "--segmenter", segmenter,
                         "--max-frames", "12", "--output", str(out), checkpoints=style_dir)
        assert result.returncode == 0, result.stderr
        recordings[name] = decode(out)["frames"][-1].astype(int)
    source = decode(still_clip)["frames"][0].astype(int)
    assert np.abs(recordings["stock"] - source).mean() < 4  # no person: nothing stylized
    assert np.abs(recordings["everyone"] - source).mean() > 4 * max(1, np.abs(recordings["stock"] - source).mean())


def test_a_saved_segmenter_runs_on_a_file_and_in_the_config(trained, style_dir, tmp_path):
    image = next(iter(portrait_pairs(shared_data("portraits"))))[0]
    config = tmp_path / "show.toml"
    config.write_text(f'segmenter = "{trained}"\nstylize = "person"\n')
    out = tmp_path / "person.png"
    result = run_cli("--input", str(image), "--style", "warm", "--config", str(config), "--output", str(out),
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert cv2.imread(str(out)).shape == cv2.imread(str(image)).shape


def write_pairs(folder: Path, count: int, mask_size: tuple[int, int] = (40, 30)) -> Path:
    for index in range(count):
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / "masks").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / "images" / f"p{index}.jpg"), np.full((30, 40, 3), 120, np.uint8))
        mask = np.zeros(mask_size[::-1], np.uint8)
        mask[5:20, 10:30] = 255
        cv2.imwrite(str(folder / "masks" / f"p{index}.png"), mask)
    return folder


@pytest.mark.parametrize("damage, fragment", [
    ("no pairs", "no pictures in"),
    ("mask of another size", "a mask must have its picture's size"),
    ("unreadable picture", "p0.jpg"),
    ("missing mask", "have no mask"),
    ("no folder", "data folder not found"),
])
def test_bad_data_is_one_line(tmp_path, damage, fragment):
    data = write_pairs(tmp_path / "data", 0 if damage == "no pairs" else 3,
                       (50, 30) if damage == "mask of another size" else (40, 30))
    if damage == "no pairs":
        (data / "images").mkdir(parents=True)
        (data / "masks").mkdir()
    if damage == "unreadable picture":
        (data / "images" / "p0.jpg").write_bytes(b"not a picture")
    if damage == "missing mask":
        (data / "masks" / "p1.png").unlink()
    if damage == "no folder":
        data = tmp_path / "nowhere"
    result = run_cli("train", "segmentation", "--data", str(data), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], result.stderr


@pytest.mark.parametrize("segmenter, fragment", [
    ("no_such.pt", "no such file"),
    ("picture.png", "not a segmenter checkpoint"),
])
def test_a_bad_segmenter_is_one_line(tmp_path, style_dir, segmenter, fragment):
    cv2.imwrite(str(tmp_path / "picture.png"), np.zeros((8, 8, 3), np.uint8))
    result = run_cli("--input", str(tmp_path / "picture.png"), "--style", "warm", "--segmenter",
                     str(tmp_path / segmenter), "--output", str(tmp_path / "out.png"), checkpoints=style_dir)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr, result.stderr


def test_a_style_checkpoint_is_not_a_segmenter(style_dir):
    with pytest.raises(UserError, match="not a segmenter's"):
        load_segmenter(next(style_dir.glob("*.pt")))
