"""Numbers in handwriting: layout geometry, punctuation, seeds and styles, files, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.cli import main
from mnist_handwriting.convert import load_converter
from mnist_handwriting.errors import UserError
from mnist_handwriting.export.common import float_text
from mnist_handwriting.render.exact import draw_trajectory
from mnist_handwriting.strokes import split_strokes
from mnist_handwriting.export.numbers import load_numbers, load_stroke3, save_numbers, save_writing, writing_svg
from mnist_handwriting.write import (BASELINE, GAP, MARGIN, SPACE, DigitPool, Jitter, Writing, check_text, place,
                                     random_numbers, random_texts, write_text)

STILL = Jitter(scale=0.0, gap=0.0, rise=0.0)


def bar(x0: float, x1: float, top: float = 0.15, bottom: float = 0.85) -> np.ndarray:
    """A Z-shaped digit trajectory with ink from x0 to x1 and from top to bottom."""
    return np.array([[x0, top, 0], [x1, top, 0], [x0, bottom, 0], [x1, bottom, 1]], np.float32)


@pytest.fixture(scope="module")
def pool() -> DigitPool:
    """Three images per class: Z shapes of different widths (the tracer turns them into strokes)."""
    shapes = [bar(0.3, 0.3 + 0.1 * (k + 2), 0.2, 0.8) for k in range(3)]
    images = np.stack([draw_trajectory(shapes[k % 3]) for k in range(30)])
    return DigitPool((images > 0).astype(np.uint8) * 255, np.repeat(np.arange(10), 3))


@pytest.fixture(scope="module")
def tracer():
    return load_converter("trace")


def ink_ranges(writing: Writing) -> list[tuple[float, float]]:
    return [(float(writing.points[a:b, 0].min()), float(writing.points[a:b, 0].max()))
            for a, b in writing.spans if b > a]


def test_place_without_jitter_puts_digits_at_hand_computed_positions():
    rng = np.random.default_rng(0)
    writing = place("12", [bar(0.3, 0.6), bar(0.2, 0.7, 0.1, 0.9)], rng, STILL)
    first, second = writing.points[:4], writing.points[4:]
    # The first digit's ink starts at the margin and its bottom sits on the baseline.
    np.testing.assert_allclose(first[:, 0], MARGIN + np.array([0, 0.3, 0, 0.3]), atol=1e-6)
    np.testing.assert_allclose(first[:, 1], BASELINE + np.array([-0.7, -0.7, 0, 0]), atol=1e-6)
    # The second starts one gap after the first one's ink ends.
    np.testing.assert_allclose(second[0, :2], [MARGIN + 0.3 + GAP, BASELINE - 0.8], atol=1e-6)
    assert writing.width == pytest.approx(MARGIN + 0.3 + GAP + 0.5 + MARGIN)
    assert writing.spans == [(0, 4), (4, 8)]


def test_pen_is_lifted_between_characters(tracer, pool):
    writing = write_text("3-14:59", tracer, pool, seed=4)
    assert [b - a > 0 for a, b in writing.spans] == [True] * 7
    for (a, b), (c, _) in zip(writing.spans, writing.spans[1:]):
        assert b == c                              # spans tile the points in text order
        assert writing.points[b - 1, 2] == 1       # pen up after each character
    assert writing.points[-1, 2] == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_digits_go_left_to_right_with_bounded_gaps_and_baseline(tracer, pool, seed):
    jitter = Jitter()
    writing = write_text("907 2168", tracer, pool, seed=seed, jitter=jitter)
    ranges = ink_ranges(writing)
    assert len(ranges) == 7
    gaps = [right[0] - left[1] for left, right in zip(ranges, ranges[1:])]
    # Between digits: GAP +- its jitter; across the space: plus SPACE.
    for k, gap in enumerate(gaps):
        expected = GAP + (SPACE if k == 2 else 0.0)
        assert expected - jitter.gap - 1e-6 <= gap <= expected + jitter.gap + 1e-6
    for a, b in writing.spans:
        if b > a:
            assert abs(writing.points[a:b, 1].max() - BASELINE) <= jitter.rise + 1e-6
    assert writing.points[:, 0].min() >= 0 and writing.points[:, 0].max() <= writing.width
    assert writing.points[:, 1].min() >= 0 and writing.points[:, 1].max() <= 1


def test_same_seed_same_writing_other_seed_differs(tracer, pool):
    first = write_text("2026", tracer, pool, seed=7)
    np.testing.assert_array_equal(first.points, write_text("2026", tracer, pool, seed=7).points)
    assert not np.array_equal(first.points, write_text("2026", tracer, pool, seed=8).points)


def test_style_picks_the_same_image_of_each_class(pool):
    rng = np.random.default_rng(0)
    assert [pool.pick(4, rng, 1) for _ in range(5)] == [13] * 5    # class 4 holds images 12, 13, 14
    assert pool.pick(4, rng, 4) == 13                              # wraps around
    assert {pool.pick(4, rng, None) for _ in range(40)} == {12, 13, 14}


def test_style_gives_repeated_digits_the_same_shape(tracer, pool):
    writing = write_text("77", tracer, pool, style=2, jitter=STILL)
    (a, b), (c, d) = writing.spans
    shift = writing.points[c, 0] - writing.points[a, 0]
    np.testing.assert_allclose(writing.points[c:d, 0] - shift, writing.points[a:b, 0], atol=1e-6)


def test_punctuation_glyphs_and_space():
    writing = place("1 .:,", [bar(0.3, 0.5)], np.random.default_rng(0), STILL)
    (_, _), space, dot, colon, comma = writing.spans
    assert space[1] == space[0]                                   # a space draws nothing
    assert dot[1] - dot[0] == 1 and writing.points[dot[0], 2] == 1  # a dot is one lifted point
    assert len(split_strokes(writing.points[colon[0]:colon[1]])) == 2
    assert writing.points[dot[0], 0] == pytest.approx(MARGIN + 0.2 + SPACE + GAP)  # a space adds SPACE, not a gap
    assert writing.points[comma[1] - 1, 1] > BASELINE             # the comma's tail hangs below the line


@pytest.mark.parametrize("text, message", [
    ("12a", "cannot write 'a'"), ("", "the text is empty"), ("   ", "the text is empty"),
    ("1" * 201, "more than 200"), ("½", "cannot write '½'")])
def test_bad_text_is_a_user_error(text, message):
    with pytest.raises(UserError, match=message):
        check_text(text)


def test_random_texts_respect_lengths_and_leading_digit():
    texts = random_texts(300, np.random.default_rng(0), 2, 4, punctuation=0.5)
    digits = [sum(c.isdigit() for c in t) for t in texts]
    assert min(digits) == 2 and max(digits) == 4
    assert all(t[0] != "0" for t in texts)
    assert 0.3 < np.mean([not t.isdigit() for t in texts]) < 0.7
    with pytest.raises(UserError, match="not a valid range"):
        random_texts(5, np.random.default_rng(0), 3, 2)
    with pytest.raises(UserError, match="cannot make 0"):
        random_texts(0, np.random.default_rng(0))


def test_random_texts_put_several_separators_between_digits():
    texts = random_texts(400, np.random.default_rng(1), 1, 10, punctuation=0.5, separators=" +-", max_separators=2)
    for text in texts:
        assert text[0].isdigit() and text[-1].isdigit()                        # never leading or trailing
        assert all(a.isdigit() or b.isdigit() for a, b in zip(text, text[1:]))  # never two side by side
    separators = [sum(not c.isdigit() for c in t) for t in texts]
    assert max(separators) == 2 and set("".join(texts)) <= set("0123456789 +-")
    with pytest.raises(UserError, match="not drawable"):
        random_texts(3, np.random.default_rng(0), separators="ab")


def test_numbers_file_round_trip(tracer, pool, tmp_path):
    writings = random_numbers(6, tracer, pool, min_digits=1, max_digits=3, seed=3)
    path = save_numbers(tmp_path / "numbers.npz", writings)
    back = load_numbers(path)
    assert [w.text for w in back] == [w.text for w in writings]
    for old, new in zip(writings, back):
        np.testing.assert_array_equal(new.points, old.points)
        assert new.width == pytest.approx(old.width)
    with np.load(path) as raw:
        assert raw["offsets"][0] == 0 and raw["offsets"][-1] == len(raw["points"])
        assert raw["points"].dtype == np.float32 and raw["texts"].dtype.kind == "U"


def test_numbers_file_reader_is_strict(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable .npz"):
        load_numbers(tmp_path / "junk.npz")
    np.savez(tmp_path / "bad.npz", points=np.zeros((4, 3), np.float32), offsets=np.array([0, 5]),
             texts=np.array(["1"]), widths=np.ones(1, np.float32))
    with pytest.raises(UserError, match="offsets do not split"):
        load_numbers(tmp_path / "bad.npz")
    np.savez(tmp_path / "short.npz", points=np.zeros((4, 3), np.float32))
    with pytest.raises(UserError, match="lacks key"):
        load_numbers(tmp_path / "short.npz")


def test_svg_json_and_gif_outputs(tracer, pool, tmp_path):
    writing = write_text("4.5", tracer, pool, seed=1)
    svg = writing_svg(writing)
    assert f'viewBox="0 0 {float_text(writing.width)} 1"' in svg and "<circle" in svg  # the dot
    assert svg.count("<polyline") == len(split_strokes(writing.points)) - 1
    save_writing(tmp_path / "n.json", [writing])
    data = json.loads((tmp_path / "n.json").read_text())
    np.testing.assert_allclose(data["points"], writing.points, atol=1e-5)
    assert data["text"] == "4.5"
    save_writing(tmp_path / "n.gif", [writing], fps=5)
    with Image.open(tmp_path / "n.gif") as gif:
        assert gif.n_frames > 1 and gif.size == (round(writing.width * 112), 112)
    with pytest.raises(UserError, match="unknown output type"):
        save_writing(tmp_path / "n.png", [writing])
    with pytest.raises(UserError, match="holds one writing"):
        save_writing(tmp_path / "two.svg", [writing, writing])


def test_cli_rejects_bad_text_before_loading_anything(capsys):
    assert main(["write", "12b", "--method", "trace"]) == 2
    assert "cannot write 'b'" in capsys.readouterr().err
    assert main(["write", "--method", "trace"]) == 2
    assert "give either a TEXT" in capsys.readouterr().err
    assert main(["write", "--random-numbers", "3", "--gif", "x.gif", "--method", "trace"]) == 2
    assert "--gif animates one number" in capsys.readouterr().err


def test_cli_rejects_a_bad_frame_rate_before_writing(tmp_path, capsys):
    out = tmp_path / "n.svg"
    assert main(["write", "12", "--method", "trace", "--out", str(out), "--gif", str(tmp_path / "n.gif"),
                 "--fps", "99"]) == 2
    assert "frame rate 99 is outside 1..50" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_a_number_from_mnist(data_dir, cache_dir, tmp_path, capsys):
    out = tmp_path / "n.svg"
    code = main(["write", "2026", "--method", "trace", "--out", str(out), "--gif", str(tmp_path / "n.gif"),
                 "--style", "5", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)])
    assert code == 0, capsys.readouterr().err
    assert 'data-text="2026"' in out.read_text() and (tmp_path / "n.gif").is_file()
    code = main(["write", "--random-numbers", "20", "--max-digits", "3", "--method", "trace",
                 "--out", str(tmp_path / "r.npz"), "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)])
    assert code == 0
    texts = [w.text for w in load_numbers(tmp_path / "r.npz")]
    assert len(texts) == 20 and all(1 <= len(t) <= 3 for t in texts)


def test_stroke3_numbers_file_round_trip(tracer, pool, tmp_path):
    writings = random_numbers(5, tracer, pool, max_digits=3, punctuation=1.0, seed=5)
    path = save_writing(tmp_path / "numbers.stroke3.npz", writings)
    back = load_stroke3(path)
    assert [w.text for w in back] == [w.text for w in writings]   # 5 drawings: all in the train split
    for old, new in zip(writings, back):
        np.testing.assert_allclose(new.points[:, :2], old.points[:, :2], atol=0.5 / 255 + 1e-6)
        np.testing.assert_array_equal(new.points[:, 2], old.points[:, 2])
    with np.load(path, allow_pickle=True) as raw:
        assert raw["train"][0].dtype == np.int16 and raw["valid"].shape == (0,)
    with pytest.raises(UserError, match="stroke-3 numbers file lacks key"):
        load_stroke3(save_numbers(tmp_path / "plain.npz", writings))
