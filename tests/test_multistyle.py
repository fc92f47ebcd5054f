"""The 26-style conditional instance norm network, ported (tools/port_multistyle.py): the port computes what the
wheel's ONNX graph computes, the shipped pack is what the tool converts, its styles are found by name and blend
exactly in their norm parameters, and a new painting trains into it as a slot of its own."""
from __future__ import annotations

import cv2
import numpy as np
import onnx
import onnxruntime
import pytest
import skimage
import torch
from conftest import pattern_frame, run_cli
from test_train import write_photos

from realtime.app.remote import RemoteControl
from realtime.assets import SHIPPED_CHECKPOINTS
from realtime.engine.style_cache import PictureStyles
from realtime.engine.style_engine import StyleEngine
from realtime.errors import UserError
from realtime.io.images import bgr_to_tensor, fit_long_side, tensor_to_bgr
from realtime.look import Look
from realtime.model.multistyle import MultistyleNet, slot_weights
from realtime.settings import TrainConfig
from realtime.styles.checkpoint import load_style, save_style
from realtime.styles.registry import StyleRegistry
from realtime.train import train
from tools.port_multistyle import MODEL_FILE, port, wheel_model

PACK = SHIPPED_CHECKPOINTS / "multistyle26.pack.pt"


@pytest.fixture(scope="module")
def graph():
    return onnx.load(str(wheel_model(MODEL_FILE)))


@pytest.fixture(scope="module")
def pack() -> MultistyleNet:
    return load_style(PACK)[0]


def photo(name: str, long_side: int) -> torch.Tensor:
    return bgr_to_tensor(fit_long_side(getattr(skimage.data, name)()[:, :, ::-1], long_side))


def test_the_port_computes_the_wheels_graph_at_any_size(graph, pack):
    session = onnxruntime.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    for name, long_side, slots in (("astronaut", 256, (19,)), ("coffee", 203, (24, 3)), ("chelsea", 301, (0, 25))):
        content = photo(name, long_side)  # 256x256, 203x152, 301x226: sizes that are no multiple of 4 too
        weights = slot_weights(pack.slots, slots, 0.3)
        expected = session.run(None, {"image": content.numpy(), "style_weights": np.array(weights, np.float32)})[0]
        with torch.no_grad():
            ours = pack.set_mix(weights)(content).numpy()
        assert ours.shape == expected.shape and np.abs(ours - expected).max() <= 1e-4


def test_the_shipped_pack_is_what_the_tool_converts(graph, pack):
    converted = port(graph).state_dict()
    assert converted.keys() == pack.state_dict().keys() and pack.slots == 26
    for key, value in converted.items():
        if not key.endswith(".mix"):
            assert torch.equal(value, pack.state_dict()[key]), key


def test_a_blend_of_weight_0_and_1_is_each_style_alone_and_between_is_the_norms_blend(pack):
    content = photo("astronaut", 128)
    registry = StyleRegistry()
    engine = StyleEngine(registry, torch.device("cpu"), "multistyle", precision="fp32")
    frame = tensor_to_bgr(content)
    alone = {name: engine.process(frame, Look(name)) for name in ("electric_strokes", "ice_blue")}
    for mix, expected in ((0.0, alone["electric_strokes"]), (1.0, alone["ice_blue"])):
        blended = StyleEngine(registry, torch.device("cpu"), "multistyle", precision="fp32", pictures=PictureStyles(mix))
        assert np.array_equal(blended.process(frame, Look("electric_strokes,ice_blue")), expected)
    halfway = pack.single([0.5 if slot in (3, 14) else 0.0 for slot in range(pack.slots)])
    with torch.no_grad():
        expected = tensor_to_bgr(halfway(content))
    got = engine.process(frame, Look("electric_strokes,ice_blue"))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    assert np.abs(got.astype(int) - alone["electric_strokes"].astype(int)).mean() > 5  # a blend, not either style


def test_the_pack_names_its_styles_and_refuses_mixes_it_cannot_make(tmp_path):
    registry = StyleRegistry()
    assert {"ice_blue", "red_embers", "woven_bands"} <= set(registry.pack_names())
    assert registry.resolve("ice_blue", "magenta").slots == (14,)  # only in the pack: its network, whatever asked
    (tmp_path / "multistyle26.pack.json").symlink_to(SHIPPED_CHECKPOINTS / "multistyle26.pack.json")
    (tmp_path / "multistyle26.pack.pt").symlink_to(PACK)
    pack_only = StyleRegistry(tmp_path)
    assert len(pack_only.pack_names()) == 26 and pack_only.resolve("starry_night", "multistyle").slots == (19,)
    assert pack_only.slot_meta("great_wave")["style_image"] == "hokusai_great_wave.jpg"
    for names in ("ice_blue,udnie.jpg", "ice_blue,nowhere", "ice_blue,woven_bands,red_embers"):
        with pytest.raises(UserError, match="two styles of one pack"):
            registry.resolve(names, "multistyle")


def test_the_remote_takes_two_styles_of_a_pack_and_the_engine_paints_their_mix():
    registry = StyleRegistry()
    remote = RemoteControl(registry.names(), packs=registry.packs())
    assert remote.submit("style", "ice_blue, red_embers", "test") == ("style", "ice_blue,red_embers")
    for bad in ("ice_blue,udnie", "ice_blue,nowhere", "ice_blue,red_embers,woven_bands"):
        with pytest.raises(ValueError, match="two styles of one pack, e.g."):
            remote.submit("style", bad, "test")
    assert remote.pending() == [("style", "ice_blue,red_embers")]
    engine = StyleEngine(registry, torch.device("cpu"), "multistyle", precision="fp32", pictures=PictureStyles(0.3))
    frame = pattern_frame(0, 96, 64)
    mixed, *alone = (engine.process(frame, Look(name, stabilize=0)) for name in
                     ("ice_blue,red_embers", "ice_blue", "red_embers"))
    assert engine.style("ice_blue,red_embers").mix[14] == pytest.approx(0.7)
    assert all(np.abs(mixed.astype(int) - one).mean() > 1 for one in alone)


def test_a_pack_with_a_bad_slot_or_file_fails_in_one_line(tmp_path):
    (tmp_path / "broken.pack.json").write_text('{"network": "broken.pack.pt"}')
    with pytest.raises(UserError, match="is not a style pack"):
        StyleRegistry(tmp_path)
    (tmp_path / "broken.pack.json").write_text('{"network": "multistyle26.pack.pt", "styles": {"far": 40}}')
    (tmp_path / "multistyle26.pack.pt").symlink_to(PACK)
    engine = StyleEngine(StyleRegistry(tmp_path), torch.device("cpu"), "multistyle", precision="fp32")
    with pytest.raises(UserError, match="slot 40 is not in a pack of 26"):
        engine.process(pattern_frame(0, 64, 48), Look("far"))


@pytest.mark.slow
def test_a_painting_trains_into_a_new_slot_from_the_nearest_and_changes_only_norms(tmp_path):
    """Dumoulin et al.'s way to add a style: the nearest slot's norms, trained; every convolution stays the pack's."""
    write_photos(tmp_path / "photos", 8, size=64)
    painting = tmp_path / "painting.png"
    stripes = np.zeros((96, 96, 3), np.uint8)
    stripes[:, ::8] = (40, 200, 250)
    cv2.imwrite(str(painting), stripes)
    common = dict(style_image=painting, data=tmp_path / "photos", model="multistyle", image_size=64, style_size=96,
                  train_layers="norms", temporal_weight=0.0, steady_steps=0, preview_every=50, mixed_precision=False,
                  checkpoints=tmp_path / "styles", learning_rate=5e-3)
    first = train(TrainConfig(name="stripes0", steps=1, run_dir=tmp_path / "run0", **common))
    trained = train(TrainConfig(name="stripes", steps=12, run_dir=tmp_path / "run", **common))
    start, meta = load_style(first)
    net, _ = load_style(trained)
    slot = meta["fine_tuned_from"]["training"]["nearest_slot"]
    pack = load_style(PACK)[0]
    for key, value in net.state_dict().items():
        if key.endswith(".weight"):  # a convolution: the pack's
            assert torch.equal(value, pack.state_dict()[key]), key
    assert any(not torch.equal(value, pack.state_dict()[key][slot:slot + 1]) for key, value in net.state_dict().items()
               if key.endswith((".scale", ".shift")))
    log = [line.split(",") for line in (tmp_path / "run" / "losses.csv").read_text().splitlines()[1:]]
    style_column = (tmp_path / "run" / "losses.csv").read_text().splitlines()[0].split(",").index("style")
    assert float(log[-1][style_column]) < float(log[0][style_column])
    assert start.slots == net.slots == 1


def test_a_pack_style_trains_as_a_one_slot_network_through_the_cli(tmp_path):
    write_photos(tmp_path / "photos", 6, size=64)
    result = run_cli("train", "--model", "multistyle", "--teacher", "ice_blue", "--init-from", "ice_blue", "--name",
                           "ice_steady", "--data", str(tmp_path / "photos"), "--steps", "2", "--image-size", "64",
                           "--checkpoints", str(tmp_path / "styles"), "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    net, meta = load_style(tmp_path / "styles" / "ice_steady.multistyle.pt")
    assert net.slots == 1 and meta["distilled_from"]["file"] == "ice_blue.multistyle.slot.pt"



def test_a_trained_network_of_a_pack_styles_name_is_chosen_over_the_slot(tmp_path, pack):
    (tmp_path / "multistyle26.pack.pt").symlink_to(PACK)
    (tmp_path / "multistyle26.pack.json").write_text('{"network": "multistyle26.pack.pt", "styles": {"stars": 19, "waves": 24}}')
    save_style(tmp_path / "stars.multistyle.pt", pack.single(slot_weights(26, (19,), 0.0)), "multistyle", {"name": "stars"})
    registry = StyleRegistry(tmp_path)
    ref = registry.resolve("stars", "multistyle")
    assert ref.path == tmp_path / "stars.multistyle.pt" and ref.slots == ()
    assert registry.pack_names() == ["waves"]


def test_a_change_between_styles_of_the_pack_fades_in_the_norm_parameters():
    """Within a pack the engine goes through the styles in between over STYLE_FADE_SECONDS (the stream's clock,
    here a stand-in), so the window does not crossfade pictures for it; other styles crossfade as before."""
    from realtime.look import STYLE_FADE_SECONDS

    engine = StyleEngine(StyleRegistry(), torch.device("cpu"), "multistyle", precision="fp32")
    frame = tensor_to_bgr(photo("astronaut", 128))
    alone = {name: engine.process(frame, Look(name)) for name in ("ice_blue", "red_embers")}
    now = [0.0]
    stream = engine.new_stream()
    stream.fade.clock = lambda: now[0]
    assert np.array_equal(engine.process(frame, Look("ice_blue"), stream), alone["ice_blue"])
    assert np.array_equal(engine.process(frame, Look("red_embers"), stream), alone["ice_blue"])  # the fade starts
    now[0] = STYLE_FADE_SECONDS / 2
    halfway = engine.process(frame, Look("red_embers"), stream)
    for name in alone:
        assert np.abs(halfway.astype(int) - alone[name].astype(int)).mean() > 5, name
    now[0] = STYLE_FADE_SECONDS
    assert np.array_equal(engine.process(frame, Look("red_embers"), stream), alone["red_embers"])
    assert engine.crossfade_key("ice_blue") == engine.crossfade_key("red_embers") != engine.crossfade_key("starry_night")


def test_a_pack_style_exports_as_the_network_painting_it(tmp_path):
    from realtime.export import export_torchscript

    path = export_torchscript(StyleRegistry(), "red_embers", "multistyle", tmp_path / "red_embers.ts")
    frame = tensor_to_bgr(photo("coffee", 96))
    engine = StyleEngine(StyleRegistry(), torch.device("cpu"), "multistyle", precision="fp32")
    exported = StyleEngine(StyleRegistry(), torch.device("cpu"), "multistyle", precision="fp32")
    got, expected = exported.process(frame, Look(str(path))), engine.process(frame, Look("red_embers"))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
