import pytest

from mnist_handwriting import paths
from mnist_handwriting.errors import UserError


def test_data_dir_prefers_option_then_environment(tmp_path, monkeypatch):
    option, env = tmp_path / "option", tmp_path / "env"
    option.mkdir()
    env.mkdir()
    monkeypatch.setenv(paths.DATA_ENV, str(env))
    assert paths.data_dir(option) == option.resolve()
    assert paths.data_dir() == env.resolve()


def test_missing_data_dir_names_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "gone"))
    with pytest.raises(UserError, match=r"from \$MNIST_HANDWRITING_DATA\) does not exist"):
        paths.data_dir()
    assert paths.data_dir(required=False) is None
    # The library names its parameter; the CLI names its flag (issue 13).
    with pytest.raises(UserError, match=r"from 'data_dir'\)") as error:
        paths.data_dir(tmp_path / "also-gone")
    assert error.value.parameters == ("data_dir",)


def test_the_cli_names_the_data_dir_flag(tmp_path, monkeypatch, capsys):
    from mnist_handwriting.cli import main

    out = str(tmp_path / "x.npz")
    assert main(["convert", "--dataset", "mnist-test", "--data-dir", str(tmp_path / "gone"), "--out", out]) == 2
    assert "(from --data-dir) does not exist" in capsys.readouterr().err
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.setattr(paths, "default_data_candidates", lambda: [tmp_path / "none"])
    assert main(["convert", "--dataset", "mnist-test", "--out", out]) == 2
    assert "pass the folder as --data-dir or set" in capsys.readouterr().err


def test_no_default_data_dir_gives_a_fix(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.setattr(paths, "default_data_candidates", lambda: [tmp_path / "none"])
    with pytest.raises(UserError, match="pass the folder as 'data_dir' or set"):
        paths.data_dir()


def test_cache_dir_order_and_creation(tmp_path, monkeypatch):
    monkeypatch.delenv(paths.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "mnist-handwriting"
    assert (tmp_path / "xdg" / "mnist-handwriting").is_dir()
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "env-cache"))
    assert paths.cache_dir() == tmp_path / "env-cache"
    assert paths.cache_dir(tmp_path / "opt") == tmp_path / "opt"


def test_unwritable_cache_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot create cache directory"):
        paths.cache_dir(blocker / "sub")


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with paths.atomic_write(target) as temp:
            temp.write_text("new")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    with paths.atomic_write(target) as temp:
        temp.write_text("new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_atomic_write_gives_files_the_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        with paths.atomic_write(tmp_path / "b.txt") as temp:
            temp.write_text("x")
    finally:
        os.umask(mask)
    assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o644


def test_save_npz_writes_to_the_exact_path_even_without_the_suffix(tmp_path):
    import numpy as np

    paths.save_npz(tmp_path / "lines", lines=np.arange(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lines"]
    with np.load(tmp_path / "lines") as archive:
        assert archive["lines"].tolist() == [0, 1, 2]


def test_atomic_write_onto_a_folder_is_a_user_error(tmp_path):
    # os.replace(file, folder) raised IsADirectoryError after the block had written everything.
    (tmp_path / "d").mkdir()
    with pytest.raises(UserError, match="is a folder"):
        with paths.atomic_write(tmp_path / "d") as temp:
            temp.write_text("x")
    assert [p.name for p in tmp_path.iterdir()] == ["d"] and not any((tmp_path / "d").iterdir())
