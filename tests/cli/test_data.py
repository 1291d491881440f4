"""``mnist-handwriting data``: prepare, info, preview and its bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.cli import main
from mnist_handwriting.data.preview import per_class_indices
from mnist_handwriting.errors import UserError


def test_data_prepare_info_preview(data_dir, cache_dir, tmp_path, capsys):
    options = ["--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    assert main(["data", "prepare", *options]) == 0
    out = capsys.readouterr().out
    assert "thinned-mnist train: 60000 digits" in out and "pendigits: 7494 digits" in out and "30 writers" in out
    assert "human-samples: 32 digits" in out and f"cached in {cache_dir}" in out
    assert main(["data", "info", *options]) == 0
    out = capsys.readouterr().out
    assert "CC BY-SA 3.0" in out and "thinned-mnist-train-v" in out and "thinned-mnist test: 10000 digits" in out
    target = tmp_path / "grid.png"
    assert main(["data", "preview", "pendigits", "--classes", "2,7", "--per-class", "3", "--out", str(target),
                 *options]) == 0
    image = np.asarray(Image.open(target))
    assert image.shape == (2 * 140, 3 * 140, 3) and image.max() > 200


def test_data_errors_exit_2(tmp_path, capsys):
    assert main(["data", "info", "--data-dir", str(tmp_path / "nope"), "--cache-dir", str(tmp_path)]) == 2
    assert "data directory" in capsys.readouterr().err
    assert main(["data", "prepare", "--data-dir", str(tmp_path), "--cache-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stroke-sequence file not found" in err
    assert main(["data", "preview", "pendigits", "--classes", "2,x", "--out", str(tmp_path / "g.png"),
                 "--data-dir", str(tmp_path), "--cache-dir", str(tmp_path)]) == 2
    assert "--classes '2,x'" in capsys.readouterr().err and not (tmp_path / "g.png").exists()
    assert main(["data", "preview", "pendigits", "--out", str(tmp_path / "g.jpg"),
                 "--data-dir", str(tmp_path), "--cache-dir", str(tmp_path)]) == 2
    assert "cannot write g.jpg: unknown output type .jpg" in capsys.readouterr().err
    assert main(["data", "preview", "pendigits", "--out", str(tmp_path / "nope" / "g.png"),
                 "--data-dir", str(tmp_path), "--cache-dir", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_preview_more_per_class_than_a_class_holds():
    # rng.choice(..., replace=False) raised NumPy's ValueError (a traceback in the CLI).
    labels = np.array([1, 1, 2, 2, 2])
    assert sorted(per_class_indices(labels, 2, [1, 2]).tolist()[:2]) == [0, 1]
    with pytest.raises(UserError, match="class 1 has 2 digits, fewer than the 3 per class"):
        per_class_indices(labels, 3, [1, 2])
