"""The shipped models convert the same points as before the consolidation (issue 13), within float rounding.

``tests/data/shipped-models-939720e.npz`` was written at commit 939720e, before the weights
files were rewritten into one metadata scheme: ten digits of ``examples/mnist-100.npz``
(every tenth, thinned), the points and reconstructions of ``human-best`` and ``note-best``,
the classifier's probabilities and eight held-out segments drawn by the learned line model.
Rewriting a weights file may change its metadata, never a weight; ``note-best``'s entries were
made again when it became the repository's masked model (issue 12; shipped as int8), the line model's when the
pen-gated one shipped (issue 12), ``human-best``'s when it became note-best fine-tuned (issue 12; int8).
Reconstructions match within 1e-5 (bit-for-bit on the processor that wrote the file; an AMD EPYC
with AVX-512 kernels differed by up to 2.1e-6 on 2026-12-02; the classifier's probabilities and the line
model's images by 1.2e-7, one float32 rounding, and are held to 1e-6), the converted points too and their pen flags exactly,
because conversion (``draw``) evaluates the LSTM's tanh as ``2 sigmoid(2z) - 1`` since issue 14
(``fast_lstm_update``: 1.3-1.7x the forward pass, points move < 1e-5 px). The reference was made
with one thread; the test runs with one too, as the classifier's convolutions sum in a
different order with more threads.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_handwriting.convert import convert_images, load_converter
from mnist_handwriting.models.classifier import load_classifier, predict
from mnist_handwriting.render.learned_line import load_line_model

REFERENCE = Path(__file__).parent / "data" / "shipped-models-939720e.npz"


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return dict(data)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["human-best", "note-best"])
def test_shipped_model_draws_the_stored_points_and_reconstructions(reference, name):
    converter = load_converter(name)
    points = convert_images(converter, reference["thinned"], reference["labels"], progress=False)
    np.testing.assert_array_equal(points[..., 2], reference[name][..., 2])
    np.testing.assert_allclose(points[..., :2], reference[name][..., :2], rtol=0, atol=1e-5)
    # Rendered ink sums many segments: the 640-unit note-best's differs by up to 1.6e-5 between processors
    # (Intel Xeon with AMX against the AMD EPYC that stored it, 2026-12-03), its points by less than 1e-5.
    np.testing.assert_allclose(converter.reconstruct(reference["thinned"], reference["labels"]),
                               reference[name + "-reconstruction"], rtol=0, atol=5e-5)


def test_shipped_classifier_gives_the_stored_probabilities(reference):
    _, probabilities = predict(load_classifier(), reference["thinned"])
    np.testing.assert_allclose(probabilities, reference["classifier-probabilities"], rtol=0, atol=1e-6)


def test_shipped_line_model_draws_the_stored_segments(reference):
    with torch.no_grad():
        drawn = load_line_model()(torch.from_numpy(reference["learned-line-segments"])).numpy()
    np.testing.assert_allclose(drawn, reference["learned-line-images"], rtol=0, atol=1e-6)


def test_the_package_fits_the_25_mb_wheel_budget():
    """A wheel deflates each file: the package's files deflated bound it (21.2 MB on 2026-12-02 from 23.0 MB of
    files; 26.7 MB of files since human-best became the masked model, issue 12, deflating to about 23.4 MB)."""
    package = Path(__file__).resolve().parents[1] / "mnist_handwriting"
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(len(zlib.compress(p.read_bytes(), 6)) for p in files) < 25_000_000
