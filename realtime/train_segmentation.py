"""Fine-tuning the person segmenter on your own pictures (`realtime train segmentation`).

Transfer learning in two stages, from the shipped MediaPipe port (or any saved segmenter):
first only the decoder learns while the pretrained encoder (every layer before the first
resize) stays frozen, so the new decoder adapts to features it can rely on; then every layer
learns, the encoder at a smaller learning rate (--encoder-lr-scale) so its ImageNet-and-selfie
features are refined, not forgotten, with a cosine decay over the epochs. Loss: binary cross-
entropy on the logits plus soft Dice, which weighs the person as much as the (larger) background, and,
with --keep-weight, cross-entropy against the starting network's own masks, so that it keeps what it knew.
A held-out part of the pictures is scored (IoU and Dice at the masks' own size, sampled as the
app samples frames) after every epoch; the best epoch is the checkpoint. Each epoch ends with a
resumable state in the run directory.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from realtime.engine.device import pick_device
from realtime.engine.person_mask import GENERAL, LANDSCAPE, mediapipe_sample
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side, list_images
from realtime.io.user_files import read_bgr
from realtime.model.segmentation_net import SegmentationNet, load_segmenter
from realtime.portraits import Portrait, portrait_pairs, read_portrait
from realtime.segmentation_augment import Augmentation, augmented
from realtime.settings import SegmentationTrainConfig

STORED_LONG_SIDE = 800  # pictures are kept in memory at most this large: detail enough for a 256 px input
BACKGROUND_LONG_SIDE = 512


def soft_dice(probability: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of 2|P.T| / (|P| + |T|), with probabilities for P (differentiable)."""
    overlap = (probability * target).sum(dim=(1, 2, 3))
    sizes = probability.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3))
    return ((2 * overlap + 1) / (sizes + 1)).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float) -> torch.Tensor:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    return bce + dice_weight * (1 - soft_dice(torch.sigmoid(logits), target))


def keep_loss(logits: torch.Tensor, teacher: Callable[[torch.Tensor], torch.Tensor] | None,
              rgb: torch.Tensor) -> torch.Tensor:
    """BCE against the starting network's probabilities (teacher: rgb -> them), or 0 without a teacher: fine-tuning
    on a few hundred pictures drifts from what it learnt on many more (learning without forgetting, Li & Hoiem 2016)."""
    if teacher is None:
        return logits.new_zeros(())
    with torch.no_grad():
        kept = teacher(rgb)
    return F.binary_cross_entropy_with_logits(logits, kept)


def starting_weights(config: SegmentationTrainConfig) -> Path:
    if config.init_from is not None:
        return config.init_from
    return LANDSCAPE if config.model == "landscape" else GENERAL


class Validation:
    """Held-out pictures, scored as `eval segmentation` scores: probability at the network's size, upsampled
    bilinearly to the mask's, person where it is above 0.5."""

    def __init__(self, portraits: list[Portrait], input_size: tuple[int, int], device: torch.device):
        self.inputs = [mediapipe_sample(bgr_to_tensor(p.image), input_size).to(device) for p in portraits]
        self.truths = [torch.from_numpy(p.mask > 0.5).to(device) for p in portraits]

    @torch.no_grad()
    def scores(self, net: SegmentationNet) -> dict[str, float]:
        ious, dices = [], []
        for rgb, truth in zip(self.inputs, self.truths):
            probability = F.interpolate(net(rgb), size=truth.shape, mode="bilinear", align_corners=False)[0, 0]
            person = probability > 0.5
            overlap, union = (person & truth).sum().item(), (person | truth).sum().item()
            ious.append(overlap / union if union else 1.0)
            total = person.sum().item() + truth.sum().item()
            dices.append(2 * overlap / total if total else 1.0)
        return {"iou": float(np.mean(ious)), "dice": float(np.mean(dices))}


def read_backgrounds(folder: Path | None) -> list[np.ndarray]:
    if folder is None:
        return []
    pictures = list_images(folder)
    if not pictures:
        raise UserError(f"no pictures in --backgrounds {folder}; give a folder of JPEG or PNG photos")
    return [fit_long_side(read_bgr(path, "background"), BACKGROUND_LONG_SIDE)[..., ::-1].astype(np.float32) / 255.0
            for path in tqdm(pictures, desc="reading backgrounds", unit="picture", leave=False, delay=1)]


def split(portraits: list[Portrait], fraction: float, seed: int) -> tuple[list[Portrait], list[Portrait]]:
    """(training, validation): a fixed share, chosen by the seed, held out."""
    if len(portraits) < 2:
        raise UserError(f"training needs at least 2 picture pairs (one is held out to validate); found {len(portraits)}")
    order = np.random.default_rng(seed).permutation(len(portraits))
    count = min(len(portraits) - 1, max(1, round(fraction * len(portraits))))
    return [portraits[i] for i in order[count:]], [portraits[i] for i in order[:count]]


def optimizer_for(net: SegmentationNet, epoch: int, config: SegmentationTrainConfig) -> torch.optim.Optimizer:
    """The frozen stage trains the decoder alone; afterwards the encoder joins at its smaller learning rate."""
    encoder = {id(p) for p in net.encoder_parameters()}
    decoder = [p for p in net.parameters() if id(p) not in encoder]
    frozen = epoch < config.frozen_epochs
    for parameter in net.encoder_parameters():
        parameter.requires_grad_(not frozen)
    groups = [{"params": decoder, "lr": config.learning_rate, "base_lr": config.learning_rate}]
    if not frozen:
        encoder_lr = config.learning_rate * config.encoder_lr_scale
        groups.append({"params": net.encoder_parameters(), "lr": encoder_lr, "base_lr": encoder_lr})
    return torch.optim.Adam(groups)


def set_learning_rates(optimizer: torch.optim.Optimizer, epoch: int, config: SegmentationTrainConfig) -> None:
    """Constant while frozen; then a cosine from the full rate down to a twentieth at the last epoch."""
    if epoch < config.frozen_epochs:
        return
    progress = (epoch - config.frozen_epochs) / max(1, config.epochs - config.frozen_epochs - 1)
    factor = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    for group in optimizer.param_groups:
        group["lr"] = group["base_lr"] * factor


def batches(count: int, config: SegmentationTrainConfig, epoch: int) -> list[list[int]]:
    """The epoch's shuffled batches: fixed by the seed and the epoch, so a resumed run sees what it would have."""
    order = np.random.default_rng([config.seed, epoch]).permutation(count)
    return [order[i:i + config.batch_size].tolist() for i in range(0, len(order), config.batch_size)]


def sample_batch(portraits: list[Portrait], indices: list[int], input_size: tuple[int, int], rng: np.random.Generator,
                 backgrounds: list[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    pictures, masks = zip(*(augmented(portraits[i], input_size, Augmentation(), rng, backgrounds) for i in indices))
    rgb = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2)
    return rgb.contiguous().to(device), torch.from_numpy(np.stack(masks)).unsqueeze(1).to(device)


def checkpoint_payload(base: dict[str, Any], net: SegmentationNet, training: dict[str, Any]) -> dict[str, Any]:
    return {**{key: base[key] for key in ("ops", "input_id", "output_id", "input_size")},
            "state_dict": {k: v.detach().cpu().clone() for k, v in net.state_dict().items()},
            "license": f"fine-tuned by realtime (train segmentation) from: {base['license']}",
            "training": training}


def check_config(config: SegmentationTrainConfig) -> None:
    if config.frozen_epochs >= config.epochs:
        raise UserError(f"--frozen-epochs {config.frozen_epochs} leaves no epoch for the whole network; "
                        f"use fewer than --epochs {config.epochs}")
    if not 0 < config.validation_fraction < 1:
        raise UserError("--validation-fraction must be between 0 and 1, e.g. 0.1")
    if config.learning_rate <= 0 or config.encoder_lr_scale < 0:
        raise UserError("--lr must be above 0 and --encoder-lr-scale at least 0")
    if config.keep_weight < 0 or config.dice_weight < 0:
        raise UserError("--keep-weight and --dice-weight must be at least 0 (0: that term is off)")


def train_segmentation(config: SegmentationTrainConfig) -> Path:
    """Fine-tune, keep the best epoch's segmenter at config.resolved_output(); returns that path."""
    check_config(config)
    device = pick_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    pairs = portrait_pairs(config.data)
    base_path = starting_weights(config)
    net = load_segmenter(base_path).to(device)
    base = torch.load(base_path, map_location="cpu", weights_only=True)
    teacher = load_segmenter(base_path).to(device).eval().requires_grad_(False) if config.keep_weight > 0 else None
    input_size = tuple(net.input_size)
    # delay: a bad pair found in the first second is the only line printed, with no bar before it
    portraits = [read_portrait(image, mask, STORED_LONG_SIDE)
                 for image, mask in tqdm(pairs, desc=f"reading {config.data}", unit="pair", leave=False, delay=1)]
    backgrounds = read_backgrounds(config.backgrounds)
    training_set, validation_set = split(portraits, config.validation_fraction, config.seed)
    validation = Validation(validation_set, input_size, device)
    output, state_path = run_paths(config)

    start_scores = validation.scores(net.eval())
    epoch, history, best, seconds = 0, [], {"epoch": 0, **start_scores}, 0.0
    optimizer = optimizer_for(net, 0, config)
    if config.resume and state_path.is_file():
        (epoch, history, best, seconds, start_scores), optimizer = resume_training(state_path, net, config, device)

    steps_per_epoch = math.ceil(len(training_set) / config.batch_size)
    started = time.monotonic() - seconds
    described = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    tqdm.write(f"validation ({len(validation_set)} held-out pairs) before training: "
               f"IoU {start_scores['iou']:.4f}, Dice {start_scores['dice']:.4f}")
    with tqdm(total=config.epochs * steps_per_epoch, initial=epoch * steps_per_epoch, unit="step",
              desc=f"train segmentation ({config.model if config.init_from is None else config.init_from.name})") as bar:
        while epoch < config.epochs:
            if epoch == config.frozen_epochs:
                optimizer = optimizer_for(net, epoch, config)
            loss = train_epoch(net, optimizer, training_set, BatchSource(input_size, backgrounds, teacher, device), config,
                               epoch, bar)
            epoch += 1
            scores = validation.scores(net.eval())
            history.append({"epoch": epoch, "loss": loss, **scores})
            tqdm.write(f"epoch {epoch}/{config.epochs}: loss {loss:.4f}, "
                       f"validation IoU {scores['iou']:.4f}, Dice {scores['dice']:.4f}")
            if scores["iou"] > best["iou"] or best["epoch"] == 0:
                best = {"epoch": epoch, **scores}
                training = {"data": str(config.data), "pairs": len(portraits), "validation_pairs": len(validation_set),
                            "started_from": base_path.name, "settings": described, "before": start_scores,
                            "best": best, "history": history}
                torch.save(checkpoint_payload(base, net, training), output)
            seconds = time.monotonic() - started
            torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
                        "frozen": epoch - 1 < config.frozen_epochs, "history": history, "best": best,
                        "seconds": seconds, "start": start_scores}, state_path)
    tqdm.write(f"best epoch {best['epoch']}: validation IoU {best['iou']:.4f} (before: {start_scores['iou']:.4f}); "
               f"{seconds / 60:.1f} min")
    return output


def run_paths(config: SegmentationTrainConfig) -> tuple[Path, Path]:
    """Where the best segmenter goes and where the run's state is saved (or resumed from), folders made."""
    run_dir = config.resolved_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    output = config.resolved_output()
    output.parent.mkdir(parents=True, exist_ok=True)
    state_path = config.resume if isinstance(config.resume, Path) else run_dir / "state.pt"
    if isinstance(config.resume, Path) and not state_path.is_file():
        raise UserError(f"no saved training state at {state_path}; pass the state.pt of an earlier run")
    return output, state_path


def resume_training(state_path: Path, net: SegmentationNet, config: SegmentationTrainConfig,
                    device: torch.device) -> tuple[tuple[int, list, dict, float, dict], torch.optim.Optimizer]:
    """A saved run's network, its (epoch, history, best, seconds, start scores) and its optimizer."""
    state = torch.load(state_path, map_location=device, weights_only=False)
    net.load_state_dict(state["net"])
    progress = tuple(state[k] for k in ("epoch", "history", "best", "seconds", "start"))
    epoch = progress[0]
    optimizer = optimizer_for(net, epoch, config)
    if state["frozen"] == (epoch < config.frozen_epochs):
        optimizer.load_state_dict(state["optimizer"])  # the new stage starts with a fresh optimizer
    return progress, optimizer


@dataclass(frozen=True)
class BatchSource:
    """How a training batch is made: the network's input size, the backgrounds to put behind the person,
    the frozen starting network that --keep-weight keeps close to, and the device."""
    input_size: tuple[int, int]
    backgrounds: list[np.ndarray]
    teacher: SegmentationNet | None
    device: torch.device


def train_epoch(net: SegmentationNet, optimizer: torch.optim.Optimizer, training_set: list[Portrait], source: BatchSource,
                config: SegmentationTrainConfig, epoch: int, bar: tqdm) -> float:
    """One pass over the training set; returns its mean loss."""
    set_learning_rates(optimizer, epoch, config)
    rng = np.random.default_rng([config.seed, epoch, 1])
    net.train()
    losses = []
    for indices in batches(len(training_set), config, epoch):
        rgb, target = sample_batch(training_set, indices, source.input_size, rng, source.backgrounds,
                                   source.device)
        logits = net.logits(rgb)
        loss = (segmentation_loss(logits, target, config.dice_weight)
                + config.keep_weight * keep_loss(logits, source.teacher, rgb))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{loss.item():.4f}", stage="decoder" if epoch < config.frozen_epochs else "all")
        bar.update()
    return float(np.mean(losses))
