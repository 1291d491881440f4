"""Animations: frames drawn point by point, the note's three-row figure, GIF writing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.errors import UserError
from mnist_handwriting.viz.animate import drawing_frames, note_animation, save_gif
from mnist_handwriting.viz.grid import trajectory_grid

ZIGZAG = np.array([[0.1, 0.1, 0], [0.9, 0.2, 0], [0.1, 0.5, 1], [0.5, 0.7, 0], [0.9, 0.9, 1]], np.float32)


def test_frames_grow_point_by_point_and_end_on_the_grid_picture():
    frames = drawing_frames(ZIGZAG, size=60, labels=[3], fps=4)
    assert len(frames) == len(ZIGZAG) + 4  # one per point, then a second's hold
    assert all(f.size == (60, 60) for f in frames)
    inked = [int((np.asarray(f).min(axis=2) < 200).sum()) for f in frames[:len(ZIGZAG)]]
    assert inked[0] < inked[1] < inked[2]
    np.testing.assert_array_equal(np.asarray(frames[-1]), np.asarray(trajectory_grid(ZIGZAG[None], [3], cell=60)))


def test_batch_frames_tile_the_digits():
    frames = drawing_frames(np.stack([ZIGZAG] * 6), size=30, columns=4, fps=1)
    assert frames[0].size == (120, 60) and len(frames) == 6


def test_note_animation_rows_are_input_drawing_output():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 14, 7] = 255
    reconstructions = np.zeros((2, 56, 56), np.float32)
    reconstructions[1, 28:30, 42:44] = 1.0
    frames = note_animation(images, np.stack([ZIGZAG] * 2), reconstructions, fps=2, cell=28)
    assert len(frames) == len(ZIGZAG) + 2
    first = np.asarray(frames[0]).astype(int)
    assert first.shape == (3 * 28, 28 + 2 * 28, 3)
    assert (first[14, 28 + 7] == 0).all() and (first[14, 28 + 8] == 255).all()  # the lit input pixel, black
    assert (first[2 * 28 + 14, 28 + 28 + 21] == 0).all()  # the lit output pixel of digit 1, scaled by 1/2
    with pytest.raises(UserError, match="one image, trajectory and reconstruction per digit"):
        note_animation(images[:1], np.stack([ZIGZAG] * 2), reconstructions)


def test_save_gif_frame_rate_and_frames(tmp_path):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "green", "blue")]
    save_gif(frames, tmp_path / "a.gif", fps=10)
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.n_frames == 3 and gif.info["duration"] == 100 and gif.info["loop"] == 0
    save_gif(frames, tmp_path / "b.gif", fps=50)
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.info["duration"] == 20
    for fps in (0, 51):
        with pytest.raises(UserError, match="frame rate"):
            save_gif(frames, tmp_path / "c.gif", fps=fps)
    with pytest.raises(UserError, match="no frames"):
        save_gif([], tmp_path / "c.gif")
    assert not (tmp_path / "c.gif").exists()


def test_interrupted_gif_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_gif([Image.new("RGB", (4, 4))] * 2, tmp_path / "a.gif")
    assert list(tmp_path.iterdir()) == []
