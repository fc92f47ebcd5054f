"""Steadier stylized video (`--stabilize`): keep part of the last output where it still shows the same thing.

A style network paints every frame anew, so camera noise and small motions move its strokes from
frame to frame: flicker. The stabilizer follows the picture's motion with optical flow (OpenCV's
DIS, on a small grey copy of the frame, taken on the host before the upload) and warps the last
input and output onto the new frame. Live, the flow is found quickly (DIS's fast preset, 320 pixels
wide: about 1 ms on two cores); in file and image modes, where no clock waits, more finely (its
medium preset, up to 640 pixels wide: about 18 ms), which halves what flicker is left. Where the
warped last input matches the new input (the flow found the same thing there, up to sensor noise),
it keeps `stabilize` of the warped output; where it does not (something appeared or was uncovered,
or the flow failed), the new output alone, so moving edges leave no trails. A still picture has no
flow: there it is a blend with the last output.

Two things keep the kept strokes sharp. The last output is warped with bicubic, not bilinear,
interpolation: it is resampled again every frame, and bilinear's blur compounds. And a blend of two
paintings whose strokes differ has weaker strokes than either (their fine detail partly cancels), so
after the blend the fine detail (what a 5x5 box blur removes) is scaled back up to the new output's
local strength (measured over 9x9 boxes; DETAIL_SHARE of it): the strokes are the kept ones, at about
the network's contrast. Without it, the blend kept half the detail of `--stabilize 0` within ten frames.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

# A pixel whose input differs from the warped last input by STILL_CHANGE or more (mean over channels, 0-1)
# takes the new output alone; up to STILL_NOISE (sensor noise and resampling) it keeps all of `stabilize`.
# Without the noise floor a noisy clip kept too little where nothing moved: flicker and softer strokes.
STILL_CHANGE, STILL_NOISE = 0.12, 0.03
# (DIS preset, width of the grey copy the flow is found on), live and in file and image modes.
LIVE_FLOW = (cv2.DISOPTICAL_FLOW_PRESET_FAST, 320)
FINE_FLOW = (cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 640)
MIN_FLOW_SIDE = 16
# The detail restored after the blend: box sizes (pixels at the network's size), the share of the new output's
# detail strength restored (all of it brings back some of the flicker the blend took away), the largest gain.
DETAIL_BOX, ENERGY_BOX, DETAIL_SHARE, DETAIL_GAIN = 5, 9, 0.8, 3.0


@dataclass
class History:
    """The last frame of a stream: its motion picture, and its input and stylized output at the network's size."""
    style: object  # the LoadedStyle that painted it: another style's strokes are not kept
    motion: np.ndarray
    input: torch.Tensor
    output: torch.Tensor


class Stabilizer:
    """One stream's memory of its last frame, and the blend with it."""

    def __init__(self, live: bool = False):
        preset, self.flow_width = LIVE_FLOW if live else FINE_FLOW
        self.flow = cv2.DISOpticalFlow_create(preset)
        self.history: History | None = None

    def reset(self) -> None:
        self.history = None

    def motion(self, frame: np.ndarray, mirror: bool) -> np.ndarray:
        """The small grey copy of an H x W x 3 uint8 BGR frame that the flow is found on, mirrored as the frame is."""
        height, width = frame.shape[:2]
        small_width = min(self.flow_width, width)
        # DIS needs 12 pixels on a side; a tiny frame's copy is scaled up (the flow is relative to its size).
        size = (max(MIN_FLOW_SIDE, small_width), max(MIN_FLOW_SIDE, round(height * small_width / width)))
        grey = cv2.cvtColor(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        return cv2.flip(grey, 1) if mirror else grey

    def __call__(self, motion: np.ndarray, small: torch.Tensor, styled: torch.Tensor, stabilize: float,
                 style: object) -> torch.Tensor:
        """The new output `styled` (of input `small`), steadied by the last one; both 1 x C x h x w."""
        previous, self.history = self.history, None
        if stabilize <= 0:
            return styled
        if previous is not None and previous.style is style and previous.input.shape == small.shape \
                and previous.motion.shape == motion.shape:
            last_input, last_output = self._warped(previous, motion, small.shape[-2:])
            change = (small - last_input).abs().mean(dim=1, keepdim=True)
            still = (1.0 - (change - STILL_NOISE) / (STILL_CHANGE - STILL_NOISE)).clamp_(0.0, 1.0)
            keep = still.mul_(min(stabilize, 1.0))
            blended = torch.lerp(styled, last_output.to(styled.dtype), keep.to(styled.dtype))
            styled = with_detail_of(blended, styled)
        self.history = History(style, motion, small, styled)
        return styled

    def _warped(self, previous: History, motion: np.ndarray, size: torch.Size) -> tuple[torch.Tensor, torch.Tensor]:
        """The last input and output moved onto the new frame (each pixel fetched from where it was)."""
        flow = self.flow.calc(motion, previous.motion, None)  # new pixel -> where it was, in motion pixels
        if not np.abs(flow).max() > 0.05:  # still: nothing to warp (and no resampling blur)
            return previous.input, previous.output
        height, width = size
        where = source_pixels(flow, width, height)
        if previous.input.device.type == "cpu":  # OpenCV's remap: 10-20x faster than grid_sample there
            return tuple(remap(picture, where) for picture in (previous.input, previous.output))
        return tuple(grid_sample(picture, where) for picture in (previous.input, previous.output))


def source_pixels(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """height x width x 2: for each pixel at the network's size, where it was in the last frame (x, y), from a
    flow found at another size."""
    scale = np.array([width / flow.shape[1], height / flow.shape[0]], np.float32)
    moved = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) * scale
    columns, rows = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return moved + np.dstack([columns, rows])


def box_blur(picture: torch.Tensor, size: int) -> torch.Tensor:
    """The mean over size x size boxes (edges repeated) of 1 x C x H x W; on the CPU with OpenCV (10x faster)."""
    if picture.device.type != "cpu":
        return F.avg_pool2d(F.pad(picture, (size // 2,) * 4, mode="replicate"), size, stride=1)
    image = np.ascontiguousarray(picture[0].permute(1, 2, 0).numpy())
    blurred = cv2.blur(image, (size, size), borderType=cv2.BORDER_REPLICATE)
    return torch.from_numpy(blurred.reshape(*blurred.shape[:2], -1)).permute(2, 0, 1)[None]


def fine_detail(picture: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(the picture without its fine detail, the detail's local strength: mean square over ENERGY_BOX boxes)."""
    coarse = box_blur(picture, DETAIL_BOX)
    return coarse, box_blur((picture - coarse).square().mean(dim=1, keepdim=True), ENERGY_BOX)


def with_detail_of(blended: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """`blended` with its fine detail scaled up to DETAIL_SHARE of `new`'s local strength (never down, at most
    DETAIL_GAIN times)."""
    coarse, strength = fine_detail(blended.float())
    wanted = fine_detail(new.float())[1]
    gain = (wanted / (strength + 1e-6)).sqrt_().mul_(DETAIL_SHARE).clamp_(1.0, DETAIL_GAIN)
    return torch.addcmul(coarse, blended.float() - coarse, gain).clamp_(0.0, 1.0).to(blended.dtype)


def remap(picture: torch.Tensor, where: np.ndarray) -> torch.Tensor:
    """1 x C x H x W (C <= 4) on the CPU, each pixel fetched from `where` (bicubic, edges repeated)."""
    image = np.ascontiguousarray(picture[0].float().permute(1, 2, 0).numpy())
    moved = cv2.remap(image, where[..., 0], where[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return torch.from_numpy(moved.reshape(*moved.shape[:2], -1)).permute(2, 0, 1)[None].to(picture.dtype)


def grid_sample(picture: torch.Tensor, where: np.ndarray) -> torch.Tensor:
    """remap on any device: grid_sample's coordinates run from -1 to 1 over the picture's outer edges."""
    height, width = where.shape[:2]
    grid = torch.from_numpy((where + 0.5) * np.array([2.0 / width, 2.0 / height], np.float32) - 1.0)
    moved = F.grid_sample(picture.float(), grid[None].to(picture.device), mode="bicubic", padding_mode="border",
                          align_corners=False)
    return moved.to(picture.dtype)
