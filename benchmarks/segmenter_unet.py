"""The issue's second architecture: a small U-Net on a pretrained encoder, against the MediaPipe port.

    python benchmarks/segmenter_unet.py --train ../shared/data/portraits_train --test ../shared/data/portraits

(from the repository root, with the package installed: pip install -e .)
The encoder is the project's other pretrained MobileNetV2: Magenta's style predictor
(checkpoints/magenta_arbitrary.pt, ImageNet features refined for style prediction), cut at stride 16.
The decoder is new: at each level it upsamples, joins the encoder's map of that size (the U-Net skip)
and mixes them with a depthwise-separable block; a 1x1 convolution makes the 256x256 logits. Training
is `realtime train segmentation`'s recipe (its augmentation, BCE + soft Dice, the encoder frozen first,
then every layer with the encoder at a tenth of the rate, cosine decay), on the same input size as the
general MediaPipe network (256x256). It prints, for both networks, the raw IoU on the test pictures
(the probability upsampled bilinearly, > 0.5, as `eval segmentation`'s "IoU raw") and the network's
time a frame, timed in turns in this process. The U-Net would ship only if it beat the MediaPipe
network at equal speed (docs/segmentation.md, "A second architecture").
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.engine.person_mask import GENERAL
from realtime.model.segmentation_net import load_segmenter
from realtime.model.style_predictor import StylePredictor
from realtime.portraits import Portrait, portrait_pairs, read_portrait
from realtime.segmentation_augment import Augmentation, augmented
from realtime.train_segmentation import STORED_LONG_SIDE, segmentation_loss
from segmenter_ceiling import raw_iou, sampled  # the other benchmark beside this one

INPUT_SIZE = (256, 256)
# The predictor's layers in four stages, ending at 128, 64, 32 and 16 px (16, 24, 32, 96 channels):
# the first three are the skip maps, the fourth the bottom of the U.
STAGES = ((0, 2), (2, 4), (4, 7), (7, 14))


def separable(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels),
                         nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class MobileNetUNet(nn.Module):
    """RGB in [0, 1], N x 3 x 256 x 256 -> person logits N x 1 x 256 x 256."""

    def __init__(self, encoder: nn.ModuleList):
        super().__init__()
        self.encoder = encoder
        self.up = nn.ModuleList([separable(96 + 32, 48), separable(48 + 24, 32), separable(32 + 16, 16)])
        self.head = nn.Conv2d(16, 1, 1)

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        maps, x = [], rgb
        for stage in self.encoder:
            x = stage(x)
            maps.append(x)
        for index, block in enumerate(self.up):
            skip = maps[2 - index]
            upsampled = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([upsampled, skip], 1))
        return F.interpolate(self.head(x), size=rgb.shape[-2:], mode="bilinear", align_corners=False)


def pretrained_encoder() -> nn.ModuleList:
    predictor = StylePredictor()
    predictor.load_state_dict(torch.load(SHIPPED_CHECKPOINTS / "magenta_arbitrary.pt", weights_only=True)["predictor"])
    return nn.ModuleList(predictor.features[start:end] for start, end in STAGES)


def ms_a_frame(nets: dict[str, nn.Module], runs: int = 30) -> dict[str, float]:
    """Median ms of one 256x256 frame through each network (frozen TorchScript, channels-last, as the app
    runs the segmenter), the networks taking turns so that a busy core slows each alike."""
    frame = torch.rand(1, 3, *INPUT_SIZE).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        frozen = {name: torch.jit.freeze(torch.jit.script(net.eval().to(memory_format=torch.channels_last)))
                  for name, net in nets.items()}
        times: dict[str, list[float]] = {name: [] for name in nets}
        for _ in range(runs + 5):
            for name, net in frozen.items():
                start = time.perf_counter()
                net(frame)
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values[5:]) for name, values in times.items()}


def train(net: MobileNetUNet, portraits: list[Portrait], epochs: int, frozen_epochs: int, learning_rate: float,
          batch_size: int) -> None:
    rng = np.random.default_rng(0)
    steps = math.ceil(len(portraits) / batch_size)
    decoder = [p for name, p in net.named_parameters() if not name.startswith("encoder.")]
    with tqdm(total=epochs * steps, unit="step", desc="U-Net") as bar:
        for epoch in range(epochs):
            frozen = epoch < frozen_epochs
            net.encoder.requires_grad_(not frozen)
            if epoch in (0, frozen_epochs):  # the second stage starts with a fresh optimizer
                groups = [{"params": decoder, "lr": learning_rate}]
                if not frozen:
                    groups.append({"params": list(net.encoder.parameters()), "lr": learning_rate / 10})
                optimizer = torch.optim.Adam(groups)
                base = [group["lr"] for group in optimizer.param_groups]
            progress = max(0, epoch - frozen_epochs) / max(1, epochs - frozen_epochs - 1)
            for group, rate in zip(optimizer.param_groups, base):
                group["lr"] = rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
            net.train()
            order = rng.permutation(len(portraits))
            for start in range(0, len(portraits), batch_size):
                chosen = order[start:start + batch_size]
                pictures, masks = zip(*(augmented(portraits[i], INPUT_SIZE, Augmentation(), rng, []) for i in chosen))
                rgb = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2).contiguous()
                loss = segmentation_loss(net(rgb), torch.from_numpy(np.stack(masks)).unsqueeze(1), 1.0)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                bar.set_postfix(loss=f"{loss.item():.4f}", stage="decoder" if frozen else "all")
                bar.update()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, metavar="DIR", help="images/ + masks/ to learn from")
    parser.add_argument("--test", type=Path, required=True, metavar="DIR", help="images/ + masks/ to score")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--frozen-epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--save", type=Path, help="keep the trained U-Net's weights here")
    args = parser.parse_args()
    torch.manual_seed(0)

    def read(folder: Path) -> list[Portrait]:
        return [read_portrait(image, mask, STORED_LONG_SIDE) for image, mask in portrait_pairs(folder)]

    unet, mediapipe = MobileNetUNet(pretrained_encoder()), load_segmenter(GENERAL).eval()
    times = ms_a_frame({"mediapipe general": mediapipe, "MobileNetV2 U-Net": unet})
    started = time.monotonic()
    train(unet, read(args.train), args.epochs, args.frozen_epochs, args.lr, args.batch_size)
    minutes = (time.monotonic() - started) / 60
    if args.save:
        torch.save(unet.state_dict(), args.save)
    unet.eval()
    test = read(args.test)
    rgb = sampled(test, INPUT_SIZE)[0]
    scores = {"mediapipe general": raw_iou(mediapipe, test, rgb)[0],
              "MobileNetV2 U-Net": raw_iou(lambda x: torch.sigmoid(unet(x)), test, rgb)[0]}
    print(f"trained {args.epochs} epochs in {minutes:.1f} min; {len(test)} test pictures")
    print("| network | parameters | IoU raw | ms a 256x256 frame |\n| --- | --- | --- | --- |")
    for name, net in (("mediapipe general", mediapipe), ("MobileNetV2 U-Net", unet)):
        parameters = sum(p.numel() for p in net.parameters()) / 1e3
        print(f"| {name} | {parameters:.0f} K | {scores[name]:.4f} | {times[name]:.1f} |")


if __name__ == "__main__":
    main()
