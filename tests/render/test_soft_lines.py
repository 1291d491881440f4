"""The note's soft line rasteriser: semantics, agreement with exact lines, gradients."""

import numpy as np
import pytest
import torch

from mnist_handwriting.render import RASTERISERS, SoftLineRasteriser, make_rasteriser
from mnist_handwriting.render.exact import draw_batch, draw_trajectory


def segment(x1, y1, x2, y2, softness, dtype=torch.float64):
    """One segment as ``points: (1, 2, 3)``."""
    return torch.tensor([[[x1, y1, softness], [x2, y2, 1.0]]], dtype=dtype)


def note_reference(points, size):
    """The note's formulation written out literally (both sigmoids, (size+1)^2 mesh, crops), one segment."""
    (x1, y1, s), (x2, y2, _) = points.tolist()
    def soft(z):
        return 0.5 * (1 + np.tanh(0.5 * z * s))  # sigmoid without overflow warnings

    centres = np.linspace(0.5 / size, 1 - 0.5 / size, size)
    edges = np.linspace(0, 1, size + 1)
    d = np.array([x2 - x1, y2 - y1])
    vert = (centres - x1) / d[0] * d[1] + y1        # y per column
    hori = (centres - y1) / d[1] * d[0] + x1        # x per row
    off = 1 / size
    v = (soft(vert[None, :] - edges[:, None]) * soft(edges[:, None] - vert[None, :] + off))[:-1, :]
    h = (soft(hori[None, :] - edges[:, None]) * soft(edges[:, None] - hori[None, :] + off))[:-1, :].T
    mesh_y, mesh_x = np.meshgrid(edges, edges, indexing="ij")
    rect = (soft(mesh_x - min(x1, x2)) * soft(mesh_y - min(y1, y2))
            * soft(max(x1, x2) - mesh_x + off) * soft(max(y1, y2) - mesh_y + off))
    return np.maximum(v, h) * rect[1:, 1:]


def exact_1px(points, size):
    """The exact rasteriser's 1-pixel drawing of ``points: (N, 2, 3)`` (pen down on the first point)."""
    pen = points.clone()
    pen[:, 0, 2] = 0.0
    pen[:, 1, 2] = 1.0
    return draw_batch(pen.numpy(), size) > 0.5


def test_registry_and_unknown_name():
    assert RASTERISERS["soft-line"] is SoftLineRasteriser
    assert make_rasteriser("soft-line", size=11).size == 11
    with pytest.raises(ValueError, match="soft-line"):
        make_rasteriser("no-such")


@pytest.mark.parametrize("size", [5, 28, 33])
def test_shapes_dtype_and_range(size):
    points = torch.rand(3, 6, 3, generator=torch.Generator().manual_seed(size)) * torch.tensor([1, 1, 300.0])
    segments = SoftLineRasteriser(size).segments(points)
    assert segments.shape == (3, 5, size, size) and segments.dtype == torch.float32
    assert segments.min() >= 0 and segments.max() <= 1
    assert SoftLineRasteriser(size)(points.double()).shape == (3, size, size)


def test_bad_points_shape():
    with pytest.raises(ValueError, match=r"\(B, T >= 2, 3\)"):
        SoftLineRasteriser().segments(torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match=r"\(B, T >= 2, 3\)"):
        SoftLineRasteriser()(torch.zeros(2, 4, 2))


def test_matches_the_notes_formulation():
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):
        points = torch.rand(1, 2, 3, generator=generator, dtype=torch.float64)
        points[0, 0, 2] = 30 + 300 * points[0, 0, 2]
        ours = SoftLineRasteriser(9).segments(points)[0, 0].numpy()
        np.testing.assert_allclose(ours, note_reference(points[0], 9), atol=1e-9)


@pytest.mark.parametrize("ends", [
    (0.1, 0.5, 0.9, 0.5),      # horizontal
    (0.3, 0.05, 0.3, 0.95),    # vertical
    (0.1, 0.1, 0.8, 0.8),      # diagonal
    (0.9, 0.1, 0.1, 0.8),      # anti-diagonal, right to left
    (0.4, 0.1, 0.55, 0.9),     # steep
    (0.2, 0.6, 0.9, 0.72),     # shallow (slope 1/5: no crossing exactly on a pixel edge)
    (0.5, 0.5, 0.56, 0.53),    # short (2 pixels)
    (0.41, 0.62, 0.41, 0.62),  # zero length: a dot
])
def test_high_softness_thresholds_to_the_exact_line(ends):
    size = 28
    # Snap the ends to pixel centres: the exact rasteriser floors them, the soft one does not.
    x1, y1, x2, y2 = [(np.floor(v * size) + 0.5) / size for v in ends]
    points = segment(x1, y1, x2, y2, 40.0 * size)
    soft = SoftLineRasteriser(size).segments(points)[0, 0].numpy() > 0.5
    np.testing.assert_array_equal(soft, exact_1px(points, size)[0])


def test_random_segments_agree_with_exact_lines():
    # Measured with seed 0 over 500 segments: mean IoU 0.95 with ends snapped to pixel
    # centres (ties on pixel edges give the tail); 0.70 and 99.3% pixel agreement with
    # unsnapped ends, where the exact rasteriser's floor shifts lines by up to a pixel.
    size = 28
    points = torch.rand(500, 2, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    points[:, 0, 2] = 40.0 * size
    raw = SoftLineRasteriser(size).segments(points)[:, 0].numpy() > 0.5
    exact = exact_1px(points, size)
    assert (raw == exact).mean() > 0.99
    points[..., :2] = (torch.floor(points[..., :2] * size) + 0.5) / size
    soft = SoftLineRasteriser(size).segments(points)[:, 0].numpy() > 0.5
    exact = exact_1px(points, size)
    iou = (soft & exact).sum((1, 2)) / (soft | exact).sum((1, 2))
    assert iou.mean() > 0.93


def test_softness_zero_draws_a_uniform_sixty_fourth_and_small_softness_almost_nothing():
    flat = SoftLineRasteriser(8).segments(segment(0.1, 0.2, 0.7, 0.9, 0.0))
    torch.testing.assert_close(flat, torch.full_like(flat, 1 / 64))
    faint = SoftLineRasteriser(28).segments(segment(0.1, 0.2, 0.7, 0.9, 1e-3))
    assert faint.max() < 0.016


def test_sum_and_max_compositing():
    # A cross: horizontal and vertical segments through pixel (row 2, column 2) of a 5x5 grid.
    points = torch.tensor([[[0.1, 0.5, 1e3], [0.9, 0.5, 1e3], [0.5, 0.1, 1e3], [0.5, 0.9, 1.0]]], dtype=torch.float64)
    rasteriser = SoftLineRasteriser(5)
    segments = rasteriser.segments(points)
    # The middle segment (0.9, 0.5) -> (0.5, 0.1) is the diagonal of pixels (2,4), (1,3), (0,2).
    summed, brightest = rasteriser(points, "sum")[0], rasteriser(points, "max")[0]
    torch.testing.assert_close(summed, segments[0].sum(0))
    torch.testing.assert_close(brightest, segments[0].amax(0))
    expected_sum = torch.zeros(5, 5, dtype=torch.float64)
    expected_sum[2, :] += 1
    expected_sum[:, 2] += 1
    expected_sum[[2, 1, 0], [4, 3, 2]] += 1
    torch.testing.assert_close(summed, expected_sum, atol=1e-6, rtol=0)
    torch.testing.assert_close(brightest, expected_sum.clamp(max=1), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="compositing"):
        rasteriser(points, "mean")


def test_gradcheck_float64():
    points = torch.tensor([[[0.15, 0.3, 12.0], [0.8, 0.65, 20.0], [0.4, 0.9, 1.0]]], dtype=torch.float64,
                          requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: SoftLineRasteriser(5)(p), (points,))


@pytest.mark.parametrize("ends", [
    (0.3, 0.1, 0.3, 0.9),          # vertical
    (0.1, 0.4, 0.9, 0.4),          # horizontal
    (0.5, 0.5, 0.5, 0.5),          # zero length
    (0.3, 0.1, 0.3 - 1e-8, 0.9),   # run of -1e-8 (infinite in the note's code)
])
@pytest.mark.parametrize("softness", [0.0, 1120.0])
def test_degenerate_segments_have_finite_values_and_gradients(ends, softness):
    points = segment(*ends, softness, dtype=torch.float32).requires_grad_()
    image = SoftLineRasteriser(28)(points)
    assert torch.isfinite(image).all()
    (image * torch.linspace(0, 1, 28 * 28).view(28, 28)).sum().backward()
    assert torch.isfinite(points.grad).all()
    if softness and ends[:2] != ends[2:]:
        exact = draw_trajectory(np.array([[*ends[:2], 0.0], [*ends[2:], 1.0]]), 28) > 0.5
        assert ((image[0] > 0.5).numpy() == exact).mean() > 0.99


def test_gradient_moves_a_line_towards_its_target():
    target = SoftLineRasteriser(28)(segment(0.2, 14.5 / 28, 0.8, 14.5 / 28, 200.0)).detach()  # row 14
    points = segment(0.2, 0.53, 0.8, 0.53, 200.0).requires_grad_()
    ((SoftLineRasteriser(28)(points) - target) ** 2).sum().backward()
    assert points.grad[0, 0, 1] > 0 and points.grad[0, 1, 1] > 0   # descent lowers y


def test_every_device_agrees_with_the_cpu(device):
    points = torch.rand(4, 7, 3, generator=torch.Generator().manual_seed(3)) * torch.tensor([1, 1, 500.0])
    cpu = SoftLineRasteriser(28)(points)
    torch.testing.assert_close(SoftLineRasteriser(28)(points.to(device)).cpu(), cpu, atol=1e-5, rtol=1e-4)
