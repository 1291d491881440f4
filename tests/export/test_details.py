"""Format-specific facts, checked against hand-computed values and the consumers' conventions."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.export import export, read_export
from mnist_handwriting.export.common import default_splits
from mnist_handwriting.export.ndjson import to_record
from mnist_handwriting.export.stroke3 import from_stroke3, to_stroke3
from mnist_handwriting.export.svg import to_svg

# A stroke from the top-left to the bottom-right corner, then a dot at (0.5, 0.2).
CORNERS = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.2, 1.0]], np.float32)


def test_stroke3_rows_by_hand():
    # 0.5 * 255 = 127.5 rounds to the even 128, 0.2 * 255 = 51; the first row starts at the origin.
    expected = [[0, 0, 0], [255, 255, 1], [128 - 255, 51 - 255, 1]]
    rows = to_stroke3(CORNERS)
    assert rows.dtype == np.int16
    np.testing.assert_array_equal(rows, expected)
    np.testing.assert_allclose(from_stroke3(rows), [[0, 0, 0], [1, 1, 1], [128 / 255, 51 / 255, 1]], atol=1e-7)


def test_stroke3_file_loads_like_sketch_rnn(tmp_path):
    points = np.stack([CORNERS] * 300)
    labels = np.arange(300) % 10
    splits = default_splits(300)
    export(points, labels, "stroke3", tmp_path / "d.npz", split_names=splits)
    # magenta's sketch_rnn_train.load_dataset: np.load(path, encoding='latin1', allow_pickle=True).
    with np.load(tmp_path / "d.npz", encoding="latin1", allow_pickle=True) as data:
        assert [len(data[s]) for s in ("train", "valid", "test")] == [275, 25, 0]
        assert data["train"].dtype == object and data["train"].ndim == 1
        first = data["train"][0]
        assert first.dtype == np.int16 and first.shape == (3, 3)
        np.testing.assert_array_equal(data["valid_index"], np.arange(275, 300))
        np.testing.assert_array_equal(data["valid_labels"], np.arange(275, 300) % 10)
    with pytest.raises(ValueError):  # the documented pickle requirement
        np.load(tmp_path / "d.npz")["train"]


def test_ndjson_record_by_hand():
    record = to_record(CORNERS, 7, 12)
    assert record == {"word": "7", "countrycode": "ZZ", "recognized": True, "key_id": "00012",
                      "drawing": [[[0, 255], [0, 255]], [[128], [51]]]}
    assert json.loads(json.dumps(record)) == record


def test_ndjson_file_has_one_json_line_per_digit(tmp_path):
    export(np.stack([CORNERS] * 3), np.array([1, 2, 3]), "ndjson", tmp_path / "d.ndjson")
    lines = (tmp_path / "d.ndjson").read_text().splitlines()
    assert [json.loads(line)["word"] for line in lines] == ["1", "2", "3"]
    (tmp_path / "bad.ndjson").write_text('{"word": "1", "drawing": [[[1, 2], [3]]]}\n')
    with pytest.raises(UserError, match=r"bad.ndjson:1: not a Quick, Draw! record"):
        read_export(tmp_path / "bad.ndjson", "ndjson")


def test_svg_has_a_polyline_per_stroke_and_a_circle_per_dot(tmp_path):
    root = ET.fromstring(to_svg(CORNERS, 4))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("viewBox") == "0 0 1 1" and root.get("data-label") == "4"
    assert [p.get("points") for p in root.iter(f"{ns}polyline")] == ["0,0 1,1"]
    assert [(c.get("cx"), c.get("cy")) for c in root.iter(f"{ns}circle")] == [("0.5", "0.2")]
    export(np.stack([CORNERS] * 3), np.array([7, 0, 9]), "svg", tmp_path / "svg", progress=False)
    assert sorted(p.name for p in (tmp_path / "svg").iterdir()) == ["00000_7.svg", "00001_0.svg", "00002_9.svg"]


def test_svg_reader_rejects_a_renamed_file(tmp_path):
    export(np.stack([CORNERS] * 2), np.array([7, 0]), "svg", tmp_path / "svg", progress=False)
    (tmp_path / "svg" / "00001_0.svg").rename(tmp_path / "svg" / "00001_5.svg")
    with pytest.raises(UserError, match="differs from the file name"):
        read_export(tmp_path / "svg", "svg")


def test_inkml_is_namespaced_xml_with_a_trace_group_per_digit(tmp_path):
    export(np.stack([CORNERS] * 2), np.array([7, 3]), "inkml", tmp_path / "d.inkml", progress=False)
    ns = "{http://www.w3.org/2003/InkML}"
    root = ET.parse(tmp_path / "d.inkml").getroot()
    assert root.tag == f"{ns}ink"
    groups = root.findall(f"{ns}traceGroup")
    assert [g.find(f"{ns}annotation").text for g in groups] == ["7", "3"]
    assert [t.text for t in groups[0].findall(f"{ns}trace")] == ["0 0, 1 1", "0.5 0.2"]


def test_default_splits_carve_validation_from_the_end_of_training():
    counts = lambda names: [int((names == s).sum()) for s in ("train", "valid", "test")]  # noqa: E731
    mnist = default_splits(70_000)
    assert counts(mnist) == [55_000, 5_000, 10_000]
    assert (mnist[55_000:60_000] == "valid").all() and (mnist[60_000:] == "test").all()
    assert counts(default_splits(60_000)) == [55_000, 5_000, 0]
    assert counts(default_splits(1_000)) == [917, 83, 0]  # under 100: not rounded
    assert counts(default_splits(2_400)) == [2_200, 200, 0]  # 2,400 / 12 = 200, a multiple of 100
    assert counts(default_splits(500, valid_fraction=0.5, test_start=200)) == [100, 100, 300]
    with pytest.raises(UserError, match="outside"):
        default_splits(10, valid_fraction=1.0)
    with pytest.raises(UserError, match="unknown split name 'dev'"):
        export(np.stack([CORNERS]), np.array([1]), "stroke3", "unused.npz", split_names=["dev"])


def test_parquet_folder_is_a_hugging_face_dataset(tmp_path):
    import pyarrow.parquet as pq

    splits = np.array(["train", "train", "valid", "test"])
    export(np.stack([CORNERS] * 4), np.array([1, 2, 3, 4]), "parquet", tmp_path / "hf", split_names=splits)
    card = (tmp_path / "hf" / "README.md").read_text()
    header = card.split("---\n")[1]
    assert "license: cc-by-sa-3.0" in header
    for split in ("train", "validation", "test"):
        assert f"- split: {split}\n    path: data/{split}.parquet" in header
    assert "de Jong" in card and "LeCun" in card
    table = pq.read_table(tmp_path / "hf" / "data" / "validation.parquet")
    assert table.column_names == ["index", "label", "points"]
    (row,) = table.to_pylist()
    assert (row["index"], row["label"]) == (2, 3)
    np.testing.assert_array_equal(np.array(row["points"], np.float32), CORNERS)


def test_parquet_without_pyarrow_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(UserError, match=r"pip install 'mnist-handwriting\[parquet\]'"):
        export(np.stack([CORNERS]), np.array([1]), "parquet", tmp_path / "hf")
    assert list(tmp_path.iterdir()) == []


def test_parquet_reader_rejects_ragged_trajectories(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "hf" / "data").mkdir(parents=True)
    rows = [[[0.1, 0.1, 1.0]], [[0.1, 0.1, 0.0], [0.2, 0.2, 1.0]]]
    pq.write_table(pa.table({"index": [0, 1], "label": [1, 2], "points": rows}),
                   tmp_path / "hf" / "data" / "train.parquet")
    with pytest.raises(UserError, match="different numbers of points"):
        read_export(tmp_path / "hf", "parquet")


def test_dataset_card_is_the_yaml_header_then_its_text():
    from mnist_handwriting.export import parquet

    card = parquet.card_text({"train": 5, "test": 2})
    header = card.split("---\n")[1]
    assert card.startswith("---\nlicense: cc-by-sa-3.0\n") and "validation" not in header
    assert "size_categories:\n- n<1K\n" in header and "task_categories:" in header
    # Any export gets the short text with the licence and attributions; the shipped dataset its full card.
    assert card.endswith(parquet.CARD_BODY) and "CC BY-SA 3.0" in card and "de Jong" in card
    assert parquet.card_text({"train": 120_000}, "# Mine\n").endswith("---\n\n# Mine\n")
    assert "- 100K<n<1M\n" in parquet.card_text({"train": 120_000})


def test_folder_exports_get_the_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        export(CORNERS[None], [7], "svg", tmp_path / "svg", progress=False)
    finally:
        os.umask(mask)
    assert (tmp_path / "svg").stat().st_mode & 0o777 == 0o755   # mkdtemp alone would leave 0o700


def test_parquet_loads_with_hugging_face_datasets_as_the_card_declares(tmp_path):
    datasets = pytest.importorskip("datasets")
    import yaml

    splits = np.array(["train", "train", "valid", "test"])
    export(np.stack([CORNERS] * 4), np.array([1, 2, 3, 4]), "parquet", tmp_path / "hf", split_names=splits)
    loaded = datasets.load_dataset("parquet", data_dir=str(tmp_path / "hf" / "data"), cache_dir=str(tmp_path / "c"))
    header = yaml.safe_load((tmp_path / "hf" / "README.md").read_text().split("---\n")[1])
    declared = datasets.Features._from_yaml_list(header["dataset_info"]["features"])
    assert {name: len(split) for name, split in loaded.items()} == {"train": 2, "validation": 1, "test": 1}
    for split in loaded.values():
        assert split.features == declared
    row = loaded["validation"][0]
    assert (row["index"], row["label"]) == (2, 3)
    np.testing.assert_array_equal(np.array(row["points"], np.float32), CORNERS)
