"""One metadata scheme for every weights file: write, read, kinds, the shipped files."""

import json

import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.paths import WEIGHTS_DIR
from mnist_handwriting.safeweights import (INT8_SCALE, KINDS, as_stored, describe_machine, format_tag,
                                           read_description, read_weights, save_weights, weights_kind)
from weights_files import tiny_model


def test_round_trip_keeps_tensors_and_describes_itself(tmp_path):
    path = tmp_path / "w.safetensors"
    tensors = {"a": torch.arange(6.0).view(2, 3), "b": torch.ones(4, dtype=torch.float16)}
    save_weights(path, tensors, kind="classifier", config={"hidden": 3}, train={"epochs": 1},
                 metrics={"accuracy": 0.5}, command="mnist-handwriting train-classifier", machine="test box")
    read, info = read_weights(path, "classifier", "fix")
    assert set(read) == {"a", "b"} and read["b"].dtype == torch.float16
    torch.testing.assert_close(read["a"], tensors["a"], rtol=0, atol=0)
    assert info["format"] == "mnist-handwriting-classifier/1" and info["config"] == {"hidden": 3}
    assert info["train"] == {"epochs": 1} and info["metrics"] == {"accuracy": 0.5}
    assert info["command"] == "mnist-handwriting train-classifier" and info["machine"] == "test box"
    assert json.loads(path.with_suffix(".json").read_text()) == info == read_description(path)
    assert weights_kind(path) == "classifier"


def test_dtype_converts_storage(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(path, {"a": torch.rand(3)}, kind="model", config={}, metrics={}, command="", dtype=torch.float16)
    assert read_weights(path, "model", "fix")[0]["a"].dtype == torch.float16


def test_int8_stores_matrices_by_row_and_vectors_as_float16(tmp_path):
    path = tmp_path / "w.safetensors"
    matrix = torch.tensor([[1.0, -0.5, 0.25], [0.0, 0.0, 0.0], [-254.0, 127.0, 1.0]])
    vector = torch.tensor([0.1, 3.0])
    save_weights(path, {"m": matrix, "v": vector}, kind="model", config={}, metrics={}, command="", dtype=torch.int8)
    from safetensors.torch import load_file

    raw = load_file(str(path))
    assert raw["m"].dtype == torch.int8 and raw["m"].tolist() == [[127, -64, 32], [0, 0, 0], [-127, 64, 0]]
    torch.testing.assert_close(raw["m" + INT8_SCALE], torch.tensor([1 / 127, torch.finfo().tiny / 127, 2.0]))
    read = read_weights(path, "model", "fix")[0]
    assert set(read) == {"m", "v"} and read["v"].dtype == torch.float16
    expected = torch.tensor([[1.0, -64 / 127, 32 / 127], [0.0, 0.0, 0.0], [-254.0, 128.0, 0.0]])
    torch.testing.assert_close(read["m"], expected, rtol=0, atol=1e-7)
    torch.testing.assert_close(as_stored(matrix, torch.int8), read["m"], rtol=0, atol=0)
    assert as_stored(vector, torch.int8).dtype == torch.float32
    torch.testing.assert_close(as_stored(vector, torch.int8), vector.half().float(), rtol=0, atol=0)


def test_int8_without_its_scale_is_a_user_error(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "w.safetensors"
    save_file({"m": torch.ones(2, 2, dtype=torch.int8)}, str(path), metadata={"format": format_tag("model"),
                                                                            "config": "{}"})
    with pytest.raises(UserError, match="int8 tensor m has no per-row scale"):
        read_weights(path, "model", "fix")
    save_file({"m" + INT8_SCALE: torch.ones(2)}, str(path), metadata={"format": format_tag("model"), "config": "{}"})
    with pytest.raises(UserError, match="has no int8 matrix"):
        read_weights(path, "model", "fix")


def test_another_kind_or_no_metadata_is_a_user_error(tmp_path):
    path = tmp_path / "w.safetensors"
    save_weights(path, {"a": torch.rand(3)}, kind="line-model", config={}, metrics={}, command="")
    with pytest.raises(UserError, match="is not a legibility classifier .*line-model/1"):
        read_weights(path, "classifier", "fix")
    from safetensors.torch import save_file

    save_file({"a": torch.rand(3)}, str(path))
    with pytest.raises(UserError, match="is not a mnist-handwriting model"):
        read_weights(path, "model", "fix")
    assert weights_kind(path) is None and weights_kind(tmp_path / "absent.safetensors") is None
    with pytest.raises(ValueError, match="unknown kind"):
        format_tag("tokenizer")


def test_describe_machine_names_cpu_and_torch():
    line = describe_machine()
    assert f"torch {torch.__version__}" in line and "cores" in line and "threads" in line


@pytest.mark.parametrize("name", ["human-best", "note-best", "classifier", "learned-line"])
def test_shipped_files_use_the_one_scheme(name):
    path = WEIGHTS_DIR / f"{name}.safetensors"
    kind = weights_kind(path)
    assert kind in KINDS
    info = read_description(path)
    assert set(info) == {"format", "config", "train", "metrics", "command", "date", "machine"}
    made_by = ("mnist-handwriting", "python scripts/store_weights.py")   # trained, or re-stored (note-best)
    assert info["command"].removeprefix("OMP_NUM_THREADS=1 ").startswith(made_by)
    # The side file says exactly what the weights say.
    assert json.loads(path.with_suffix(".json").read_text()) == info


def lie_about_hidden(metadata: dict, tensors: dict) -> None:
    config = json.loads(metadata["config"])
    metadata["config"] = json.dumps({**config, "hidden": 10**6})   # a network of terabytes, if it were built


def rename_one(metadata: dict, tensors: dict) -> None:
    name = sorted(tensors)[0]
    tensors[f"{name}.renamed"] = tensors.pop(name)


def blank_matrices(metadata: dict, tensors: dict) -> None:
    for value in tensors.values():
        if value.ndim >= 2:
            value.zero_()


@pytest.mark.parametrize("lie, message", [
    (lie_about_hidden, "but the config stored with them builds"),
    (rename_one, "tensors renamed, or of another model"),
    (blank_matrices, "is all zeros"),
])
def test_weights_whose_config_disagrees_with_their_tensors_are_refused(tmp_path, lie, message):
    from safetensors.torch import load_file, safe_open, save_file

    from mnist_handwriting.models.registry import load_model

    path = tmp_path / "model.safetensors"
    tiny_model(path)
    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata())
    tensors = load_file(str(path))
    lie(metadata, tensors)
    save_file(tensors, str(path), metadata=metadata)
    with pytest.raises(UserError, match=message):
        load_model(path)
