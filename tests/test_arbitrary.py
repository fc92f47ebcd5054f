"""Magenta's arbitrary stylization network, ported (tools/port_magenta.py): the port computes what the
wheel's graph computes without its quantization (run in ONNX Runtime), the shipped file is what the tool
converts, and a picture as the style runs live through the engine's paths, blends and mixes."""
from __future__ import annotations

import cv2
import numpy as np
import onnx
import onnxruntime
import pytest
import skimage
import torch
from conftest import run_cli

from realtime.engine.style_engine import Sizes, StyleEngine
from realtime.io.images import bgr_to_tensor, fit_long_side
from realtime.look import Look
from realtime.styles.arbitrary import ArbitraryNetwork, arbitrary_network, arbitrary_style, predictor_input
from realtime.styles.registry import StyleRegistry
from tools.port_magenta import float_graph, port_predictor, port_transformer, wheel_model


def photo(name: str, long_side: int) -> np.ndarray:
    return fit_long_side(getattr(skimage.data, name)()[:, :, ::-1], long_side)  # RGB -> BGR


def session(model) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def graphs():
    return {name: onnx.load(str(wheel_model(f"arbitrary_{name}.onnx"))) for name in ("predict", "transform")}


def nhwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(0, 2, 3, 1).contiguous().numpy()


def test_the_port_computes_the_wheels_graph_without_its_quantization(graphs):
    network = arbitrary_network()
    predictor, transformer = session(float_graph(graphs["predict"])), session(float_graph(graphs["transform"]))
    quantized = session(graphs["transform"])
    for style_name, content_name, long_side in (("coffee", "astronaut", 384), ("chelsea", "rocket", 320)):
        picture = predictor_input(bgr_to_tensor(photo(style_name, 512)))
        with torch.no_grad():
            ours = network.predictor(picture)[0]
        theirs = predictor.run(None, {"style_image": nhwc(picture)})[0].reshape(-1)
        assert np.abs(ours.numpy() - theirs).max() <= 1e-3
        content = bgr_to_tensor(photo(content_name, long_side))  # 384x384 and 320x213: any size
        with torch.no_grad():
            painted = network.network(ours)(content)
        inputs = [item.name for item in transformer.get_inputs()]
        expected = transformer.run(None, {inputs[0]: nhwc(content), inputs[1]: theirs.reshape(1, 1, 1, 100)})[0]
        assert np.abs(nhwc(painted) - expected).max() <= 1e-3
        if content.shape[-2:] == (384, 384):  # the int8 graph takes only its declared size
            int8 = quantized.run(None, {inputs[0]: nhwc(content), inputs[1]: theirs.reshape(1, 1, 1, 100)})[0]
            psnr = 10 * np.log10(1.0 / np.mean((int8 - expected) ** 2))
            assert 18 < psnr < 40  # its activations are quantized: close, not equal


def test_the_shipped_weights_are_what_the_tool_converts(graphs):
    shipped = ArbitraryNetwork()
    predictor = port_predictor(graphs["predict"])
    convolutions, conditioner = port_transformer(graphs["transform"])
    for key, value in predictor.state_dict().items():
        assert torch.equal(value, shipped.predictor.state_dict()[key]), key
    assert convolutions.keys() == shipped.convolutions.keys()
    assert all(torch.equal(value, shipped.convolutions[key]) for key, value in convolutions.items())
    assert conditioner.norms == shipped.conditioner.norms


def test_mixing_at_zero_and_one_is_each_picture_alone(tmp_path):
    first, second = tmp_path / "coffee.png", tmp_path / "chelsea.png"
    cv2.imwrite(str(first), photo("coffee", 300))
    cv2.imwrite(str(second), photo("chelsea", 300))
    content = bgr_to_tensor(photo("astronaut", 128))
    with torch.no_grad():
        alone = [arbitrary_style([path])[0](content) for path in (first, second)]
        mixed = [arbitrary_style([first, second], mix)[0](content) for mix in (0.0, 1.0, 0.5)]
    assert (mixed[0] - alone[0]).abs().max() < 1e-5 and (mixed[1] - alone[1]).abs().max() < 1e-5
    halfway = (mixed[2] - alone[0]).abs().mean()
    assert 0.2 < halfway / (alone[1] - alone[0]).abs().mean() < 0.8  # between the two, not either


def test_a_picture_as_style_paints_live_through_the_engine(style_dir, tmp_path):
    painting = tmp_path / "painting.png"
    cv2.imwrite(str(painting), photo("coffee", 400))
    frame = photo("astronaut", 320)
    # TorchScript, channels-last, a smaller inference size upsampled, the person mask: the engine's paths.
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "magenta", precision="fp32",
                         sizes=Sizes(inference=(160, 160)))
    style = engine.style(str(painting))
    assert isinstance(style.module, torch.jit.ScriptModule) and not style.strength_in_features
    out = engine.process(frame, Look(str(painting), stylize="person"))
    assert out.shape == frame.shape
    assert np.abs(out.astype(int) - frame.astype(int)).mean() > 10
    with torch.no_grad():  # the engine's network is the network of the picture
        alone = arbitrary_style([painting])[0](bgr_to_tensor(frame))
    full = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "magenta", precision="fp32")
    assert np.abs(full.process(frame, Look(str(painting))).astype(int)
                  - cv2.cvtColor((alone[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8),
                                 cv2.COLOR_RGB2BGR).astype(int)).max() <= 2
    half = engine.process(frame, Look(str(painting), strength=0.5))  # pixels blended with the frame
    assert np.abs(half.astype(int) - frame.astype(int)).mean() < np.abs(out.astype(int) - frame.astype(int)).mean()


def test_picture_model_option_picks_the_network_or_adain(style_dir, tmp_path):
    photo_path, painting, out = tmp_path / "photo.png", tmp_path / "painting.png", tmp_path / "out.png"
    cv2.imwrite(str(photo_path), photo("astronaut", 160))
    cv2.imwrite(str(painting), photo("coffee", 200))
    results = {}
    for model in ("magenta", "adain"):
        result = run_cli("--input", str(photo_path), "--style", str(painting), "--picture-model", model,
                         "--output", str(out), checkpoints=style_dir)
        assert result.returncode == 0, result.stderr
        results[model] = cv2.imread(str(out)).astype(int)
    assert np.abs(results["magenta"] - results["adain"]).mean() > 5  # two different painters
    result = run_cli("--input", str(photo_path), "--style", str(painting), "--picture-model", "gatys",
                     "--output", str(out), checkpoints=style_dir)
    assert result.returncode == 2 and "--picture-model" in result.stderr
