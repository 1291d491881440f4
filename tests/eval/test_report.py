"""evaluate() with an oracle converter (known answers) and the tracer; the markdown table."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.errors import UserError
from mnist_handwriting.eval.metrics import reverse
from mnist_handwriting.eval.report import (COLUMNS, direction_table, evaluate, human_scores, markdown_table,
                                         reconstruction_scores)
from mnist_handwriting.strokes import join_strokes
from mnist_handwriting.trace import trace_batch


class Oracle:
    """Returns the true trajectory of every image it was built with (looked up by pixels).

    Trajectories are padded to ``count`` points by repeating the last one, which changes
    neither the drawing nor the arc length.
    """

    name = "oracle"

    def __init__(self, *digit_sets, count=200):
        self.known = {}
        for digits in digit_sets:
            for i in range(len(digits)):
                points = digits.trajectory(i)
                padded = np.concatenate([points, np.repeat(points[-1:], count - len(points), axis=0)])
                padded[len(points) - 1:-1, 2] = 0
                self.known[digits.images[i].tobytes()] = padded

    def convert(self, images, labels):
        return np.stack([self.known[image.tobytes()] for image in images])


class Backwards(Oracle):
    """The true trajectories drawn backwards."""

    name = "backwards"

    def convert(self, images, labels):
        return np.stack([reverse(points) for points in super().convert(images, labels)])


class Tracer:
    name = "trace"

    def convert(self, images, labels):
        return trace_batch(images, 20)


def test_reconstruction_scores_of_a_perfect_and_an_empty_drawing():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 4:20, 12] = 255
    line = join_strokes([np.array([[12.5, 4.5], [12.5, 19.5]]) / 28])
    dot = join_strokes([np.array([[0.5, 0.5]]) / 28])
    scores = reconstruction_scores(np.stack([line, np.repeat(dot, 2, axis=0)]), images)
    np.testing.assert_allclose(scores["f1"], [1.0, 0.0])
    assert scores["chamfer"][0] == 0 and scores["mse"][0] == 0
    # 16 missed pixels and 1 extra pixel out of 784, each off by 1.
    assert scores["mse"][1] == pytest.approx(17 / 784)


def test_human_scores_identical_and_reversed():
    digit = join_strokes([np.array([[5, 5], [20, 5], [8, 22]]) / 28])
    backwards = digit[::-1].copy()
    backwards[:, 2] = [0, 0, 1]
    scores = human_scores(np.stack([digit, backwards]), [digit, digit])
    assert scores["ldtw"][0] == pytest.approx(0, abs=1e-6) and scores["ldtw"][1] > 1
    np.testing.assert_array_equal(scores["direction_agreement"], [1, 0])
    assert scores["start_error"][0] == 0 and scores["start_error"][1] == pytest.approx(np.hypot(3, 17), abs=1e-4)
    np.testing.assert_array_equal(scores["stroke_count_error"], [0, 0])


@pytest.fixture(scope="module")
def datasets(data_dir, cache_dir):
    from mnist_handwriting.data.human import load_human_samples, load_pendigits, split_by_writer
    from mnist_handwriting.data.stroke_sequences import load_thinned_mnist

    test = load_thinned_mnist("test", data_dir, cache_dir).subset(slice(0, 300))
    dev = split_by_writer(load_pendigits(data_dir, cache_dir))[1].subset(slice(0, 300))
    return test, dev, load_human_samples(data_dir)


@pytest.mark.slow
def test_oracle_is_human_like_and_legible(data_dir, cache_dir, datasets):
    report = evaluate(Oracle(*datasets), locations=Locations(data_dir, cache_dir), subset=60, batch_size=25,
                      progress=False)
    overall = report["overall"]
    assert report["name"] == "oracle" and report["counts"] == {"test": 60, "pendigits_dev": 60, "samples": 32}
    for prefix in ("", "samples_"):
        assert overall[prefix + "ldtw"] == pytest.approx(0, abs=1e-5)
        assert overall[prefix + "start_error"] == pytest.approx(0, abs=1e-5)
        assert overall[prefix + "stroke_count_error"] == 0
        assert overall[prefix + "direction_agreement"] == 1.0
    assert overall["f1"] > 0.97 and overall["legibility"] > 0.9
    assert overall["digits_per_second"] > 0
    assert set(report["per_class"]) == {str(d) for d in range(10)}
    # Class means weight digits equally, so their count-weighted mean is the overall mean.
    counts = np.bincount(datasets[0].labels[:60], minlength=10)
    weighted = sum(report["per_class"][str(d)]["f1"] * counts[d] for d in range(10) if counts[d]) / counts.sum()
    assert weighted == pytest.approx(overall["f1"])


def test_tracer_reconstructs_but_is_not_the_human(data_dir, cache_dir):
    overall = evaluate(Tracer(), locations=Locations(data_dir, cache_dir), subset=40, progress=False)["overall"]
    assert overall["f1"] > 0.99 and overall["chamfer"] < 0.5
    assert 0.5 < overall["ldtw"] < 10


class Broken:
    name = "broken"

    def convert(self, images, labels):
        return np.full((len(images), 4, 3), np.nan, np.float32)


def test_converter_output_is_checked(data_dir, cache_dir):
    with pytest.raises(UserError, match="broken returned points of shape"):
        evaluate(Broken(), locations=Locations(data_dir, cache_dir), subset=5, progress=False)


def test_markdown_table_formats_and_fills_gaps():
    table = markdown_table({"a": {"f1": 0.98765, "direction_agreement": 0.5, "digits_per_second": 12345.6},
                            "b": {"f1": 1.0}})
    assert table == ("| method | F1@1px | direction | digits/s |\n"
                     "| --- | ---: | ---: | ---: |\n"
                     "| a | 0.988 | 50.0% | 12,346 |\n"
                     "| b | 1.000 | - | - |\n")
    assert markdown_table({"0": {"ldtw": 2.0}}, first="digit").startswith("| digit | LDTW px |")
    assert list(COLUMNS)[0] == "f1"


def test_per_writer_scores_tell_forwards_from_backwards(data_dir, cache_dir, datasets):
    forwards, backwards = (evaluate(converter(*datasets), locations=Locations(data_dir, cache_dir), subset=300,
                                    batch_size=100, progress=False) for converter in (Oracle, Backwards))
    writers = set(forwards["per_writer"])
    assert writers and writers <= {str(w) for w in range(25, 31)} and writers == set(forwards["direction_by_writer"])
    for writer in writers:
        assert forwards["per_writer"][writer]["ldtw"] == pytest.approx(0, abs=1e-5)
        assert set(forwards["direction_by_writer"][writer].values()) == {1.0}
        assert set(backwards["direction_by_writer"][writer].values()) == {0.0}
        assert backwards["per_writer"][writer]["start_error"] > 3


def test_direction_table_has_a_row_per_writer_and_a_gap_for_missing_digits():
    table = direction_table({"25": {"0": 1.0, "5": 0.125}, "26": {"9": 0.5}})
    assert table.splitlines() == [
        "| writer | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| 25 | 100% | - | - | - | - | 12% | - | - | - | - |",
        "| 26 | - | - | - | - | - | - | - | - | - | 50% |"]
