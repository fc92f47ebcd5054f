"""Any picture as a style, live: Magenta's arbitrary stylization network (Ghiasi et al. 2017).

The style predictor turns the picture into a 100-number vector once, when the style is loaded;
the conditioner turns the vector into the transformer's instance-norm scales and shifts. The
result is an ordinary MAGENTA style network (model/architectures.py), which the engine runs like
a trained style: TorchScript, its precision, channels-last, the inference size, the stabilizer.
Several pictures mix their vectors (`--mix`). The trained bundled styles start from this
network conditioned on their painting's vector (realtime/train.py).

The weights (checkpoints/magenta_arbitrary.pt) were converted once by
tools/port_magenta.py; nothing here needs ONNX.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.styles.adain import load_style_picture, mix_weights
from realtime.errors import UserError
from realtime.model.style_predictor import PICTURE_SIZE, StyleConditioner, StylePredictor
from realtime.model.architectures import MAGENTA, Architecture
from realtime.model.transformer import TransformerNet

ARBITRARY_FORMAT = "realtime-arbitrary/1"
ARBITRARY_NETWORK = SHIPPED_CHECKPOINTS / "magenta_arbitrary.pt"
METHOD = "Magenta arbitrary stylization (Ghiasi et al. 2017): style predictor + conditional instance norm"


def predictor_input(picture: torch.Tensor) -> torch.Tensor:
    """1 x 3 x H x W RGB -> the predictor's 256x256: the central square, resized."""
    height, width = picture.shape[-2:]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = picture[..., top:top + side, left:left + side]
    return F.interpolate(square, size=(PICTURE_SIZE, PICTURE_SIZE), mode="bilinear", antialias=True, align_corners=False)


class ArbitraryNetwork:
    """The predictor, the conditioner and the transformer's convolutions, on the CPU in fp32."""

    def __init__(self, path: Path = ARBITRARY_NETWORK):
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError) as exc:
            raise UserError(f"cannot load the arbitrary-style network {path}: {exc.__class__.__name__}; "
                            f"reinstall realtime (it ships in {SHIPPED_CHECKPOINTS})") from exc
        if not isinstance(payload, dict) or payload.get("format") != ARBITRARY_FORMAT:
            raise UserError(f"{path} is not the arbitrary-style network ({ARBITRARY_FORMAT}); reinstall realtime")
        self.architecture = Architecture(**payload["architecture"])
        self.convolutions: dict[str, torch.Tensor] = payload["transformer"]
        self.conditioner = StyleConditioner([(name, int(channels)) for name, channels in payload["norms"]])
        self.conditioner.load_state_dict(payload["conditioner"])
        self.predictor = StylePredictor()
        self.predictor.load_state_dict(payload["predictor"])
        self.conditioner.eval(), self.predictor.eval()
        self.meta = dict(payload["meta"])

    @torch.no_grad()
    def style_vector(self, picture: torch.Tensor) -> torch.Tensor:
        """1 x 3 x H x W RGB in [0, 1] -> its 100-number style vector."""
        return self.predictor(predictor_input(picture))[0]

    def network(self, vector: torch.Tensor) -> TransformerNet:
        """The transformer with its norms set from a style vector, in eval mode, trainable."""
        net = TransformerNet(self.architecture)
        with torch.no_grad():
            norms = {key: value.clone() for key, value in self.conditioner(vector).items()}
        net.load_state_dict({**self.convolutions, **norms})
        return net.eval()


@functools.cache
def arbitrary_network() -> ArbitraryNetwork:
    """Loaded once a process (a few MB)."""
    return ArbitraryNetwork()


def blended_vector(pictures: Sequence[Path], mix: float = 0.5) -> torch.Tensor:
    """One picture's style vector, or a blend of several (two: 1 - mix and mix; more: equal parts)."""
    network = arbitrary_network()
    vectors = [network.style_vector(load_style_picture(path)) for path in pictures]
    return sum(weight * vector for weight, vector in zip(mix_weights(len(pictures), mix), vectors))


def arbitrary_style(pictures: Sequence[Path], mix: float = 0.5) -> tuple[TransformerNet, dict]:
    """The style network for one picture or a blend of several, with metadata like a trained style's."""
    name = " + ".join(path.stem for path in pictures)
    meta = {"name": name, "style_image": ", ".join(path.name for path in pictures), "painting": {"title": name},
            "method": METHOD, "architecture": MAGENTA.to_dict()}
    if len(pictures) > 1:
        meta["mix"] = dict(zip((path.name for path in pictures), mix_weights(len(pictures), mix)))
    return arbitrary_network().network(blended_vector(pictures, mix)), meta
