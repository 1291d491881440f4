"""Several drawing orders per digit end to end (issue 16): convert --proposals/--sample, the proposals file
layout, draw --proposals, show, and the readers that take one trajectory per digit."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.cli import main
from mnist_handwriting.convert import ProposalConverter, load_converter, rank_proposals, sample_proposals
from mnist_handwriting.errors import UserError
from mnist_handwriting.formats import (load_handwriting_file, load_proposals_file, save_handwriting_batches,
                                       save_proposals_file)
from proposal_models import save_proposals_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def proposals_model(tmp_path_factory):
    return save_proposals_model(tmp_path_factory.mktemp("model") / "proposals.safetensors")


def test_convert_writes_the_proposals_layout_most_probable_first(capsys, tmp_path, proposals_model):
    code, out, _ = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model,
                       "--proposals", "2", "--out", tmp_path / "two.npz", "--workers", "1")
    assert code == 0 and "100 digits x 2 proposals x 6 points" in out
    points, probabilities, labels = load_proposals_file(tmp_path / "two.npz")
    assert points.shape == (100, 2, 6, 3) and probabilities.shape == (100, 2) and labels.shape == (100,)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities[:, 0] >= probabilities[:, 1]).all()
    code, _, _ = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model,
                     "--out", tmp_path / "one.npz", "--workers", "2", "--batch-size", "7")
    single, single_labels = load_handwriting_file(tmp_path / "one.npz")
    np.testing.assert_array_equal(single_labels, labels)
    np.testing.assert_allclose(points[:, 0, :, :2], single[..., :2], atol=1e-5)   # the top proposal is convert's
    np.testing.assert_array_equal(points[:, 0, :, 2], single[..., 2])
    code, _, _ = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model,
                     "--proposals", "3", "--out", tmp_path / "all.npz")
    every, odds, _ = load_proposals_file(tmp_path / "all.npz")
    np.testing.assert_allclose(odds[:, :2] / odds[:, :2].sum(axis=1, keepdims=True), probabilities, atol=1e-5)


def test_sample_draws_by_the_odds_seeded_whatever_the_batches(capsys, tmp_path, proposals_model):
    def sampled(name, *extra):
        code, out, err = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model,
                             "--sample", "--out", tmp_path / name, *extra)
        assert code == 0, err
        return load_handwriting_file(tmp_path / name)[0]

    first = sampled("a.npz", "--seed", "4", "--workers", "1")
    other_batches = sampled("b.npz", "--seed", "4", "--workers", "2", "--batch-size", "9")
    np.testing.assert_allclose(first, other_batches, atol=1e-5)   # the same choices (batches round differently)
    assert not np.array_equal(first, sampled("c.npz", "--seed", "5"))
    code, _, _ = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model,
                     "--proposals", "3", "--out", tmp_path / "all.npz")
    every = load_proposals_file(tmp_path / "all.npz")[0]
    matches = np.abs(first[:, None, :, :2] - every[..., :2]).max(axis=(2, 3)) < 1e-5
    assert matches.any(axis=1).all()   # every sampled drawing is one of the digit's proposals


def test_sampling_follows_the_probabilities():
    points = np.arange(3, dtype=np.float32)[None, :, None, None] * np.ones((20000, 3, 2, 3), np.float32)
    odds = np.tile(np.array([[0.6, 0.3, 0.1]], np.float32), (20000, 1))
    chosen = np.concatenate([part[:, 0, 0] for part in sample_proposals(iter([(points[:7000], odds[:7000]),
                                                                              (points[7000:], odds[7000:])]), 0)])
    np.testing.assert_allclose(np.bincount(chosen.astype(int), minlength=3) / 20000, [0.6, 0.3, 0.1], atol=0.015)


def test_rank_proposals_sorts_keeps_ties_in_order_and_renormalises():
    points = np.arange(4, dtype=np.float32)[None, :, None, None] * np.ones((1, 4, 1, 3), np.float32)
    ranked, odds = rank_proposals(points, np.array([[0.2, 0.4, 0.2, 0.2]], np.float32), 3)
    assert ranked[0, :, 0, 0].tolist() == [1, 0, 2]
    np.testing.assert_allclose(odds, [[0.5, 0.25, 0.25]])


@pytest.mark.parametrize("argv, message", [
    (["--proposals", "0"], "--proposals 0 is not positive"),
    (["--proposals", "-2"], "--proposals -2 is not positive"),
    (["--proposals", "4"], "--proposals 4 is not one of 1..3"),
    (["--proposals", "2", "--sample"], "--sample and --proposals both given"),
    (["--proposals", "2", "--model", "human-best"], "human-best draws one trajectory per digit"),
    (["--sample", "--method", "trace"], "trace draws one trajectory per digit"),
])
def test_bad_proposal_counts_are_one_line_and_write_nothing(capsys, tmp_path, proposals_model, argv, message):
    if "--model" not in argv and "--method" not in argv:
        argv = [*argv, "--model", proposals_model]
    code, _, err = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", *argv, "--out", tmp_path / "x.npz")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "x.npz").exists()


def test_the_proposals_layout_round_trips_and_streams_to_the_same_file(tmp_path):
    rng = np.random.default_rng(0)
    points = rng.uniform(0, 1, (5, 2, 4, 3)).astype(np.float32)
    points[..., 2] = 0
    points[..., -1, 2] = 1
    odds = rng.dirichlet([1, 1], 5).astype(np.float32)
    labels = np.arange(5)
    save_proposals_file(tmp_path / "a.npz", points, odds, labels)
    batches = iter([(points[:3], odds[:3]), (points[3:], odds[3:])])
    assert save_handwriting_batches(tmp_path / "b.npz", batches, labels, 4, proposals=2) == 5
    for name in ("a.npz", "b.npz"):
        read = load_proposals_file(tmp_path / name)
        for mine, theirs in zip((points, odds, labels), read):
            np.testing.assert_array_equal(mine, theirs)
    single = points[:, 0]
    save_proposals_file(tmp_path / "c.npz", single[:, None], np.ones((5, 1), np.float32), labels)
    np.testing.assert_array_equal(load_proposals_file(tmp_path / "c.npz")[0][:, 0], single)
    with pytest.raises(UserError, match="rows sum to 1"):
        save_proposals_file(tmp_path / "d.npz", points, odds * 0.5, labels)
    with pytest.raises(UserError, match="takes one trajectory per digit"):
        load_handwriting_file(tmp_path / "a.npz")
    assert not (tmp_path / "d.npz").exists()


def test_readers_of_one_trajectory_say_so_and_show_draws_every_proposal(capsys, tmp_path, proposals_model):
    run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--model", proposals_model, "--proposals", "3",
        "--out", tmp_path / "p.npz")
    code, _, err = run(capsys, "export", tmp_path / "p.npz", "--format", "ndjson", "--out", tmp_path / "p.ndjson")
    assert code == 2 and "3 proposals per digit" in err and "--sample" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(capsys, "show", tmp_path / "p.npz", "--count", "4", "--cell", "40", "--out", tmp_path / "p.png")
    assert code == 0 and "4 digits x 3 proposals" in out
    with Image.open(tmp_path / "p.png") as grid:
        assert grid.size == (3 * 40, 4 * 40)   # one row per digit, its proposals side by side


def test_draw_proposals_side_by_side_with_their_odds(capsys, tmp_path, proposals_model):
    code, out, _ = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--model", proposals_model,
                       "--proposals", "3", "--out", tmp_path / "seven.svg")
    assert code == 0 and "its 3 drawing orders:" in out
    svg = (tmp_path / "seven.svg").read_text()
    assert 'viewBox="0 0 3 1"' in svg and svg.count("<text") == 3
    with Image.open(tmp_path / "seven.gif") as gif:
        assert gif.size == (3 * 112, 112)
    code, _, _ = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--model", proposals_model,
                     "--proposals", "2", "--out", tmp_path / "seven.json")
    digit = json.loads((tmp_path / "seven.json").read_text())["digits"][0]
    assert len(digit["proposals"]) == 2 and digit["points"] == digit["proposals"][0]["points"]
    assert sum(p["probability"] for p in digit["proposals"]) == pytest.approx(1.0, abs=1e-3)
    code, _, err = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--proposals", "0",
                       "--out", tmp_path / "x.svg")
    assert code == 2 and "--proposals 0 is not positive" in err


def test_the_converter_refuses_counts_the_model_does_not_propose(proposals_model):
    converter = load_converter(str(proposals_model))
    assert ProposalConverter.of(converter).proposals == 3
    with pytest.raises(UserError, match="not one of 1..3"):
        ProposalConverter.of(converter, 5)
