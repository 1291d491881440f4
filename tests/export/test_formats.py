"""Every export format: round trip, pen lifts, labels, empty input, bad input, interrupted writes."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.export import FORMAT_NAMES, export, format_module, read_export

QUANTISED = {"stroke3": 0.5 / 255, "ndjson": 0.5 / 255}
"""Round-trip bound of the formats that quantise to the 0..255 frame; the others are exact."""


def sample_points(count: int = 9, steps: int = 12, seed: int = 0) -> np.ndarray:
    """Random trajectories with corners of the square, multi-stroke digits and one-point strokes (dots)."""
    rng = np.random.default_rng(seed)
    points = rng.random((count, steps, 3)).astype(np.float32)
    points[0, 0, :2] = (0.0, 0.0)
    points[0, 1, :2] = (1.0, 1.0)
    points[..., 2] = rng.random((count, steps)) < 0.25
    points[:, -1, 2] = 1.0
    points[1, 3:5, 2] = 1.0  # point 4 is a dot: lifted before and after it
    return points


def out_path(tmp_path, format):
    return tmp_path / f"out{format_module(format).SUFFIX}"


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_round_trip_keeps_points_pen_lifts_and_labels(tmp_path, format):
    points, labels = sample_points(), np.arange(9) % 10
    written = export(points, labels, format, out_path(tmp_path, format), progress=False)
    back, back_labels = read_export(written, format)
    assert back.dtype == np.float32 and back.shape == points.shape
    np.testing.assert_array_equal(back[..., 2], points[..., 2])
    np.testing.assert_array_equal(back_labels, labels)
    bound = QUANTISED.get(format, 0.0)
    assert np.abs(back[..., :2] - points[..., :2]).max() <= bound + 1e-7
    if bound:
        # Quantised, not lossless: the bound is reached on random data (else the test proves nothing).
        assert np.abs(back[..., :2] - points[..., :2]).max() > 0.4 / 255


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_an_open_last_point_is_written_lifted_by_every_format(tmp_path, format):
    # ndjson, SVG and InkML read back pen_up = 1 at the end whatever was given, while npz,
    # stroke3 and parquet kept a 0: the same input gave different points per format.
    points = sample_points()
    points[:, -1, 2] = 0.0
    back, _ = read_export(export(points, np.arange(9), format, out_path(tmp_path, format), progress=False), format)
    assert back[:, -1, 2].tolist() == [1.0] * 9
    np.testing.assert_array_equal(back[:, :-1, 2], points[:, :-1, 2])
    assert points[:, -1, 2].tolist() == [0.0] * 9   # the caller's array is not modified


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_non_default_splits_come_back_in_input_order(tmp_path, format):
    points, labels = sample_points(6), np.array([3, 1, 4, 1, 5, 9])
    splits = np.array(["test", "train", "valid", "train", "test", "valid"])
    written = export(points, labels, format, out_path(tmp_path, format), split_names=splits, progress=False)
    back, back_labels = read_export(written, format)
    np.testing.assert_array_equal(back_labels, labels)
    assert np.abs(back - points).max() <= QUANTISED.get(format, 0.0) + 1e-7


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_empty_input_round_trips_to_no_digits(tmp_path, format):
    written = export(np.zeros((0, 20, 3), np.float32), np.zeros(0, np.int64), format, out_path(tmp_path, format),
                     progress=False)
    back, labels = read_export(written, format)
    assert len(back) == 0 and len(labels) == 0 and back.shape[2] == 3


@pytest.mark.parametrize("format", FORMAT_NAMES)
@pytest.mark.parametrize("change, message", [
    (lambda p, l: (np.where(np.arange(p.size).reshape(p.shape) == 5, np.nan, p), l), "NaN"),
    (lambda p, l: (p, np.where(l == 2, 10, l)), "label 10 is outside 0..9"),
    (lambda p, l: (p[..., :2], l), "expected (N, T, 3)"),
    (lambda p, l: (p * 2, l), "must lie in [0, 1]"),
    (lambda p, l: (p, l[:-1]), "labels have shape"),
])
def test_bad_input_is_a_user_error_and_writes_nothing(tmp_path, format, change, message):
    points, labels = change(sample_points(), np.arange(9))
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        export(points, labels, format, out_path(tmp_path, format), progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_output_in_a_missing_folder_is_a_user_error(tmp_path, format):
    with pytest.raises(UserError, match="does not exist"):
        export(sample_points(), np.arange(9), format, tmp_path / "missing" / "out", progress=False)


def test_unknown_format_names_the_known_ones(tmp_path):
    with pytest.raises(UserError, match="unknown export format 'png'.*npz, stroke3"):
        export(sample_points(), np.arange(9), "png", tmp_path / "x")
    with pytest.raises(UserError, match="unknown export format"):
        read_export(tmp_path / "x", "png")


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_reading_a_missing_or_corrupt_export_is_a_user_error(tmp_path, format):
    with pytest.raises(UserError):
        read_export(tmp_path / "nothing-here", format)
    garbage = out_path(tmp_path, format)
    if format_module(format).FOLDER:
        garbage.mkdir()
        (garbage / ("data" if format == "parquet" else "00000_7.svg")).mkdir(exist_ok=True)
        if format == "parquet":
            (garbage / "data" / "train.parquet").write_bytes(b"not parquet")
        else:
            (garbage / "00000_7.svg").rmdir()
            (garbage / "00000_7.svg").write_text("<svg><polyline points='a,b'/></svg")
    else:
        garbage.write_bytes(b"PK\x03\x04 not really anything")
    with pytest.raises(UserError):
        read_export(garbage, format)


def _interrupt_after(monkeypatch, target, name, calls=2):
    """Make ``target.name`` raise KeyboardInterrupt on its ``calls``-th call (a Ctrl-C mid-write)."""
    original = getattr(target, name)
    seen = []

    def interrupted(*args, **kwargs):
        seen.append(1)
        if len(seen) >= calls:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, interrupted)


@pytest.mark.parametrize("format", FORMAT_NAMES)
def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch, format):
    module = format_module(format)
    if format in ("npz", "stroke3"):
        _interrupt_after(monkeypatch, np, "savez_compressed", calls=1)
    elif format == "parquet":
        import pyarrow.parquet
        _interrupt_after(monkeypatch, pyarrow.parquet, "write_table")
    else:
        writer = {"ndjson": "to_record", "svg": "to_svg", "inkml": "to_trace_group"}[format]
        _interrupt_after(monkeypatch, module, writer)
    splits = np.array(["train"] * 5 + ["test"] * 4)  # two parquet files: the second write is interrupted
    with pytest.raises(KeyboardInterrupt):
        export(sample_points(), np.arange(9), format, out_path(tmp_path, format), split_names=splits, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("format", [f for f in FORMAT_NAMES if format_module(f).FOLDER])
def test_folder_formats_refuse_a_non_empty_folder_and_fill_an_empty_one(tmp_path, format):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("user data")
    with pytest.raises(UserError, match="already exists"):
        export(sample_points(), np.arange(9), format, target, progress=False)
    assert (target / "keep.txt").read_text() == "user data"
    (target / "keep.txt").unlink()
    export(sample_points(), np.arange(9), format, target, progress=False)
    assert len(read_export(target, format)[0]) == 9
