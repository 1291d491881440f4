"""Training the learned line model: data generator, exact targets, factored storage, the loop, the CLI."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from mnist_handwriting.cli import main
from mnist_handwriting.errors import UserError
from mnist_handwriting.render.exact import draw_trajectory
from mnist_handwriting.render.learned_line import load_line_model
from mnist_handwriting.render.learned_line import LineModel
from mnist_handwriting.train.line_model import (evaluate_line_model, exact_segment_images, random_segments,
                                                save_line_model, train_line_model)
from weights_files import metadata


def test_random_segments_follow_the_notes_generator():
    segments = random_segments(20000, torch.Generator().manual_seed(0))
    assert segments.shape == (20000, 6) and segments.min() >= 0 and segments.max() < 1 + 1e-6
    flags = segments[:, [2, 5]]
    assert set(flags.unique().tolist()) == {0.0, 1.0}
    assert abs(flags.mean().item() - 0.2) < 0.01


def test_soft_pen_values_lie_between_the_notes_flags():
    segments = random_segments(20000, torch.Generator().manual_seed(0), pen="soft")
    flags = segments[:, [2, 5]]
    between = ((flags > 0) & (flags < 1)).float().mean().item()
    assert abs(between - 0.4) < 0.01 and flags.min() >= 0 and flags.max() <= 1
    with pytest.raises(ValueError, match="pen mode"):
        random_segments(4, torch.Generator(), pen="grey")


def test_exact_targets_fade_with_the_pen_value():
    line = exact_segment_images(torch.tensor([[0.1, 0.5, 0.0, 0.9, 0.5, 0.0]]))[0]
    faded = exact_segment_images(torch.tensor([[0.1, 0.5, 0.25, 0.9, 0.5, 0.0]]))[0]
    torch.testing.assert_close(faded, 0.75 * line)


def test_exact_targets_are_blank_when_the_pen_is_up():
    segments = torch.tensor([[0.1, 0.5, 0.0, 0.9, 0.5, 1.0], [0.1, 0.5, 1.0, 0.9, 0.5, 0.0]])
    images = exact_segment_images(segments)
    assert images[1].sum() == 0
    # floor(0.1 * 28) = 2 to floor(0.9 * 28) = 25 on row 14: 24 pixels.
    assert images[0].sum() == 24 and images[0][14, 2:26].sum() == 24
    np.testing.assert_array_equal(images[0].numpy(), draw_trajectory(np.array([[0.1, 0.5, 0], [0.9, 0.5, 1]])))


def test_factored_storage_round_trip(weights, tmp_path):
    path, model = weights
    factored = tmp_path / "factored.safetensors"
    save_line_model(model, factored, rank=16)
    tensors = load_file(str(factored))
    assert tensors["d2.weight.left"].shape == (6272, 16) and tensors["d2.weight.right"].shape == (16, 784)
    assert "d2.weight" not in tensors and factored.stat().st_size < path.stat().st_size / 20
    loaded = load_line_model(factored)
    product = tensors["d2.weight.left"].float() @ tensors["d2.weight.right"].float()
    torch.testing.assert_close(loaded.d2.weight, product)
    torch.testing.assert_close(loaded.c1.weight, model.c1.weight.half().float())
    # Full rank reproduces the weight up to float16 rounding of the factors.
    save_line_model(model, factored, dtype=torch.float32, rank=784)
    torch.testing.assert_close(load_line_model(factored).d2.weight, model.d2.weight, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="rank"):
        save_line_model(model, factored, rank=0)
    del tensors["d2.weight.right"]
    save_file(tensors, str(factored), metadata=metadata(path))
    with pytest.raises(UserError, match="left and .right must both be present"):
        load_line_model(factored)


def test_training_runs_and_reports(tmp_path):
    model, metrics = train_line_model(images=48, batch_size=32, progress=False, held_out=50)
    assert metrics["images_seen"] == 48 and np.isfinite(metrics["final_running_loss"])
    assert set(metrics["held_out"]) == {"mse", "iou_pen_down", "max_ink_pen_up", "pen_up_leak_share",
                                        "ink_at_half_pen", "segments"}
    assert 0 <= metrics["held_out"]["ink_at_half_pen"] <= 1
    assert metrics["held_out"]["segments"] == 50
    _, stopped = train_line_model(images=640, batch_size=32, progress=False, max_seconds=0.0, held_out=10, loss="bce")
    assert stopped["images_seen"] == 32
    with pytest.raises(ValueError, match="bce"):
        train_line_model(images=32, loss="l1")
    with pytest.raises(ValueError, match="pen mode"):
        train_line_model(images=32, pen="grey")


def test_train_renderer_command(tmp_path, capsys):
    options = ["--images", "16", "--batch-size", "16", "--held-out", "40"]
    assert main(["train-renderer", *options, "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "learned-line.json").read_text())
    assert record["metrics"]["images_seen"] == 16 and record["config"]["storage_dtype"] == "float16"
    assert record["command"].startswith("mnist-handwriting")
    assert (tmp_path / "learned-line.png").read_bytes()[:4] == b"\x89PNG"
    load_line_model(tmp_path / "learned-line.safetensors")
    assert main(["train-renderer", *options, "--out", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


class ConstantInk(LineModel):
    """Draws ``ink`` everywhere whatever the segment (before the pen gate)."""

    def __init__(self, ink: float, pen_gate: bool = False):
        super().__init__(pen_gate)
        torch.nn.init.zeros_(self.c2.weight)
        torch.nn.init.constant_(self.c2.bias, float(np.log(ink / (1 - ink))))


def test_pen_gate_scales_the_ink_by_one_minus_the_pen_value():
    segments = torch.tensor([[0.1, 0.5, 0.0, 0.9, 0.5, 0.0], [0.1, 0.5, 0.25, 0.9, 0.5, 0.0],
                             [0.1, 0.5, 1.0, 0.9, 0.5, 0.0]])
    ungated, gated = ConstantInk(0.8)(segments), ConstantInk(0.8, pen_gate=True)(segments)
    torch.testing.assert_close(ungated, torch.full((3, 28, 28), 0.8))
    torch.testing.assert_close(gated[:, 0, 0], torch.tensor([0.8, 0.6, 0.0]))
    segments.requires_grad_()
    ConstantInk(0.8, pen_gate=True)(segments).sum().backward()
    torch.testing.assert_close(segments.grad[:, 2], torch.full((3,), -0.8 * 784))


def test_leak_share_counts_pen_up_segments_peaking_at_0_05():
    segments = held_out_segments_with_both_pens()
    assert evaluate_line_model(ConstantInk(0.06), segments)["pen_up_leak_share"] == 1.0
    assert evaluate_line_model(ConstantInk(0.04), segments)["pen_up_leak_share"] == 0.0
    gated = evaluate_line_model(ConstantInk(0.9, pen_gate=True), segments)
    assert gated["pen_up_leak_share"] == 0.0 and gated["max_ink_pen_up"] == 0.0
    torch.testing.assert_close(torch.tensor(gated["ink_at_half_pen"]), torch.tensor(0.45))


def held_out_segments_with_both_pens() -> torch.Tensor:
    segments = random_segments(40, torch.Generator().manual_seed(3))
    segments[:20, 2], segments[20:, 2] = 0.0, 1.0
    return segments


def test_pen_gate_is_stored_and_restored(tmp_path):
    model, metrics = train_line_model(images=32, batch_size=32, progress=False, held_out=20, pen="soft",
                                      pen_gate=True)
    assert model.pen_gate and metrics["held_out"]["pen_up_leak_share"] == 0.0
    path = tmp_path / "gated.safetensors"
    save_line_model(model, path, config={"pen_gate": True})
    assert load_line_model(path).pen_gate
    save_line_model(model, path, config={"pen_gate": "yes"})
    with pytest.raises(UserError, match="pen_gate must be true or false"):
        load_line_model(path)
    save_line_model(model, path)
    assert not load_line_model(path).pen_gate   # files written before the gate: off
