"""Rewrite weights files into the one metadata scheme of ``mnist_handwriting.safeweights`` (issue 13).

    python scripts/rewrite_weights.py mnist_handwriting/weights/*.safetensors

made the shipped files of commit 939720e self-describing in one way, in place, with their
``.json`` side files regenerated from the same description. Every tensor is copied as it
is stored (same names, dtype and values: ``tests/test_shipped_models.py`` checks the
models still draw the same points bit for bit); only the metadata changes:

- handwriting models (``mnist-handwriting-model/1``, plain-text format): ``metrics.machine``
  becomes ``machine`` and ``metrics.train_config`` becomes ``train``;
- the classifier (every value JSON-encoded): values decoded, format tag as text;
- the learned line model (a bare ``"mnist-handwriting LineModel"`` tag, its description only
  in the side file): the side file's config, metrics, command and date move into the
  weights, its machine record becomes one line.

Where the old side file and the old metadata both have a key, the side file wins (it is the
reviewed text). Files already in the new scheme are written back unchanged, so running it
twice is harmless.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safetensors.torch import safe_open

from mnist_handwriting.safeweights import JSON_KEYS, KINDS, format_tag, save_weights

LEGACY_LINE_MODEL = "mnist-handwriting LineModel"


def decoded(metadata: dict[str, str]) -> dict:
    """Old metadata values: JSON where they parse as JSON (the classifier encoded everything), else text."""
    info = {}
    for key, value in metadata.items():
        try:
            info[key] = json.loads(value) if key in JSON_KEYS or value.startswith('"') else value
        except json.JSONDecodeError:
            info[key] = value
    return info


def machine_line(record: dict | str) -> str:
    """The learned line model's old machine record as one line."""
    if isinstance(record, str):
        return record
    return (f"{record['processor']} x{record['cpu_count']} cores ({record['platform']}), torch {record['torch']}, "
            f"{record['threads']} threads")


def new_description(path: Path, metadata: dict[str, str]) -> tuple[str, dict]:
    """(kind, description in the new scheme) of the weights file at ``path``."""
    side = path.with_suffix(".json")
    info = decoded(metadata)
    if side.is_file():
        info.update(json.loads(side.read_text()))
    tag = metadata.get("format", "")
    if tag == LEGACY_LINE_MODEL:
        kind = "line-model"
        info.pop("model", None)   # "LineModel (the note's dense ...)": the kind says it now
    else:
        kind = next((kind for kind in KINDS if tag in (format_tag(kind), json.dumps(format_tag(kind)))), None)
        if kind is None:
            raise SystemExit(f"{path}: unknown weights format {tag!r}")
    metrics = dict(info.get("metrics", {}))
    train = info.get("train") or metrics.pop("train_config", {})
    machine = info.get("machine") or metrics.pop("machine", "") or "not recorded"
    metrics.pop("machine", None)
    return kind, {"format": format_tag(kind), "config": info.get("config", {}), "train": train,
                  "metrics": metrics, "command": info.get("command", ""), "date": info.get("date", ""),
                  "machine": machine_line(machine)}


def rewrite(path: Path) -> None:
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    kind, description = new_description(path, metadata)
    save_weights(path, tensors, kind=kind, config={}, metrics={}, command="", description=description)
    print(f"rewrote {path} ({kind})")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        rewrite(Path(name))
