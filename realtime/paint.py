"""`realtime paint`: one photo in any picture's style, by optimisation (Gatys, Ecker & Bethge, 2016).

No network is trained and none is run forward to make the picture: the image itself is
optimised with L-BFGS so that its VGG-19 features keep the photo's content (relu4_2) and
its feature correlations (Gram matrices, relu1_1 to relu5_1) match the style picture's,
with a little total variation against pixel noise. Minutes per picture on a CPU, and the
closest match to the painting of the three ways the project has (trained network, AdaIN).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from realtime.engine.composite import with_colors_of
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side, tensor_to_bgr
from realtime.io.user_files import read_bgr
from realtime.model.vgg import MIN_PICTURE_SIDE, VGGEncoder, gram
from realtime.settings import PaintConfig
from realtime.styles.adain import load_style_picture
from realtime.train_losses import normalized_mse, total_variation

PAINT_CONTENT_LAYERS = ("relu4_2",)
PAINT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
MIN_PAINT_SIZE = 32


@dataclass
class Painting:
    image: np.ndarray  # H x W x 3 uint8 BGR
    losses: list[float]  # the total loss at each evaluation, then the result's
    seconds: float


def load_photo(path: Path, long_side: int) -> torch.Tensor:
    if long_side < MIN_PAINT_SIZE:
        raise UserError(f"--size {long_side} is too small; use at least {MIN_PAINT_SIZE}")
    image = read_bgr(path, "photo")
    if min(image.shape[:2]) < MIN_PAINT_SIZE // 4:
        raise UserError(f"photo {path} is {image.shape[1]}x{image.shape[0]}; use one at least "
                        f"{MIN_PAINT_SIZE // 4} pixels on each side")
    fitted = fit_long_side(image, long_side)
    if min(fitted.shape[:2]) < MIN_PICTURE_SIDE:
        enough = math.ceil(MIN_PICTURE_SIDE * max(image.shape[:2]) / min(image.shape[:2]))
        raise UserError(f"photo {path} is {image.shape[1]}x{image.shape[0]}, too thin to paint at --size {long_side}; "
                        f"use --size {enough} or more, or a less thin photo")
    return bgr_to_tensor(fitted)


def paint(config: PaintConfig, progress: bool = True) -> Painting:
    if config.init not in ("content", "noise"):
        raise UserError(f"--init must be content or noise, not {config.init!r}")
    if config.threads:
        torch.set_num_threads(config.threads)
    started = time.perf_counter()
    photo = load_photo(config.content, config.size)
    style = load_style_picture(config.style)
    encoder = VGGEncoder("relu5_1")
    with torch.no_grad():
        content_targets = encoder(photo, PAINT_CONTENT_LAYERS)
        style_targets = {name: gram(f) for name, f in encoder(style, PAINT_STYLE_LAYERS).items()}
    generator = torch.Generator().manual_seed(config.seed)
    start = photo.clone() if config.init == "content" else torch.rand(photo.shape, generator=generator)
    image = start.contiguous().requires_grad_(True)
    # The line search keeps every step downhill; the budget counts evaluations, which is what costs.
    optimizer = torch.optim.LBFGS([image], lr=1.0, max_iter=config.steps, max_eval=config.steps, history_size=50,
                                  tolerance_grad=0.0, tolerance_change=0.0, line_search_fn="strong_wolfe")
    losses: list[float] = []
    bar = tqdm(total=config.steps, desc="paint", unit="step", disable=not progress)

    def objective(picture: torch.Tensor) -> torch.Tensor:
        features = encoder(picture, PAINT_CONTENT_LAYERS + PAINT_STYLE_LAYERS)
        content = sum(normalized_mse(features[k], content_targets[k]) for k in PAINT_CONTENT_LAYERS)
        style_loss = sum(normalized_mse(gram(features[k]), style_targets[k]) for k in PAINT_STYLE_LAYERS)
        return (config.content_weight * content + config.style_weight * style_loss
                + config.tv_weight * total_variation(picture))

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        # The loss of the picture as it is written, in [0, 1]: optimised unclamped, it drifts out of range
        # and the written (clamped) result scores worse than the optimiser said (7.2 against 5.1).
        loss = objective(image.clamp(0.0, 1.0))
        loss.backward()
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        return loss

    optimizer.step(closure)  # runs until the evaluations are spent
    with torch.no_grad():
        result = image.detach().clamp(0.0, 1.0)
        losses.append(objective(result).item())
    # The last evaluation may be a line-search point the optimiser did not take: end on the result's loss.
    bar.set_postfix(loss=f"{losses[-1]:.3f}")
    bar.close()
    if config.keep_colors:
        result = with_colors_of(photo, result)
    return Painting(tensor_to_bgr(result), losses, time.perf_counter() - started)
