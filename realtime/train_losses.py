"""The losses `realtime train` minimizes (train.py runs them).

Loss = content (relu2_2) + style (Gram matrices of relu1_1..relu4_1) + total
variation + a flow-free temporal term, measured through the ImageNet VGG-19
(model/vgg.py); each content and style term is divided by its target's mean
square, so every layer weighs about the same. The temporal term stylizes a crop and a
slightly shifted, rotated and zoomed copy of it and penalizes the difference
between the warped output and the output of the warped input: a network that
commutes with small motions does not flicker on video. The last steps of a run
(the steady phase) weigh that term more and add camera-like noise to the moved
copy, so the network also learns to ignore sensor noise without losing the style
it learned first.

Distillation (`--teacher STYLE`): a smaller network learns a trained style's look from that
style's network instead of from the painting. Its output should match the teacher's on the
same photo, pixel for pixel (L1) and in VGG features (relu1_1..relu3_1, each divided by the
target's mean square); the temporal term stays. Cheaper than the painting's loss (no Gram
matrices, no relu4_1) and it keeps the look that `eval style` measured on the teacher.
"""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from realtime.model.vgg import CONTENT_LAYERS, STYLE_LAYERS, VGGEncoder, gram
from realtime.settings import TrainConfig

DISTILL_LAYERS = ("relu1_1", "relu2_1", "relu3_1")
DISTILL_PIXEL_WEIGHT = 10.0  # L1 of about 0.02 weighs about as much as the feature terms near the end


def normalized_mse(value: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE divided by the target's mean square, so every layer weighs about the same (in fp32)."""
    value, target = value.float(), target.float()
    return F.mse_loss(value, target) / target.pow(2).mean().clamp_min(1e-8)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[:, :, 1:, :] - image[:, :, :-1, :]).abs().mean() + (image[:, :, :, 1:] - image[:, :, :, :-1]).abs().mean()


def random_small_motion(batch: int, rng: random.Random, device: torch.device) -> torch.Tensor:
    """Affine matrices for a shift of a few pixels, a rotation of a degree or two and a small zoom."""
    thetas = []
    for _ in range(batch):
        angle = math.radians(rng.uniform(-2.0, 2.0))
        zoom = rng.uniform(0.96, 1.04)
        tx, ty = rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)
        cos, sin = math.cos(angle) / zoom, math.sin(angle) / zoom
        thetas.append([[cos, -sin, tx], [sin, cos, ty]])
    return torch.tensor(thetas, device=device)


def warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def temporal_difference(net: torch.nn.Module, content: torch.Tensor, output: torch.Tensor, rng: random.Random,
                        steady: bool, noise: float) -> torch.Tensor:
    """MSE between the output of a slightly moved input and the moved output (see the module's doc)."""
    theta = random_small_motion(len(content), rng, content.device)
    margin = content.shape[-1] // 16  # reflection padding at the borders is not motion
    moved = warp(content, theta)
    if steady and noise > 0:  # camera noise and compression change pixels from frame to frame
        moved = (moved + noise * torch.randn_like(moved)).clamp(0.0, 1.0)
    moved_output = net(moved)[..., margin:-margin, margin:-margin]
    output_moved = warp(output, theta)[..., margin:-margin, margin:-margin]
    return F.mse_loss(moved_output.float(), output_moved.float())


class TrainingLoss:
    """The loss of one batch: the subclass's terms on the network's output, plus the temporal term."""
    TERMS: tuple[str, ...]

    def __init__(self, config: TrainConfig):
        self.config = config

    def output_terms(self, content: torch.Tensor, output: torch.Tensor) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def __call__(self, net: torch.nn.Module, content: torch.Tensor, rng: random.Random,
                 steady: bool = False) -> dict[str, torch.Tensor]:
        cfg = self.config
        temporal_weight = cfg.steady_temporal_weight if steady else cfg.temporal_weight
        output = net(content)
        losses = self.output_terms(content, output)
        if temporal_weight > 0:
            losses["temporal"] = temporal_weight * temporal_difference(net, content, output, rng, steady, cfg.temporal_noise)
        losses["total"] = sum(losses.values())
        return losses


class StyleLoss(TrainingLoss):
    """The painting as the target: content, Gram-matrix style and total variation."""
    TERMS = ("content", "style", "tv", "temporal")

    def __init__(self, loss_net: VGGEncoder, style: torch.Tensor, config: TrainConfig):
        super().__init__(config)
        self.loss_net = loss_net
        with torch.no_grad():
            self.style_grams = {k: gram(v) for k, v in loss_net(style, STYLE_LAYERS).items()}

    def output_terms(self, content: torch.Tensor, output: torch.Tensor) -> dict[str, torch.Tensor]:
        cfg = self.config
        with torch.no_grad():
            content_features = self.loss_net(content, CONTENT_LAYERS)
        output_features = self.loss_net(output, STYLE_LAYERS + CONTENT_LAYERS)
        return {
            "content": cfg.content_weight * sum(normalized_mse(output_features[k], content_features[k]) for k in CONTENT_LAYERS),
            "style": cfg.style_weight * sum(
                normalized_mse(gram(output_features[k]), self.style_grams[k].expand(len(content), -1, -1))
                for k in STYLE_LAYERS),
            "tv": cfg.tv_weight * total_variation(output.float()),
        }


class DistillLoss(TrainingLoss):
    """The teacher's output as the target: L1 on pixels and normalized MSE on VGG features."""
    TERMS = ("pixel", "features", "temporal")

    def __init__(self, loss_net: VGGEncoder, teacher: torch.nn.Module, config: TrainConfig):
        super().__init__(config)
        self.loss_net, self.teacher = loss_net, teacher

    def output_terms(self, content: torch.Tensor, output: torch.Tensor) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            target = self.teacher(content)
            target_features = self.loss_net(target, DISTILL_LAYERS)
        output_features = self.loss_net(output, DISTILL_LAYERS)
        return {
            "pixel": DISTILL_PIXEL_WEIGHT * F.l1_loss(output.float(), target.float()),
            "features": self.config.content_weight * sum(normalized_mse(output_features[k], target_features[k])
                                                         for k in DISTILL_LAYERS),
        }
