"""What the web page asks for, as plain functions of parsed JSON: draw, write, synthesize, gallery.

:class:`App` holds the converter, the classifier, the digit pool and the synthesis network
(loaded on first use, so the page works without the data or a shipped model until an
endpoint needs them).
Every bad input raises :class:`RequestError` with an HTTP status and a one-line message;
the HTTP layer (:mod:`.server`) turns it into a JSON error reply.
"""

from __future__ import annotations

import base64
import binascii
import io
import threading
from dataclasses import dataclass, field

import numpy as np

from ..errors import UserError

MAX_SIDE = 1024
"""Largest accepted image side, pixels (the page's canvas is 280)."""
MAX_GALLERY = 48
"""Most digits one gallery request may ask for."""
NO_SYNTHESIZER = ("train one with `mnist-handwriting train-synthesis --out DIR` and start the page with "
                  "`mnist-handwriting serve --synthesis-model DIR/synthesis.safetensors`")
"""How to get a synthesis network when none is shipped."""


class RequestError(Exception):
    """A request the server refuses: ``status`` (4xx/5xx) and a one-line ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _field(payload: dict, name: str, kind: type, default=None, low: int | None = None, high: int | None = None):
    """``payload[name]`` checked to be ``kind`` (and within ``low..high`` for ints), else ``default``."""
    value = payload.get(name, default)
    if value is None:
        return default
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise RequestError(400, f"'{name}' must be an integer, got {type(value).__name__}")
    if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise RequestError(400, f"'{name}' must be a number, got {type(value).__name__}")
    if kind is str and not isinstance(value, str):
        raise RequestError(400, f"'{name}' must be a string, got {type(value).__name__}")
    if kind is int and ((low is not None and value < low) or (high is not None and value > high)):
        raise RequestError(400, f"'{name}' must be between {low} and {high}, got {value}")
    return value


def _decode_png(text: str) -> np.ndarray:
    """A base64 image (optionally a ``data:`` URL) as grayscale floats in [0, 1]; transparency is paper."""
    from ..data.preprocess import ImageTooLarge, read_image

    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, "'image' is not valid base64") from None
    try:
        return read_image(io.BytesIO(raw), "'image'", MAX_SIDE, "send a PNG/JPEG image")
    except ImageTooLarge as error:
        raise RequestError(413, str(error)) from None
    except UserError as error:
        raise RequestError(400, str(error)) from None


def _pixels(value) -> np.ndarray:
    """A 2-D list of numbers (0..1 or 0..255) as a float array, checked."""
    if not isinstance(value, list) or not value or not all(isinstance(row, list) for row in value):
        raise RequestError(400, "'pixels' must be a non-empty 2-D array (a list of rows)")
    if len(value) > MAX_SIDE or max(len(row) for row in value) > MAX_SIDE:
        raise RequestError(413, f"'pixels' is larger than {MAX_SIDE} a side")
    if len({len(row) for row in value}) != 1 or not value[0]:
        raise RequestError(400, "'pixels' rows must all have the same, non-zero length")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for row in value for v in row):
        raise RequestError(400, "'pixels' must hold only numbers")
    array = np.asarray(value, np.float32)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 255:
        raise RequestError(400, "'pixels' values must be finite and within 0..255")
    return array


def _writing_reply(writing) -> dict:
    """The JSON of a written number (``write`` and ``synthesize``): text, frame width, points, spans, SVG, stroke-3."""
    from ..export.numbers import writing_svg
    from ..export.outputs import points_list
    from ..export.stroke3 import to_stroke3

    return {"text": writing.text, "width": round(writing.width, 5), "points": points_list(writing.points),
            "spans": [list(s) for s in writing.spans], "svg": writing_svg(writing),
            "stroke3": to_stroke3(writing.points).tolist()}


def _drawn_prime(value):
    """The ``prime`` field, digits drawn on the page (``{text, points}`` in the writing frame), as a
    :class:`..synthesize.Prime`, or ``None``.

    The drawing is moved to start at the left margin and resampled to the training numbers'
    20 points a character, so the network reads it as it read the hands it learned from.
    """
    from ..strokes import resample
    from ..synthesis.model import MAX_CHARACTERS
    from ..synthesis.numbers import POINTS_PER_DIGIT
    from ..synthesis.hands import spans_by_columns
    from ..synthesis.writing import prime_from_writing
    from ..write import MARGIN, Writing

    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestError(400, f"'prime' must be an object {{text, points}}, got {type(value).__name__}")
    text, points = value.get("text"), value.get("points")
    if not isinstance(text, str):
        raise RequestError(400, "'prime' needs a 'text' string: the digits that were drawn")
    if not isinstance(points, list) or not points:
        raise RequestError(400, "'prime' has no 'points': draw a few digits to prime with")
    if not all(isinstance(row, list) and len(row) == 3 and
               all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row) for row in points):
        raise RequestError(400, "'prime' points must be rows [x, y, pen_up] of numbers")
    array = np.asarray(points, np.float32)
    if not np.isfinite(array).all() or not np.isin(array[:, 2], (0, 1)).all():
        raise RequestError(400, "'prime' points must be finite, with pen_up 0 or 1")
    characters = len(text.replace(" ", ""))
    if characters > MAX_CHARACTERS:
        raise RequestError(400, f"the drawn prime's text has {characters} characters, more than {MAX_CHARACTERS}")
    array = resample(array, POINTS_PER_DIGIT * max(characters, 1))
    array[:, 0] += MARGIN - array[:, 0].min()
    # Split into characters where the strokes' columns part (no spans, no hand shapes, when they do not).
    spans = spans_by_columns(text, array)
    return prime_from_writing(Writing(text, array, float(array[:, 0].max() + MARGIN), spans), "the drawn prime")


@dataclass
class App:
    """The server's state: ``converter`` (see :func:`..convert.load_converter`) and what loads lazily.

    ``classifier``: a model for :func:`..models.classifier.predict`, or ``None`` to load the
    shipped one when a drawing comes without a label. ``pool``: a :class:`..write.DigitPool`,
    or ``None`` to load the thinned MNIST test digits from ``locations`` (a
    :class:`..data.datasets.Locations`; ``None``: the usual folders), where the pendigits
    writers' hands are read too. ``synthesizer``: a network for :func:`..synthesize.synthesize`,
    or ``None`` to load the weights file ``synthesis_model`` (``None``: the shipped one).
    """

    converter: object
    classifier: object = None
    pool: object = None
    locations: object = None
    synthesizer: object = None
    synthesis_model: str | None = None
    device: str = "cpu"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _convert(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        with self._lock:  # one conversion at a time: models are not re-entrant and the CPU is shared
            return self.converter.convert(images, labels)

    def _proposals(self, image: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
        """A proposals model's drawing orders of ``image``, most probable first: ``(K, T, 3)`` and ``(K,)``."""
        from ..convert import ProposalConverter

        with self._lock:
            points, probabilities = ProposalConverter.of(self.converter).convert(image[None], np.array([label]))
        return points[0], probabilities[0]

    def _classify(self, image: np.ndarray) -> tuple[int, float]:
        from ..draw import choose_labels
        from ..models.classifier import load_classifier

        with self._lock:
            if self.classifier is None:
                try:
                    self.classifier = load_classifier(self.device)
                except UserError as error:
                    raise RequestError(503, f"no classifier to label the drawing ({error}); choose the digit") from None
            labels = choose_labels(image[None], None, classifier=self.classifier)
        return int(labels.values[0]), float(labels.confidence[0])

    def _pool(self):
        from ..write import DigitPool

        with self._lock:
            if self.pool is None:
                try:
                    self.pool = DigitPool.from_dataset("mnist-test", self.locations)
                except UserError as error:
                    raise RequestError(503, f"the MNIST digits are not available ({error})") from None
            return self.pool

    def _synthesis_network(self):
        from ..synthesis.writing import load_synthesizer

        with self._lock:
            if self.synthesizer is None:
                try:
                    self.synthesizer = load_synthesizer(self.synthesis_model, self.device)
                except UserError as error:
                    message = f"{error.problem}: {NO_SYNTHESIZER}" if self.synthesis_model is None else str(error)
                    raise RequestError(503, message) from None
            return self.synthesizer

    def _writer_prime(self, writer: int, seed: int):
        from ..data.datasets import Locations
        from ..synthesis.writing import prime_from_writer

        locations = self.locations or Locations()
        with self._lock:
            try:
                return prime_from_writer(writer, seed, data_dir=locations.data_dir, cache_dir=locations.cache_dir)
            except UserError as error:
                raise RequestError(503, f"the pendigits writers are not available ({error})") from None

    def draw(self, payload: dict) -> dict:
        """A drawn digit (``image``: base64 PNG, or ``pixels``: 2-D array; optional ``label``) to its trajectory
        (the most probable one of a proposals model, with all of them under ``proposals``)."""
        from ..data.preprocess import prepare
        from ..export.outputs import points_list
        from ..export.stroke3 import to_stroke3
        from ..export.svg import to_svg

        if (payload.get("image") is None) == (payload.get("pixels") is None):   # JSON null counts as absent
            raise RequestError(400, "give exactly one of 'image' (base64 PNG) or 'pixels' (2-D array)")
        label = _field(payload, "label", int, low=0, high=9)
        if payload.get("image") is not None:
            gray = _decode_png(_field(payload, "image", str))
        else:
            gray = _pixels(payload["pixels"])
        try:
            image = prepare(gray)
        except UserError as error:
            raise RequestError(400, str(error)) from None
        predicted, confidence = label is None, 1.0
        if predicted:
            label, confidence = self._classify(image)
        def drawing(points: np.ndarray) -> dict:
            return {"points": points_list(points), "svg": to_svg(points, label), "stroke3": to_stroke3(points).tolist()}

        reply = {"label": label, "predicted": predicted, "confidence": round(confidence, 4),
                 "input": (image > 0).astype(int).tolist(), "converter": self.converter.name}
        if getattr(self.converter, "proposals", 1) < 2:
            return {**reply, **drawing(self._convert(image[None], np.array([label], np.int64))[0])}
        # A proposals model (issue 16): all its drawing orders, most probable first, and that one as the drawing.
        points, probabilities = self._proposals(image, label)
        proposals = [{"probability": round(float(p), 4), **drawing(proposal)} for p, proposal in zip(probabilities, points)]
        return {**reply, **drawing(points[0]), "proposals": proposals}

    def write(self, payload: dict) -> dict:
        """``text`` (optional ``style``, ``seed``) written as one trajectory in the writing frame."""
        from ..write import check_text, write_text

        text = _field(payload, "text", str)
        style = _field(payload, "style", int, low=0, high=10**6)
        seed = _field(payload, "seed", int, 0, low=0, high=2**31 - 1)
        try:
            check_text(text or "")
        except UserError as error:
            raise RequestError(400, str(error)) from None
        pool = self._pool()
        with self._lock:
            writing = write_text(text, self.converter, pool, style=style, seed=seed)
        return {**_writing_reply(writing), "converter": self.converter.name}

    def synthesize(self, payload: dict) -> dict:
        """``text`` written by the synthesis network (optional ``bias``, ``seed``, and a hand: ``writer``
        1-30 or a drawn ``prime``), with the character each point was written for (``alignment``)."""
        from ..synthesis.writing import check_texts, synthesize

        text = _field(payload, "text", str, "")
        bias = _field(payload, "bias", float, 1.0)
        seed = _field(payload, "seed", int, 0, low=0, high=2**31 - 1)
        writer = _field(payload, "writer", int, low=1, high=30)
        if writer is not None and payload.get("prime") is not None:
            raise RequestError(400, "give at most one hand: 'writer' (pendigits) or 'prime' (drawn digits)")
        try:
            check_texts(text, bias)   # before the slower loading of a writer's hand and of the network
            prime = self._writer_prime(writer, seed) if writer is not None else _drawn_prime(payload.get("prime"))
            check_texts(text, bias, prime)   # the prime's text counts towards the 100 characters
        except UserError as error:
            raise RequestError(400, str(error)) from None
        model = self._synthesis_network()
        with self._lock:
            [writing] = synthesize(text, model, bias=bias, seed=seed, prime=prime)
        return {**_writing_reply(writing), "alignment": writing.alignment.tolist(),
                "hand": None if prime is None else prime.source}

    def gallery(self, count: int = 12, seed: int = 0) -> dict:
        """``count`` random thinned MNIST test digits (fewer if the pool is smaller) with their converted trajectories."""
        if not 1 <= count <= MAX_GALLERY:
            raise RequestError(400, f"'count' must be between 1 and {MAX_GALLERY}, got {count}")
        from ..export.outputs import points_list

        pool = self._pool()
        index = np.random.default_rng(seed).choice(len(pool.labels), size=min(count, len(pool.labels)), replace=False)
        points = self._convert(pool.images[index], pool.labels[index])
        return {"digits": [{"index": int(i), "label": int(pool.labels[i]), "points": points_list(p)}
                           for i, p in zip(index, points)], "converter": self.converter.name}
