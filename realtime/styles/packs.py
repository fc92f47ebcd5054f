"""Style packs: the named slots of one conditional instance norm network (model/multistyle.py).

A pack style is loaded as the pack's network painting its slot (or two slots mixed, `--mix`). To train
from one (`realtime train --init-from`/`--teacher`), the slot is written out first as a one-slot network
of its own. A new painting starts from the slot whose style is nearest to it (Gram distance on the
training photos), and learns only the norms' scales and shifts (`--train-layers norms`, Dumoulin et al.'s
way of adding a style), or every weight.
"""
from __future__ import annotations

from pathlib import Path

import torch

from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.model.multistyle import MultistyleNet, slot_weights
from realtime.model.vgg import STYLE_LAYERS, VGGEncoder, gram
from realtime.styles.checkpoint import load_style, save_style
from realtime.styles.registry import PACK_MODEL, StyleRef, StyleRegistry


def load_pack_style(ref: StyleRef, registry: StyleRegistry, mix: float = 0.5) -> tuple[MultistyleNet, dict]:
    """The pack's network set to paint a style of it (or two mixed with `mix` of the second), with the style's
    metadata (the painting it shows, where the pack names one)."""
    net, meta = load_style(ref.path)
    if not isinstance(net, MultistyleNet):
        raise TypeError(f"{ref.path} is not a style pack's network")
    net.set_mix(slot_weights(net.slots, ref.slots, mix))
    return net, {**meta, "name": ref.name, **registry.slot_meta(ref.name)}


def style_file(registry: StyleRegistry, name: str, model: str, folder: Path) -> Path:
    """The checkpoint of a style to train from: its own file, or a pack style written out as a one-slot network."""
    ref = registry.resolve(name, model)
    if not ref.slots:
        return ref.path
    net, meta = load_pack_style(ref, registry)
    path = folder / f"{ref.name}.{PACK_MODEL}.slot.pt"
    save_style(path, net.single(net.norms()[0].mix.tolist()), PACK_MODEL, meta)
    return path


SHIPPED_PACK = SHIPPED_CHECKPOINTS / "multistyle26.pack.pt"  # where a new painting's slot starts


def nearest_start(painting: torch.Tensor, photos: torch.Tensor, pack_path: Path = SHIPPED_PACK) -> tuple[MultistyleNet, dict]:
    """A one-slot network to learn a painting from: the shipped pack's slot nearest to it, and where it came from."""
    pack, _ = load_style(pack_path)
    slot, distances = nearest_slot(pack, photos, painting, VGGEncoder(STYLE_LAYERS[-1]))
    start = pack.single(slot_weights(pack.slots, (slot,), 0.0))
    return start, {"file": pack_path.name, "training": {"nearest_slot": slot, "gram_distance": round(distances[slot], 4)}}


@torch.no_grad()
def nearest_slot(pack: MultistyleNet, photos: torch.Tensor, painting: torch.Tensor, encoder: VGGEncoder) -> tuple[int, list[float]]:
    """The slot whose paintings of `photos` (N x 3 x H x W) are nearest to `painting` in Gram distance
    (relu1_1..relu4_1, each over the painting's mean square), and every slot's distance."""
    target = {layer: gram(value) for layer, value in encoder(painting, STYLE_LAYERS).items()}
    distances = []
    for slot in range(pack.slots):
        pack.set_mix(slot_weights(pack.slots, (slot,), 0.0))
        features = encoder(pack(photos), STYLE_LAYERS)
        distances.append(sum(float((gram(features[k]) - target[k]).pow(2).mean() / target[k].pow(2).mean())
                             for k in STYLE_LAYERS))
    return min(range(pack.slots), key=distances.__getitem__), distances
