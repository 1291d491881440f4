"""Test helpers: a tiny model file; damage a safetensors weights file on purpose, keeping its metadata."""

from safetensors.torch import load_file, safe_open, save_file


def rewrite_weights(source, target, change) -> None:
    """Load ``source``, apply ``change(tensors)`` in place, save the result (same metadata) to ``target``."""
    with safe_open(str(source), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(source))
    change(tensors)
    save_file(tensors, str(target), metadata=metadata)


def metadata(path):
    """The metadata of a weights file, so that a damaged copy fails on its tensors, not on its kind."""
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()


def tiny_model(path) -> None:
    """A 1x4 handwriting model (4 points), seeded, saved at ``path``."""
    import torch

    from mnist_handwriting.models import build_model
    from mnist_handwriting.models.handwriting_lstm import ModelConfig
    from mnist_handwriting.models.registry import save_model

    torch.manual_seed(0)
    save_model(build_model(ModelConfig(hidden=4, layers=1, points=4)), path, metrics={"test_mse": 0.1}, command="test")
