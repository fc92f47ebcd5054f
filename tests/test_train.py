"""Training: a short real run with the ImageNet VGG-19 lowers the loss and produces a style the app loads by name."""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage
import torch
from conftest import run_cli

from realtime.assets import user_styles
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor
from realtime.model.vgg import CONTENT_LAYERS, STYLE_LAYERS, VGGEncoder
from realtime.styles.checkpoint import load_style
from realtime.styles.registry import StyleRegistry
from realtime.train import TrainConfig, train


def write_photos(folder: Path, count: int, size: int = 48) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        smooth = cv2.resize(rng.integers(0, 255, (6, 6, 3), dtype=np.uint8), (size, size), interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(str(folder / f"photo_{index:02d}.png"), smooth)


def test_loss_network_is_the_pretrained_vgg():
    """The installed weights are ImageNet features: a photo and its colour-inverted copy differ where random
    weights would not care, and relu1_1 responds to edges (a flat image gives the same response everywhere)."""
    encoder = VGGEncoder()
    flat = torch.full((1, 3, 64, 64), 0.5)
    features = encoder(flat, STYLE_LAYERS + CONTENT_LAYERS)
    assert set(features) == set(STYLE_LAYERS + CONTENT_LAYERS)
    relu1_1 = features["relu1_1"][..., 2:-2, 2:-2]
    assert torch.allclose(relu1_1, relu1_1[..., :1, :1].expand_as(relu1_1), atol=1e-4)
    assert features["relu4_1"].shape == (1, 512, 8, 8)
    # The first conv holds Caffe's BGR mean subtraction (about 104, 117, 124 on a 0-255 scale).
    first = encoder.layers[0]
    black = first(torch.zeros(1, 3, 1, 1)).flatten()
    assert torch.allclose(black, torch.tensor([-103.939, -116.779, -123.68]), atol=1.0)
    assert not any(p.requires_grad for p in encoder.parameters())


def test_short_training_lowers_the_loss_and_registers_the_style(tmp_path):
    write_photos(tmp_path / "photos", 10)
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, ::8] = (30, 200, 240)
    cv2.imwrite(str(tmp_path / "painting.png"), stripes)
    checkpoints = tmp_path / "checkpoints"
    path = train(TrainConfig(style_image=tmp_path / "painting.png", name="stripes", data=tmp_path / "photos", model="lite",
                             image_size=32, style_size=64, steps=40, steady_steps=0, batch_size=2, content_weight=1.0,
                             checkpoints=checkpoints,
                             run_dir=tmp_path / "run", preview_every=20, save_every=20,
                             painting={"title": "Stripes", "artist": "pytest", "year": "2026"}))
    assert path == checkpoints / "stripes.lite.pt"
    with open(tmp_path / "run" / "losses.csv") as log:
        rows = list(csv.DictReader(log))
    totals, style = [float(row["total"]) for row in rows], [float(row["style"]) for row in rows]
    assert len(totals) == 40
    assert np.mean(totals[-5:]) < 0.5 * np.mean(totals[:5])
    assert np.mean(style[-5:]) < 0.5 * np.mean(style[:5])  # the real VGG's Gram loss
    assert (tmp_path / "run" / "preview_000040.png").exists()
    assert StyleRegistry(checkpoints).names() == ["stripes"]
    _, meta = load_style(path)
    assert meta["painting"]["title"] == "Stripes" and meta["final_losses"]["total"] > 0


def test_train_resumes_from_its_saved_state(tmp_path):
    write_photos(tmp_path / "photos", 8)
    cv2.imwrite(str(tmp_path / "painting.png"), np.full((32, 32, 3), (0, 0, 255), np.uint8))
    common = dict(style_image=tmp_path / "painting.png", name="red", data=tmp_path / "photos", model="lite", image_size=32,
                  style_size=32, batch_size=2, checkpoints=tmp_path / "ck", run_dir=tmp_path / "run",
                  preview_every=10, save_every=10)
    train(TrainConfig(steps=10, **common))
    (tmp_path / "run" / "state.pt").rename(tmp_path / "saved.pt")
    train(TrainConfig(steps=20, resume=tmp_path / "saved.pt", **common))
    with open(tmp_path / "run" / "losses.csv") as log:
        steps = [int(row["step"]) for row in csv.DictReader(log)]
    assert steps == list(range(1, 21))
    train(TrainConfig(steps=25, resume=True, **common))  # the run directory's own state
    with open(tmp_path / "run" / "losses.csv") as log:
        assert [int(row["step"]) for row in csv.DictReader(log)][-6:] == list(range(20, 26))
    with pytest.raises(UserError, match="no saved training state"):
        train(TrainConfig(steps=30, resume=tmp_path / "missing.pt", **common))


def test_train_command_line(tmp_path):
    write_photos(tmp_path / "photos", 6)
    cv2.imwrite(str(tmp_path / "painting.png"), np.full((32, 32, 3), (255, 0, 0), np.uint8))
    result = run_cli("train", "--style-image", str(tmp_path / "painting.png"), "--name", "blue",
                     "--data", str(tmp_path / "photos"), "--steps", "3", "--image-size", "32", "--batch-size", "1",
                     "--checkpoints", str(tmp_path / "ck"), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ck" / "blue.magenta.pt").exists()  # the transfer path is the default


def first_logged_loss(run_dir: Path) -> float:
    with open(run_dir / "losses.csv") as log:
        return float(next(csv.DictReader(log))["total"])


def test_fine_tuning_starts_from_the_trained_style(tmp_path):
    write_photos(tmp_path / "photos", 8)
    cv2.imwrite(str(tmp_path / "painting.png"), np.full((32, 32, 3), (0, 200, 255), np.uint8))
    common = dict(style_image=tmp_path / "painting.png", data=tmp_path / "photos", image_size=32, style_size=32,
                  batch_size=2, content_weight=1.0, checkpoints=tmp_path / "ck", preview_every=10, save_every=10)
    parent = train(TrainConfig(name="orange", model="lite", steps=30, run_dir=tmp_path / "run", **common))
    child = train(TrainConfig(name="orange_steady", model="lite", steps=5, steady_steps=5, init_from=parent,
                              run_dir=tmp_path / "fine", **common))
    assert first_logged_loss(tmp_path / "fine") < 0.5 * first_logged_loss(tmp_path / "run")
    _, meta = load_style(child)
    assert meta["fine_tuned_from"]["file"] == "orange.lite.pt"
    assert meta["fine_tuned_from"]["training"]["steps"] == 30
    assert meta["training"]["steady_steps"] == 5
    with pytest.raises(UserError, match="not a full network"):
        train(TrainConfig(name="bigger", model="full", steps=1, init_from=parent, run_dir=tmp_path / "big", **common))


def test_the_last_steps_weigh_the_temporal_term_more(tmp_path):
    write_photos(tmp_path / "photos", 8)
    cv2.imwrite(str(tmp_path / "painting.png"), np.full((32, 32, 3), (40, 160, 40), np.uint8))
    path = train(TrainConfig(style_image=tmp_path / "painting.png", name="green", data=tmp_path / "photos", model="lite",
                             image_size=32, style_size=32, batch_size=2, steps=8, steady_steps=3,
                             temporal_weight=1.0, steady_temporal_weight=1000.0, checkpoints=tmp_path / "ck",
                             run_dir=tmp_path / "run", preview_every=8, save_every=8))
    with open(tmp_path / "run" / "losses.csv") as log:
        temporal = [float(row["temporal"]) for row in csv.DictReader(log)]
    assert max(temporal[:5]) * 50 < min(temporal[5:])
    assert load_style(path)[1]["training"]["steady_steps"] == 3
    _, meta = load_style(tmp_path / "run" / "before-steady.pt")  # the network as the steady phase found it
    assert meta["step"] == 5
    assert TrainConfig(style_image=Path(), name="", data=Path(), model="lite", steps=4000).resolved_steady_steps() == 800
    assert TrainConfig(style_image=None, teacher=Path("t.pt"), name="", data=Path(), steps=400).resolved_steady_steps() == 0
    transfer = TrainConfig(style_image=Path(), name="", data=Path()).resolved()  # the transfer path's recipe
    assert (transfer.steps, transfer.steady_steps, transfer.image_size, transfer.style_size) == (120, 120, 256, 512)
    assert TrainConfig(style_image=Path(), name="", data=Path(), model="lite", content_weight=3.0).resolved().content_weight == 3.0


def test_distillation_learns_the_teacher_into_the_fast_network(tmp_path, style_dir):
    """`--teacher`: the fast network learns a trained style's output (no painting needed); the layers it shares with
    the teacher start from the teacher's weights, and the painting's metadata comes along."""
    from realtime.model.architectures import FAST
    from realtime.model.transformer import TransformerNet

    write_photos(tmp_path / "photos", 8)
    teacher_path = style_dir / "warm.lite.pt"
    teacher, teacher_meta = load_style(teacher_path)
    config = TrainConfig(style_image=None, teacher=teacher_path, name="warm", model="fast", data=tmp_path / "photos",
                         image_size=32, batch_size=2, steps=40, steady_steps=0, learning_rate=5e-3, checkpoints=tmp_path / "ck",
                         run_dir=tmp_path / "run", preview_every=40, save_every=40)
    path = train(config)
    assert path == tmp_path / "ck" / "warm.fast.pt"
    with open(tmp_path / "run" / "losses.csv") as log:
        rows = list(csv.DictReader(log))
    assert set(rows[0]) == {"step", "seconds", "total", "pixel", "features", "temporal"}
    pixel = [float(row["pixel"]) for row in rows]
    assert np.mean(pixel[-5:]) < 0.7 * np.mean(pixel[:5])

    student, meta = load_style(path)
    assert meta["architecture"] == FAST.to_dict() and meta["variant"] == "fast"
    assert meta["painting"] == teacher_meta["painting"]
    assert meta["distilled_from"]["file"] == "warm.lite.pt"
    photo = bgr_to_tensor(cv2.imread(str(tmp_path / "photos" / "photo_07.png")))
    with torch.no_grad():
        target, learned = teacher.eval()(photo), student.eval()(photo)
        untrained = TransformerNet(FAST).eval()(photo)
    assert (learned - target).abs().mean() < 0.6 * (untrained - target).abs().mean()


def test_train_needs_a_painting_or_a_teacher(tmp_path, style_dir):
    write_photos(tmp_path / "photos", 6)
    cv2.imwrite(str(tmp_path / "painting.png"), np.full((32, 32, 3), (255, 0, 0), np.uint8))
    common = ("--name", "x", "--data", str(tmp_path / "photos"), "--steps", "1", "--checkpoints", str(tmp_path / "ck"))
    for extra in ((), ("--style-image", str(tmp_path / "painting.png"), "--teacher", "warm")):
        result = run_cli("train", *common, *extra, checkpoints=style_dir)
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert "--style-image PAINTING or --teacher STYLE" in result.stderr
    result = run_cli("train", *common, "--teacher", "warm", "--model", "fast", "--image-size", "32",
                     "--batch-size", "1", "--run-dir", str(tmp_path / "run"), checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ck" / "x.fast.pt").exists()


@pytest.mark.parametrize("layers, rate", [("all", 3e-3), ("norms", 3e-2)])
def test_transfer_learning_starts_from_magentas_network_conditioned_on_the_painting(tmp_path, layers, rate):
    """The default path for a new painting: Magenta's arbitrary network with the painting's style vector, fine-tuned
    (every weight, or only the norms' scales and shifts); a few steps lower the style loss on fixed photos."""
    from realtime.io.images import fit_long_side
    from realtime.io.user_files import read_bgr
    from realtime.model.architectures import MAGENTA
    from realtime.styles.arbitrary import arbitrary_style
    from realtime.train_losses import StyleLoss

    write_photos(tmp_path / "photos", 10)
    painting = tmp_path / "painting.png"
    cv2.imwrite(str(painting), cv2.resize(skimage.data.coffee()[:, :, ::-1], (96, 64)))
    config = TrainConfig(style_image=painting, name="coffee", data=tmp_path / "photos", image_size=64, style_size=96,
                         steps=10, steady_steps=0, temporal_weight=0.0, content_weight=0.5, learning_rate=rate, train_layers=layers,
                         checkpoints=tmp_path / "ck", run_dir=tmp_path / "run", preview_every=10, save_every=10)
    assert config.model == "magenta"
    path = train(config)
    assert path == tmp_path / "ck" / "coffee.magenta.pt"
    net, meta = load_style(path)
    assert meta["architecture"] == MAGENTA.to_dict()
    assert meta["fine_tuned_from"]["file"] == "magenta_arbitrary.pt"
    assert meta["fine_tuned_from"]["training"]["conditioned_on"] == "painting.png"

    start, _ = arbitrary_style([painting])
    loss = StyleLoss(VGGEncoder(STYLE_LAYERS[-1]), bgr_to_tensor(fit_long_side(read_bgr(painting), 96)), config.resolved())
    photos = torch.cat([bgr_to_tensor(cv2.resize(read_bgr(p), (64, 64))) for p in sorted((tmp_path / "photos").iterdir())])
    with torch.no_grad():
        before, after = (loss.output_terms(photos, network(photos))["style"].item() for network in (start, net))
    assert after < 0.9 * before
    changed = {key for key, value in net.state_dict().items() if not torch.equal(value, start.state_dict()[key])}
    norms = {key for key in changed if ".in" in key or key.startswith("in")}
    assert norms  # the style lives in the norms
    assert (changed == norms) == (layers == "norms")  # and only there when only they train


def test_the_users_styles_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for ignored in ("", "relative/folder"):  # the XDG spec: an empty or relative XDG_DATA_HOME is not used
        monkeypatch.setenv("XDG_DATA_HOME", ignored)
        assert user_styles() == tmp_path / ".local" / "share" / "realtime" / "styles"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = TrainConfig(style_image=None, name="x", data=tmp_path).resolved_checkpoints()
    assert user_styles() == default == tmp_path / "data" / "realtime" / "styles"


def test_train_saves_into_the_users_styles_which_come_before_the_shipped_ones(tmp_path, monkeypatch, style_dir):
    """Without --checkpoints the style goes to $XDG_DATA_HOME/realtime/styles, where --style NAME and
    --list-styles find it first: it hides the shipped style of the same name, all its networks together."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    write_photos(tmp_path / "photos", 6)
    result = run_cli("train", "--teacher", "warm", "--model", "fast", "--name", "warm", "--data", str(tmp_path / "photos"),
                     "--steps", "1", "--image-size", "32", "--batch-size", "1", "--run-dir", str(tmp_path / "run"),
                     checkpoints=style_dir)
    assert result.returncode == 0, result.stderr
    mine = tmp_path / "data" / "realtime" / "styles"
    assert result.stdout.strip().endswith(f"saved {mine / 'warm.fast.pt'}; run it with --style warm")
    assert StyleRegistry(mine, style_dir).resolve("warm", "lite").path == mine / "warm.fast.pt"
    listed = run_cli("--list-styles", checkpoints=style_dir).stdout.splitlines()
    assert [(line.split()[0], line.split()[1], line.split()[-1]) for line in listed] == [
        ("cool", "lite", str(style_dir)), ("warm", "fast", str(mine))]
