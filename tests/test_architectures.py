"""A new style architecture is a module and a row of model/architectures.py's ARCHITECTURES: registered at
runtime here, it is trained, saved, found by name, loaded and run through the app's ordinary paths."""
from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
from conftest import pattern_frame

from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, tensor_to_bgr
from realtime.look import Look
from realtime.model.architectures import ARCHITECTURES, MODELS, StyleArchitecture
from realtime.settings import TrainConfig
from realtime.styles.checkpoint import load_style, save_style
from realtime.styles.registry import StyleRegistry

# The new file: a network that maps RGB in [0, 1] to RGB in [0, 1], and its builder.
TINY_NET = textwrap.dedent('''
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self, channels: int):
            super().__init__()
            self.inner = nn.Conv2d(3, channels, 3, padding=1)
            self.outer = nn.Conv2d(channels, 3, 1)

        def forward(self, rgb: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.outer(torch.relu(self.inner(rgb))))

    def build(config: dict) -> TinyNet:
        return TinyNet(**config)
''')


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> StyleArchitecture:
    (tmp_path / "tiny_style_net.py").write_text(TINY_NET)
    monkeypatch.syspath_prepend(str(tmp_path))
    row = StyleArchitecture("tiny_style_net:build", {"channels": 4}, "a two-layer test network")
    monkeypatch.setitem(ARCHITECTURES, "tiny", row)  # the table row
    return row


def test_every_shipped_row_builds_the_network_its_checkpoints_hold():
    assert MODELS == tuple(ARCHITECTURES) == ("magenta", "fast", "lite", "multistyle", "full")
    for name, row in ARCHITECTURES.items():
        net = row.build()
        assert net(torch.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32), name


def test_a_new_architecture_saves_loads_and_runs_by_name(tiny, tmp_path):
    torch.manual_seed(0)
    net = tiny.build().eval()
    save_style(tmp_path / "styles" / "dots.tiny.pt", net, "tiny", {"name": "dots"})
    loaded, meta = load_style(tmp_path / "styles" / "dots.tiny.pt")
    assert type(loaded).__name__ == "TinyNet" and meta["architecture"] == {"channels": 4}
    registry = StyleRegistry(tmp_path / "styles")
    assert registry.resolve("dots", "tiny").model == "tiny"
    engine = StyleEngine(registry, torch.device("cpu"), "tiny", precision="fp32")
    frame = pattern_frame(2, 64, 48)
    got = engine.process(frame, Look("dots"))
    with torch.no_grad():
        expected = tensor_to_bgr(net(bgr_to_tensor(frame)))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_a_checkpoint_naming_an_unknown_network_fails_in_one_line(tiny, tmp_path, monkeypatch):
    save_style(tmp_path / "dots.tiny.pt", tiny.build(), "tiny", {"name": "dots"})
    monkeypatch.delitem(ARCHITECTURES, "tiny")
    with pytest.raises(UserError, match="'tiny' network, which this version does not know"):
        load_style(tmp_path / "dots.tiny.pt")


def test_a_new_architecture_trains_with_its_rows_recipe(tiny, tmp_path, style_dir):
    from test_train import write_photos

    from realtime.train import train

    write_photos(tmp_path / "photos", 6)
    config = TrainConfig(style_image=None, teacher=style_dir / "warm.lite.pt", name="warm", model="tiny",
                         data=tmp_path / "photos", image_size=32, batch_size=1, steps=2, checkpoints=tmp_path / "ck",
                         run_dir=tmp_path / "run", preview_every=2, save_every=2)
    assert config.resolved().steps == 2 and config.resolved().style_size == 384  # Johnson's recipe
    path = train(config)
    assert path == tmp_path / "ck" / "warm.tiny.pt"
    net, meta = load_style(path)
    assert type(net).__name__ == "TinyNet" and meta["variant"] == "tiny"
