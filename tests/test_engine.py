"""Engine: compositing is exact, sizes are kept, and pytorch/examples checkpoints load."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import OrderedDict

import cv2
import numpy as np
import pytest
import torch
from conftest import pattern_frame

from realtime.engine.sizes import STROKE_REFERENCE_SIZE, multiple_of_4, resolve_inference_size
from realtime.engine.style_engine import Sizes, StyleEngine
from realtime.errors import UserError
from realtime.export import export_torchscript
from realtime.io.images import bgr_to_tensor, tensor_to_bgr
from realtime.look import Look
from realtime.model.architectures import FULL, LITE, Architecture
from realtime.model.transformer import TransformerNet
from realtime.styles.checkpoint import load_style, save_style
from realtime.styles.registry import StyleRegistry


@pytest.fixture()
def engine(style_dir):
    return StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite")


def test_output_has_the_processing_size(engine, style_dir):
    frame = pattern_frame(0, 250, 130)
    assert engine.process(frame, Look("warm")).shape == (130, 250, 3)
    sized = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", sizes=Sizes(output=(96, 64)))
    assert sized.process(frame, Look("warm")).shape == (64, 96, 3)


def test_strength_zero_gives_the_original(engine):
    frame = pattern_frame(3, 160, 96)
    assert np.array_equal(engine.process(frame, Look("warm", strength=0.0)), frame)


def test_full_strength_is_the_network_output(style_dir):
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32")
    frame = pattern_frame(3, 160, 96)
    net, _ = load_style(style_dir / "warm.lite.pt")
    with torch.no_grad():
        expected = tensor_to_bgr(net(bgr_to_tensor(frame)))
    got = engine.process(frame, Look("warm"))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_bfloat16_keeps_the_look(style_dir):
    frame = pattern_frame(3, 160, 96)
    exact = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32").process(frame, Look("cool"))
    fast = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="bf16").process(frame, Look("cool"))
    difference = np.abs(fast.astype(int) - exact.astype(int))
    assert difference.mean() < 1.5 and np.percentile(difference, 99) <= 6


def test_half_strength_is_the_blend(engine):
    frame = pattern_frame(3, 160, 96)
    full = engine.process(frame, Look("warm")).astype(float)
    half = engine.process(frame, Look("warm", strength=0.5)).astype(float)
    assert np.abs(half - (full + frame) / 2).max() <= 1.0


def test_compare_shows_the_original_on_the_left(engine):
    frame = pattern_frame(3, 160, 96)
    out = engine.process(frame, Look("warm", compare=True))
    assert np.array_equal(out[:, :80], frame[:, :80])
    assert not np.array_equal(out[:, 80:], frame[:, 80:])


def test_mirror_flips_the_frame(engine):
    frame = pattern_frame(3, 160, 96)
    mirrored = engine.process(frame, Look("warm", strength=0.0, mirror=True))
    assert np.array_equal(mirrored, frame[:, ::-1])


def test_inference_size_auto_is_reduced_for_live_cpu_and_keeps_strokes_relative_in_files():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_inference_size("auto", cpu, live=True, model="lite") == (384, 216)
    assert resolve_inference_size("auto", cpu, live=True, model="fast") == (512, 288)  # as fast as lite at 384x216
    # image and file modes: near the size the styles were made for, whatever the picture's size
    assert resolve_inference_size("auto", cpu, live=False, model="fast") == STROKE_REFERENCE_SIZE
    assert resolve_inference_size("auto", cuda, live=False, model="fast") == STROKE_REFERENCE_SIZE
    assert resolve_inference_size("auto", cuda, live=True, model="full") is None
    assert resolve_inference_size("full", cpu, live=True, model="lite") is None
    assert resolve_inference_size((640, 360), cpu, live=False, model="lite") == (640, 360)


def test_inference_size_keeps_the_aspect_and_is_divisible_by_4(style_dir):
    capped = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", sizes=Sizes(inference=(384, 216)))
    width, height = capped.inference_size(1920, 1080)
    assert width % 4 == 0 and height % 4 == 0
    assert width * height <= 384 * 216 * 1.05 and abs(width / height - 16 / 9) < 0.05
    assert capped.inference_size(160, 96) == (160, 96)
    full = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite")
    assert full.inference_size(1920, 1080) == (1920, 1080)
    assert multiple_of_4(97) == 96


def test_stroke_scale_runs_the_network_smaller_for_larger_strokes(style_dir):
    """Stroke scale 2 halves the network's width and height (strokes twice as large on the frame), at any cap;
    0.5 doubles them up to the frame's size."""
    capped = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", sizes=Sizes(inference=(960, 540)))
    assert capped.inference_size(6000, 4000) == (880, 588)
    assert capped.inference_size(6000, 4000, stroke_scale=2.0) == (440, 292)
    assert capped.inference_size(640, 360, stroke_scale=2.0) == (320, 180)
    assert capped.inference_size(640, 360, stroke_scale=0.5) == (640, 360)
    sizes = []
    net = StyleRegistry(style_dir)
    engine = StyleEngine(net, torch.device("cpu"), "lite", precision="fp32")
    module = engine.style("warm").module
    engine.styles._styles["warm"].module = lambda x: sizes.append(tuple(x.shape[-2:])) or module(x)
    out = engine.process(pattern_frame(0, 160, 96), Look("warm", stroke_scale=2.0))
    assert sizes == [(48, 80)] and out.shape == (96, 160, 3)


def examples_state_dict(net: TransformerNet) -> OrderedDict:
    """The same weights laid out like a pytorch/examples fast_neural_style .pth file (old PyTorch)."""
    state = OrderedDict()
    for key, value in net.state_dict().items():
        if key.startswith("residual."):
            _, block, rest = key.split(".", 2)
            key = f"res{int(block) + 1}.{rest}"
        state[key] = value.clone()
        if key.endswith(".bias") and key.split(".")[-2].startswith("in"):
            prefix = key[: -len("bias")]
            state[prefix + "running_mean"] = torch.zeros_like(value)
            state[prefix + "running_var"] = torch.ones_like(value)
    return state


def test_pytorch_examples_checkpoint_loads_and_matches(tmp_path, style_dir):
    torch.manual_seed(0)
    examples_arch = Architecture(FULL.base_channels, FULL.residual_blocks, pixel_range=255.0, bounded_output=False)
    reference = TransformerNet(examples_arch).eval()
    path = tmp_path / "mosaic.pth"
    torch.save(examples_state_dict(reference), path)
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "full", precision="fp32")
    frame = pattern_frame(5, 128, 96)
    with torch.no_grad():
        expected = tensor_to_bgr(reference(bgr_to_tensor(frame)))
    got = engine.process(frame, Look(str(path)))
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1
    assert engine.style(str(path)).meta["architecture"]["pixel_range"] == 255.0


def test_registry_prefers_the_asked_model_and_suggests_names(style_dir):
    registry = StyleRegistry(style_dir)
    assert registry.names() == ["cool", "warm"]
    assert registry.resolve("warm", "full").model == "lite"  # the only one there
    assert registry.resolve("warm", "fast").model == "lite"
    with pytest.raises(UserError, match="did you mean 'cool'"):
        registry.resolve("coll", "lite")


def test_a_style_without_the_asked_network_runs_its_lite_one(tmp_path):
    """--model auto asks for fast on a CPU; a style trained as lite and full runs its lite network there."""
    for model in ("full", "lite"):
        save_style(tmp_path / f"both.{model}.pt", TransformerNet(FULL if model == "full" else LITE),
                   model, {"name": "both"})
    registry = StyleRegistry(tmp_path)
    assert [registry.resolve("both", asked).model for asked in ("fast", "lite", "full")] == ["lite", "lite", "full"]


def test_a_style_ref_says_its_kind_and_size(style_dir, tmp_path):
    """What a style is (a network, an exported one, a picture) and, found by name, which network size."""
    registry = StyleRegistry(style_dir)
    assert (registry.resolve("warm", "fast").kind, registry.resolve("warm", "fast").model) == ("network", "lite")
    by_path = registry.resolve(str(style_dir / "warm.lite.pt"), "fast")
    assert (by_path.kind, by_path.model) == ("network", None)
    (tmp_path / "warm.ts").write_bytes(b"x")
    assert registry.resolve(str(tmp_path / "warm.ts"), "fast").kind == "exported"
    cv2.imwrite(str(tmp_path / "dots.png"), np.zeros((8, 8, 3), np.uint8))
    picture = registry.resolve(str(tmp_path / "dots.png"), "fast")
    assert (picture.kind, picture.model, picture.pictures) == ("picture", None, (tmp_path / "dots.png",))


def test_exported_torchscript_runs_in_the_engine(style_dir, tmp_path):
    path = export_torchscript(StyleRegistry(style_dir), "cool", "lite", tmp_path / "cool.ts")
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite")
    frame = pattern_frame(1, 64, 48)
    assert np.abs(engine.process(frame, Look(str(path))).astype(int) - engine.process(frame, Look("cool")).astype(int)).max() <= 1


OUT_OF_MEMORY_SCRIPT = """
import logging, resource, sys
from pathlib import Path
import numpy as np, torch
from realtime.engine.style_engine import Look, StyleEngine
from realtime.styles.registry import StyleRegistry

def virtual_mb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith(field))

logging.basicConfig(format="%(message)s")
engine = StyleEngine(StyleRegistry(Path(sys.argv[1])), torch.device("cpu"), "lite", precision="fp32")
frame = np.random.default_rng(0).integers(0, 255, (1080, 1920, 3), np.uint8)
engine.process(frame[:90, :160], Look("warm"))  # libraries and threads are loaded
# A full-HD frame at the size the engine will end at: its convolutions are built and what it needs is known.
before = virtual_mb("VmSize")
engine.max_inference_pixels = 960 * 540
engine.process(frame, Look("warm"))
needed = virtual_mb("VmPeak") - before
engine.max_inference_pixels = None  # the network at 1920x1080 needs several times more
cap = virtual_mb("VmSize") + needed + 150
resource.setrlimit(resource.RLIMIT_AS, (cap * 2**20, resource.RLIM_INFINITY))
try:
    out = engine.process(frame, Look("warm"))
except Exception:
    print(f"capped at {cap} MB ({needed} MB needed at 960x540); now {virtual_mb('VmSize')} MB", file=sys.stderr)
    raise
print(out.shape, engine.inference_size(1920, 1080))
"""
# Freed memory goes back to the system at once (no per-thread arenas, no growing mmap threshold),
# so the address-space cap counts what is in use, not what glibc keeps for later.
MALLOC_RETURNS_MEMORY = {"MALLOC_ARENA_MAX": "1", "MALLOC_MMAP_THRESHOLD_": str(256 * 1024)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="limits memory with RLIMIT_AS and /proc")
def test_out_of_memory_drops_to_a_smaller_size(style_dir):
    """A real allocation failure (the address space is capped below what full HD needs) is survived."""
    result = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY_SCRIPT, str(style_dir)],
                            capture_output=True, text=True, timeout=120, env={**os.environ, **MALLOC_RETURNS_MEMORY})
    assert result.returncode == 0, result.stderr
    assert "cpu ran out of memory at 1920x1080; processing at 1356x764 from now on" in result.stderr
    shape, size = result.stdout.strip().split(") (")
    assert shape == "(1080, 1920, 3"
    width, height = map(int, size.rstrip(")").split(", "))
    assert width * height < 1920 * 1080 / 2


@pytest.mark.parametrize("change, message", [
    (lambda payload: payload["architecture"].update(attention_heads=4), "architecture this version does not know"),
    (lambda payload: payload.pop("meta"), r"damaged realtime style checkpoint \(no meta\)"),
    (lambda payload: payload.update(state_dict=[1, 2]), r"damaged realtime style checkpoint \(no state_dict\)"),
])
def test_malformed_checkpoints_are_one_line_errors(style_dir, tmp_path, change, message):
    payload = torch.load(style_dir / "warm.lite.pt", weights_only=True)
    change(payload)
    path = tmp_path / "odd.pt"
    torch.save(payload, path)
    with pytest.raises(UserError, match=message) as raised:
        load_style(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("width, height", [(1, 1), (3, 3), (1, 400), (400, 1), (7, 5)])
def test_tiny_images_are_stylized_at_their_own_size(engine, width, height):
    frame = np.random.default_rng(0).integers(0, 255, (height, width, 3), np.uint8)
    out = engine.process(frame, Look("warm"))
    assert out.shape == (height, width, 3)
    assert out[..., 2].mean() > out[..., 0].mean()  # warm: red over blue


def test_stabilizing_steadies_still_parts_and_leaves_moving_parts_alone(engine):
    """Camera noise on a still scene: the stabilized output changes much less from frame to frame. Where
    something moved (the white square), no trail: where it left, each frame is the network's own output;
    where it arrived, the square's painting, carried along the flow or new."""
    rng = np.random.default_rng(1)
    frames = [np.clip(pattern_frame(index, 160, 96).astype(int) + rng.integers(-6, 7, (96, 160, 3)), 0, 255)
              .astype(np.uint8) for index in range(8)]
    plain = [engine.process(frame, Look("cool")) for frame in frames]
    stream = engine.new_stream()  # the frames are one video: the stabilizer remembers the last
    steady = [engine.process(frame, Look("cool", stabilize=0.8), stream) for frame in frames]

    def change(outputs, rows, columns):
        return np.mean([np.abs(b[rows, columns].astype(int) - a[rows, columns].astype(int)).mean()
                        for a, b in zip(outputs, outputs[1:])])

    still = (slice(60, 96), slice(0, 160))  # below the square's row
    assert change(steady, *still) < 0.6 * change(plain, *still)
    left, arrived = (slice(34, 50), slice(24, 28)), (slice(34, 50), slice(44, 48))  # in the last frame
    assert np.abs(steady[-1][left].astype(int) - plain[-1][left].astype(int)).max() <= 6  # a trail: ~100 levels
    assert np.abs(steady[-1][arrived].astype(int) - plain[-1][arrived].astype(int)).mean() <= 2
    assert np.array_equal(steady[0], plain[0])  # nothing to keep from before the first frame


@pytest.mark.parametrize("compare", [False, True])
def test_a_still_frame_stabilized_in_fp32_gives_the_same_picture_again(style_dir, compare):
    """In fp32 at full strength the engine's output is the stabilizer's kept tensor itself: writing into it
    (the compare split, the conversion to bytes) would change what the next frame keeps."""
    engine = StyleEngine(StyleRegistry(style_dir), torch.device("cpu"), "lite", precision="fp32")
    frame = pattern_frame(2, 96, 64)
    look = Look("cool", stabilize=1.0, compare=compare)
    stream = engine.new_stream()
    first, second = engine.process(frame, look, stream), engine.process(frame, look, stream)
    assert np.array_equal(first, second)


def test_the_fast_network_has_no_full_resolution_layer_and_runs_in_the_engine(tmp_path):
    """The fast network folds 2x2 pixel blocks into channels: its first and last convolutions run at half the size
    (hooks see every conv's input), and the engine runs it in TorchScript as it runs the lite one."""
    from realtime.model.architectures import FAST

    torch.manual_seed(0)
    net = TransformerNet(FAST).eval()
    sizes = []
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(lambda _, inputs, __: sizes.append(inputs[0].shape[-2:]))
    with torch.no_grad():
        net(torch.rand(1, 3, 64, 96))
    assert max(height for height, _ in sizes) <= 32 + 2  # half of 64, plus reflection padding
    save_style(tmp_path / "quick.fast.pt", net, "fast", {"name": "quick"})
    engine = StyleEngine(StyleRegistry(tmp_path), torch.device("cpu"), "fast", precision="fp32")
    frame = pattern_frame(1, 96, 48)
    with torch.no_grad():
        expected = tensor_to_bgr(net(bgr_to_tensor(frame)))
    assert np.abs(engine.process(frame, Look("quick")).astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("batch", [1, 3])
def test_the_networks_instance_norm_is_torchs_in_every_layout(dtype, memory_format, batch):
    """One picture goes through batch norm's channels-last kernel (model/transformer.py): same values and gradients
    as nn.InstanceNorm2d, for one picture or several, channels-last or not."""
    from realtime.model.transformer import InstanceNorm

    torch.manual_seed(0)
    ours, torchs = InstanceNorm(8, affine=True), torch.nn.InstanceNorm2d(8, affine=True)
    with torch.no_grad():
        ours.weight.uniform_(0.5, 2), ours.bias.uniform_(-1, 1)
    torchs.load_state_dict(ours.state_dict())
    x = (torch.randn(batch, 8, 20, 36) * 3 + 1).to(dtype).contiguous(memory_format=memory_format)
    inputs = [x.clone().requires_grad_(True) for _ in range(2)]
    outputs = [norm.to(dtype)(value) for norm, value in zip((ours, torchs), inputs)]
    tolerance = 1e-5 if dtype == torch.float32 else 3e-2
    torch.testing.assert_close(outputs[0], outputs[1], atol=tolerance, rtol=tolerance)
    for output in outputs:
        (output.float() * torch.linspace(0, 1, 36)).sum().backward()
    torch.testing.assert_close(inputs[0].grad, inputs[1].grad, atol=tolerance * 10, rtol=tolerance * 10)
    torch.testing.assert_close(ours.weight.grad, torchs.weight.grad, atol=tolerance * 100, rtol=tolerance * 10)


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or "OMP_NUM_THREADS" in os.environ,
                    reason="the thread count is only the engine's to change on 2 or more cores, without OMP_NUM_THREADS")
def test_the_engine_runs_fewer_threads_beside_a_busy_program_and_all_again_after(engine):
    """Beside another busy program, spinning threads would take the cores the working ones wait for."""
    from realtime.measure.competing_load import competing_processes

    from realtime.engine.cpu_share import CpuShare

    # As a process tuned by tune_for_realtime() gives it (test_tuning.py), at two threads: an earlier tuned
    # engine in this process may have left torch at fewer, beside a busy machine.
    share = engine.cpu_share = CpuShare(threads=2)
    share.reset()
    assert share.threads == share.max_threads == torch.get_num_threads() >= 2
    image = pattern_frame(0, 160, 96)

    def frames_until(condition, seconds: float = 120.0) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            engine.process(image, Look(style="warm"))
        return condition()

    try:
        with competing_processes(1):
            assert frames_until(lambda: torch.get_num_threads() < share.max_threads), share.others
        assert frames_until(lambda: torch.get_num_threads() == share.max_threads), share.others
    finally:
        share.reset()


def test_the_stabilizer_follows_motion_and_leaves_no_trails():
    """A textured picture sliding right: the last output, warped along the flow, is what is kept (not the last
    output in place, which would smear every stroke); another style's output is never kept."""
    from realtime.engine.stabilizer import Stabilizer

    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (96, 200, 3), np.uint8), (0, 0), 2)
    frames = [np.ascontiguousarray(scene[:, 40 - 3 * index: 200 - 3 * index]) for index in range(2)]  # 3 px a frame
    inputs = [bgr_to_tensor(frame) for frame in frames]
    painted = [torch.rand(1, 3, 96, 160) for _ in frames]  # strokes that change completely from frame to frame
    stabilizer = Stabilizer()
    stabilizer(stabilizer.motion(frames[0], False), inputs[0], painted[0], 0.8, "style")
    steady = stabilizer(stabilizer.motion(frames[1], False), inputs[1], painted[1], 0.8, "style")
    inner = (..., slice(8, 88), slice(16, 150))
    moved_last = painted[0][..., 8:88, 13:147]  # the last output, 3 px to the right
    expected = torch.lerp(painted[1][inner], moved_last, 0.8)
    assert (steady[inner] - expected).abs().mean() < 0.05  # kept, along the motion
    assert (steady[inner] - torch.lerp(painted[1][inner], painted[0][inner], 0.8)).abs().mean() > 0.1  # not in place
    other = stabilizer(stabilizer.motion(frames[1], False), inputs[1], painted[1], 0.8, "another style")
    assert torch.equal(other, painted[1])  # another style's strokes are not kept


def test_the_stabilizer_keeps_all_of_its_share_through_sensor_noise():
    """A still scene whose next frame differs by a few levels of noise: every pixel keeps `stabilize` of the last
    output, none is taken for a change (flat outputs, so the detail restoration leaves the blend as it is)."""
    from realtime.engine.stabilizer import Stabilizer

    rng = np.random.default_rng(0)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (96, 160, 3), np.uint8), (0, 0), 2)
    noisy = np.clip(scene.astype(int) + rng.integers(-3, 4, scene.shape), 0, 255).astype(np.uint8)
    stabilizer = Stabilizer()
    stabilizer(stabilizer.motion(scene, False), bgr_to_tensor(scene), torch.full((1, 3, 96, 160), 0.2), 0.8, "style")
    steady = stabilizer(stabilizer.motion(noisy, False), bgr_to_tensor(noisy), torch.full((1, 3, 96, 160), 0.8), 0.8,
                        "style")
    assert (steady - 0.32).abs().max() < 0.01  # 0.8 + 0.8 * (0.2 - 0.8)


def test_the_stabilizers_warp_is_the_same_with_opencv_and_with_grid_sample():
    """The CPU warps with OpenCV's remap, other devices with grid_sample: the same pixels."""
    from realtime.engine.stabilizer import grid_sample, remap, source_pixels

    rng = np.random.default_rng(0)
    picture = torch.from_numpy(rng.random((1, 3, 36, 64), dtype=np.float32))
    flow = rng.normal(0, 3, (18, 32, 2)).astype(np.float32)
    where = source_pixels(flow, 64, 36)
    torch.testing.assert_close(remap(picture, where), grid_sample(picture, where), atol=2e-3, rtol=0)
