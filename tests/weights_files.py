"""Test helpers: damage a safetensors weights file on purpose, keeping its metadata."""

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
