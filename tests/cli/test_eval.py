"""The eval and train-classifier commands: output files, tables, error messages."""

from __future__ import annotations

import json

import pytest

from mnist_handwriting.cli import main


def test_eval_trace_writes_report_and_table(data_dir, cache_dir, tmp_path, capsys):
    report, table = tmp_path / "report.json", tmp_path / "table.md"
    code = main(["eval", "--method", "trace", "--subset", "30", "--out", str(report), "--table", str(table),
                 "--per-writer", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)])
    assert code == 0
    printed = capsys.readouterr().out
    written = json.loads(report.read_text())
    assert written["name"] == "trace" and written["counts"]["test"] == 30
    assert set(written["per_class"]) == {str(d) for d in range(10)}
    assert table.read_text().splitlines()[2].startswith("| trace | ")
    assert table.read_text() in printed and "| digit |" in printed
    assert "per development writer (trace)" in printed and "| writer | ldtw" not in printed
    assert "| writer | LDTW px |" in printed and "| writer | 0 | 1 |" in printed
    assert set(written["per_writer"]) <= {str(w) for w in range(25, 31)}


def test_eval_all_has_a_trace_row(data_dir, cache_dir, tmp_path, capsys):
    table = tmp_path / "table.md"
    assert main(["eval", "--all", "--subset", "20", "--table", str(table),
                 "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]) == 0
    rows = table.read_text().splitlines()
    assert rows[2].startswith("| trace | ") and len(rows) >= 3
    assert "| digit |" not in capsys.readouterr().out


def test_eval_rejects_bad_options(tmp_path, capsys):
    assert main(["eval", "--method", "trace", "--subset", "0"]) == 2
    assert "--subset 0 is not positive" in capsys.readouterr().err
    assert main(["eval", "--all", "--method", "trace"]) == 2
    assert "--all was given with --model or --method" in capsys.readouterr().err
    assert main(["eval", "--method", "trace", "--out", str(tmp_path / "missing" / "r.json")]) == 2
    assert "output folder" in capsys.readouterr().err
    assert main(["eval", "--method", "trace", "--classifier", str(tmp_path / "none.safetensors")]) == 2
    assert "classifier weights not found" in capsys.readouterr().err
    assert main(["eval", "--method", "trace", "--dev-pen-width", "0"]) == 2
    assert "--dev-pen-width 0.0 is outside" in capsys.readouterr().err


def test_eval_on_thick_renders_of_the_development_writers(data_dir, cache_dir, tmp_path):
    thin, thick = tmp_path / "thin.json", tmp_path / "thick.json"
    for out, extra in ((thin, []), (thick, ["--dev-pen-width", "2.5"])):
        assert main(["eval", "--method", "trace", "--subset", "20", "--out", str(out), *extra,
                     "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]) == 0
    thin, thick = (json.loads(path.read_text())["overall"] for path in (thin, thick))
    assert thick["f1"] == thin["f1"], "the MNIST test digits are the same"
    assert thick["ldtw"] != thin["ldtw"], "the development writers' images differ"


def test_train_classifier_rejects_bad_options(tmp_path, capsys):
    assert main(["train-classifier", "--epochs", "0"]) == 2
    assert "--epochs 0 is not positive" in capsys.readouterr().err
    assert main(["train-classifier", "--out", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_train_classifier_writes_to_a_run_folder_by_default(capsys):
    """It used to write into the package's weights folder, overwriting the shipped classifier."""
    with pytest.raises(SystemExit):
        main(["train-classifier", "--help"])
    assert "runs/classifier" in capsys.readouterr().out
