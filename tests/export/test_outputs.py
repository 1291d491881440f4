"""One dispatcher from an output suffix to its writer, one JSON point list, one SVG writer (issue 13)."""

import json

import numpy as np
import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.export.outputs import CONVENTION, json_text, points_list, save_output
from mnist_handwriting.export.svg import from_svg, to_svg

POINTS = np.array([[0.1, 0.2, 0], [0.123456789, 0.4, 1], [0.5, 0.5, 1]], np.float32)


def writers(calls):
    return dict(svg=lambda: calls.append("svg") or "<svg/>", json=lambda: calls.append("json") or "{}",
                gif=lambda: calls.append("gif") or [], npz=lambda path: calls.append("npz"))


@pytest.mark.parametrize("suffix", [".svg", ".json", ".npz"])
def test_each_suffix_goes_to_its_writer(tmp_path, suffix):
    calls = []
    save_output(tmp_path / f"x{suffix.upper()}", 1, single=(), **writers(calls))
    assert calls == [suffix[1:]]


def test_unknown_suffix_and_too_many_drawings(tmp_path):
    with pytest.raises(UserError, match="unknown output type .png"):
        save_output(tmp_path / "x.png", 1, single=(), **writers([]))
    with pytest.raises(UserError, match="only one"):
        save_output(tmp_path / "x.svg", 2, single=(".svg",), too_many=("only one", "fix"), **writers([]))
    assert list(tmp_path.iterdir()) == []


def test_points_list_and_json_text():
    assert points_list(POINTS) == [[0.1, 0.2, 0], [0.12346, 0.4, 1], [0.5, 0.5, 1]]
    assert all(isinstance(row[2], int) for row in points_list(POINTS))
    data = json.loads(json_text(digits=[1]))
    assert data == {"convention": CONVENTION, "digits": [1]}


def test_one_svg_writer_for_digits_and_numbers():
    digit = to_svg(POINTS, 7)
    assert 'viewBox="0 0 1 1" data-label="7"' in digit and 'width="280"' in digit
    back, label = from_svg(digit)
    np.testing.assert_array_equal(back, POINTS)
    number = to_svg(POINTS, text="1<2", width=2.5, cell=100)
    assert 'width="250" height="100" viewBox="0 0 2.5 1" data-text="1&lt;2"' in number
    with pytest.raises(ValueError, match="exactly one"):
        to_svg(POINTS)
