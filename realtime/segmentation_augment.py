"""Random variations of a portrait and its mask, for fine-tuning the segmenter on few pictures.

Each sample goes through, in order: a new background behind the person (a photo from
--backgrounds or a synthetic one: gradients, blobs and texture), so the network learns the
person and not the room; a horizontal flip; a random zoom, shift and tilt that maps the picture
onto the network's input (squashed to its shape, as the app's sampling does); colour, gamma,
blur and sensor noise. The mask moves with the picture; only the background and the colours
change what the picture looks like without changing the mask.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from realtime.portraits import Portrait


@dataclass(frozen=True)
class Augmentation:
    # Mild by default: the pretrained network already knows people in rooms, and much stronger
    # variation (zoom 0.8-1.25, 12 degree tilts, a new background one time in three) cost IoU on
    # held-out portraits while fine-tuning.
    background_probability: float = 0.15
    zoom: tuple[float, float] = (0.9, 1.12)  # > 1: closer than the picture's framing
    shift: float = 0.05  # of the picture's size
    tilt_degrees: float = 5.0
    brightness: float = 0.1
    contrast: tuple[float, float] = (0.85, 1.15)
    saturation: tuple[float, float] = (0.8, 1.2)
    hue_degrees: float = 5.0
    blur_probability: float = 0.1
    noise_probability: float = 0.2
    noise_std: float = 0.02  # in 0..1 pixel units


def synthetic_background(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A made-up room: a two-colour gradient, a few soft blobs and fine texture (float32 RGB in 0..1)."""
    first, second = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    angle = rng.uniform(0, math.tau)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    background = first + (second - first) * ramp[..., None]
    for _ in range(rng.integers(0, 6)):
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (int(rng.uniform(0.05, 0.4) * width), int(rng.uniform(0.05, 0.4) * height))
        blob = np.zeros((height, width), np.float32)
        cv2.ellipse(blob, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), rng.uniform(1, 0.05 * width + 1))[..., None]
        background = background * (1 - blob) + rng.uniform(0, 1, 3) * blob
    texture = cv2.resize(rng.normal(0, 1, (max(2, height // 8), max(2, width // 8))).astype(np.float32),
                         (width, height), interpolation=cv2.INTER_CUBIC)
    background = background + rng.uniform(0, 0.08) * texture[..., None]
    return np.clip(background, 0, 1).astype(np.float32)


def behind_person(rgb: np.ndarray, mask: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The person over another background; a slightly softened mask hides the seam."""
    alpha = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None]
    return rgb * alpha + background * (1 - alpha)


def placement(height: int, width: int, out_size: tuple[int, int], settings: Augmentation,
              rng: np.random.Generator) -> np.ndarray:
    """2x3 affine matrix taking the picture onto the network's input: squashed to fit, then zoomed, shifted, tilted."""
    out_h, out_w = out_size
    zoom = math.exp(rng.uniform(*np.log(settings.zoom)))
    tilt = math.radians(rng.uniform(-settings.tilt_degrees, settings.tilt_degrees))
    dx, dy = rng.uniform(-settings.shift, settings.shift, 2) * (width, height)
    to_centre = np.array([[1, 0, -width / 2 - dx], [0, 1, -height / 2 - dy], [0, 0, 1]])
    turn = np.array([[math.cos(tilt), -math.sin(tilt), 0], [math.sin(tilt), math.cos(tilt), 0], [0, 0, 1]])
    squash = np.diag([zoom * out_w / width, zoom * out_h / height, 1])
    to_output = np.array([[1, 0, out_w / 2], [0, 1, out_h / 2], [0, 0, 1]])
    return (to_output @ squash @ turn @ to_centre)[:2].astype(np.float32)


def recolour(rgb: np.ndarray, settings: Augmentation, rng: np.random.Generator) -> np.ndarray:
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)  # float input: hue in degrees, saturation and value in 0..1
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-settings.hue_degrees, settings.hue_degrees)) % 360
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*settings.saturation), 0, 1)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    mean = rgb.mean()
    rgb = (rgb - mean) * rng.uniform(*settings.contrast) + mean + rng.uniform(-settings.brightness, settings.brightness)
    return np.clip(rgb, 0, 1) ** rng.uniform(0.8, 1.25)


def augmented(portrait: Portrait, out_size: tuple[int, int], settings: Augmentation, rng: np.random.Generator,
              backgrounds: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One random variation: (RGB float32 out_h x out_w x 3 in 0..1, mask float32 out_h x out_w in 0..1)."""
    rgb = cv2.cvtColor(portrait.image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    mask = portrait.mask
    height, width = mask.shape
    if rng.random() < settings.background_probability:
        if backgrounds and rng.random() < 0.5:
            photo = backgrounds[rng.integers(len(backgrounds))]
            background = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
        else:
            background = synthetic_background(height, width, rng)
        rgb = behind_person(rgb, mask, background)
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    matrix = placement(height, width, out_size, settings, rng)
    size = (out_size[1], out_size[0])
    rgb = cv2.warpAffine(np.ascontiguousarray(rgb), matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = cv2.warpAffine(np.ascontiguousarray(mask), matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    rgb = recolour(rgb, settings, rng)
    if rng.random() < settings.blur_probability:
        rgb = cv2.GaussianBlur(rgb, (0, 0), rng.uniform(0.5, 1.5))
    if rng.random() < settings.noise_probability:
        rgb = rgb + rng.normal(0, rng.uniform(0, settings.noise_std), rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 1).astype(np.float32), mask.astype(np.float32)
