"""How far fine-tuning the MediaPipe segmenter can go, and what limits it: the pictures or the network.

    python benchmarks/segmenter_ceiling.py --learn ../shared/data/portraits_train --test ../shared/data/portraits
    python benchmarks/segmenter_ceiling.py --learn ../shared/data/portraits --test ../shared/data/portraits

(from the repository root, with the package installed: pip install -e .)
Every layer of the shipped general network learns the --learn pictures as the app samples them
(256x256, no augmentation), with BCE and Adam; every --every steps it prints the raw IoU (the
probability upsampled bilinearly, above 0.5, as `eval segmentation`'s "IoU raw") on the --test
pictures, and on the --learn pictures it did not learn from when --hold-out-half is given.
Learning the test pictures themselves shows what the network can represent at this input size;
learning the training split shows what those pairs teach it (docs/segmentation.md, "Why the bar
is out of reach").
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from realtime.engine.person_mask import GENERAL, mediapipe_sample
from realtime.io.images import bgr_to_tensor
from realtime.model.segmentation_net import load_segmenter
from realtime.portraits import Portrait, portrait_pairs, read_portrait


def sampled(portraits: list[Portrait], size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The pictures and their masks as the app samples a frame for the network."""
    rgb = torch.cat([mediapipe_sample(bgr_to_tensor(p.image), size) for p in portraits])
    masks = torch.cat([mediapipe_sample(torch.from_numpy(p.mask)[None, None], size) for p in portraits])
    return rgb, masks


def raw_iou(probability_of: Callable[[torch.Tensor], torch.Tensor], portraits: list[Portrait],
            rgb: torch.Tensor) -> tuple[float, float]:
    """(mean, median) IoU over the pictures (rgb: as sampled()) of a network's person probability."""
    scores = []
    with torch.no_grad():
        for portrait, picture in zip(portraits, rgb):
            person = F.interpolate(probability_of(picture[None]), size=portrait.mask.shape, mode="bilinear",
                                   align_corners=False)[0, 0] > 0.5
            truth = torch.from_numpy(portrait.mask > 0.5)
            scores.append(((person & truth).sum() / (person | truth).sum()).item())
    return float(np.mean(scores)), float(np.median(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learn", type=Path, required=True, metavar="DIR", help="images/ + masks/ to learn")
    parser.add_argument("--test", type=Path, required=True, metavar="DIR", help="images/ + masks/ to score")
    parser.add_argument("--hold-out-half", action="store_true", help="learn every other --learn pair, score the rest")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--soften", type=float, default=1.0, metavar="S",
                        help="divide the last layer's logits by S first (MediaPipe's reach +-460: "
                             "the sigmoid saturates)")
    args = parser.parse_args()
    torch.manual_seed(0)
    net = load_segmenter(GENERAL)
    with torch.no_grad():  # the decisions (logit > 0) stay as they were; the loss sees how sure each pixel is
        head = net.ops[-2].conv
        head.weight /= args.soften
        head.bias /= args.soften
    size = tuple(net.input_size)
    learn = [read_portrait(image, mask) for image, mask in portrait_pairs(args.learn)]
    learn, held_out = (learn[0::2], learn[1::2]) if args.hold_out_half else (learn, [])
    test = [read_portrait(image, mask) for image, mask in portrait_pairs(args.test)]
    (rgb, masks), (test_rgb, _) = sampled(learn, size), sampled(test, size)
    held_out_rgb = sampled(held_out, size)[0] if held_out else None

    def report(step: int) -> None:
        line = "step {:4d}: test IoU {:.4f} (median {:.4f})".format(step, *raw_iou(net, test, test_rgb))
        if held_out:
            line += ", held-out learn pairs {:.4f} (median {:.4f})".format(*raw_iou(net, held_out, held_out_rgb))
        print(line, flush=True)

    report(0)
    optimizer = torch.optim.Adam(net.parameters(), args.lr)
    rng = np.random.default_rng(0)
    for step in range(1, args.steps + 1):
        batch = torch.from_numpy(rng.choice(len(learn), min(args.batch_size, len(learn)), replace=False))
        loss = F.binary_cross_entropy_with_logits(net.logits(rgb[batch]), masks[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % args.every == 0:
            report(step)


if __name__ == "__main__":
    main()
