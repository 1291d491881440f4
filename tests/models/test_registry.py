"""save_model / load_model: round trip, self-description, strict errors."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from mnist_handwriting.errors import UserError
from mnist_handwriting.models import ModelConfig, build_model
from mnist_handwriting.models.registry import DEFAULT_MODEL, load_description, load_model, save_model, shipped_models
from weights_files import rewrite_weights


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ensemble", hidden=8, points=5, third_activation="exp"))
    path = tmp_path / "m.safetensors"
    save_model(model, path, metrics={"test_mse": 0.0123}, command="mnist-handwriting train --config x")
    return model, path


def test_round_trip_gives_identical_outputs(saved):
    model, path = saved
    loaded = load_model(str(path))
    images, labels = torch.rand(4, 28, 28), torch.tensor([1, 2, 1, 9])
    torch.testing.assert_close(loaded(images, labels), model(images, labels), rtol=0, atol=0)
    assert loaded.config == model.config and not loaded.training


def test_weights_describe_themselves(saved):
    model, path = saved
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["config"]["kind"] == "ensemble" and sidecar["config"]["hidden"] == 8
    assert sidecar["metrics"] == {"test_mse": 0.0123}
    assert sidecar["command"] == "mnist-handwriting train --config x"
    assert load_description(str(path))["metrics"] == sidecar["metrics"]


def test_half_precision_file_loads_as_float32(tmp_path, saved):
    model, _ = saved
    path = tmp_path / "half.safetensors"
    save_model(model, path, metrics={}, command="", dtype=torch.float16)
    assert all(t.dtype == torch.float16 for t in load_file(str(path)).values())
    loaded = load_model(str(path))
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    torch.testing.assert_close(loaded.static, model.static.half().float())


@pytest.mark.parametrize("change, message", [
    (lambda t: t.pop("projection"), "missing \\['projection'\\]"),
    (lambda t: t.update(extra=torch.zeros(1)), "unexpected \\['extra'\\]"),
    (lambda t: t.update(projection=torch.zeros(10, 9, 3)), "projection has shape"),
    (lambda t: t["bias"].view(-1).__setitem__(0, float("nan")), "NaN or inf"),
])
def test_broken_weights_are_user_errors(saved, change, message):
    _, path = saved
    rewrite_weights(path, path, change)
    with pytest.raises(UserError, match=message) as error:
        load_model(str(path))
    assert str(path) in str(error.value)


def test_not_a_safetensors_file(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"not a safetensors file at all")
    with pytest.raises(UserError, match="not a readable safetensors file"):
        load_model(str(path))


def test_foreign_safetensors_file(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(UserError, match="not a mnist-handwriting model"):
        load_model(str(path))


@pytest.mark.parametrize("config", ['{"hidden": "64"}', '["lstm"]', "{not json"])
def test_unreadable_config_is_a_user_error(tmp_path, saved, config):
    """A config field of the wrong type used to escape validate() as a TypeError traceback."""
    path = tmp_path / "bad.safetensors"
    save_file(load_file(str(saved[1])), str(path), metadata={"format": "mnist-handwriting-model/1", "config": config})
    with pytest.raises(UserError, match="unreadable model config"):
        load_model(str(path))


def test_unknown_name_lists_the_shipped_models():
    with pytest.raises(UserError, match="unknown model 'no-such-model'.*use one of"):
        load_model("no-such-model")
    with pytest.raises(UserError, match="model file not found"):
        load_model("missing/dir/m.safetensors")


def test_default_model_is_shipped_and_loads():
    assert DEFAULT_MODEL in shipped_models()
    model = load_model(DEFAULT_MODEL)
    points = model.draw(torch.zeros(2, 28, 28), torch.tensor([0, 7]))
    assert points.shape == (2, model.config.points, 3)
