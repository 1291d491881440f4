"""The web page's server: real HTTP on an ephemeral port, good and bad requests."""

from __future__ import annotations

import base64
import io
import socket

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import mnist_handwriting.synthesis.writing as synthesize_module
from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.convert import load_converter
from mnist_handwriting.models.classifier import DigitClassifier
from mnist_handwriting.serve.app import MAX_SIDE, App
from mnist_handwriting.serve.server import MAX_BODY
from mnist_handwriting.synthesis.model import save_synthesis
from serving import call, small_pool, start
from test_fuzzed_files import png_claiming


@pytest.fixture(scope="module")
def server():
    torch.manual_seed(0)  # the untrained classifier's weights
    server = start(App(load_converter("trace"), classifier=DigitClassifier().eval(), pool=small_pool()))
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def synthesis_server(trained):
    server = start(App(load_converter("trace"), synthesizer=trained))
    yield server
    server.shutdown()
    server.server_close()


def png_base64(width: int = 200, height: int = 200, line: bool = True) -> str:
    image = Image.new("L", (width, height), 255)
    if line:
        ImageDraw.Draw(image).line([(width // 2, height // 6), (width // 2 - 10, height * 5 // 6)], fill=0, width=18)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def one_pixels() -> list[list[int]]:
    image = np.zeros((28, 28), int)
    image[4:24, 13:15] = 255
    return image.tolist()


def test_page_and_static_files(server):
    status, kind, text = call(server, "GET", "/")
    assert status == 200 and kind.startswith("text/html") and 'id="pad"' in text
    assert 'id="synthesize-form"' in text and 'id="prime-pad"' in text and 'id="synthesis"' in text
    status, kind, text = call(server, "GET", "/static/app.js")
    assert status == 200 and "javascript" in kind and "/api/draw" in text and "/api/synthesize" in text
    assert call(server, "GET", "/static/style.css")[0] == 200
    for path in ("/static/../server.py", "/static/app.py", "/nothing", "/app.js"):
        status, _, reply = call(server, "GET", path)
        assert status == 404 and "no page" in reply["error"]


def test_draw_with_given_label(server):
    status, _, reply = call(server, "POST", "/api/draw", {"pixels": one_pixels(), "label": 1})
    assert status == 200
    assert reply["label"] == 1 and reply["predicted"] is False and reply["confidence"] == 1.0
    points = np.array(reply["points"])
    assert points.shape == (20, 3) and points[-1, 2] == 1
    assert 0.4 < points[:, 0].mean() < 0.6                     # the bar down the middle
    assert np.array(reply["input"]).shape == (28, 28)
    assert reply["svg"].startswith("<svg") and 'data-label="1"' in reply["svg"]
    offsets = np.array(reply["stroke3"])
    np.testing.assert_allclose(np.cumsum(offsets[:, :2], axis=0) / 255, points[:, :2], atol=0.5 / 255 + 1e-5)
    assert reply["converter"] == "trace"


def test_draw_png_is_labelled_by_the_classifier(server):
    status, _, reply = call(server, "POST", "/api/draw", {"image": png_base64()})
    assert status == 200, reply
    assert reply["predicted"] is True and 0 <= reply["label"] <= 9 and 0 < reply["confidence"] <= 1
    assert len(reply["points"]) == 20


@pytest.mark.parametrize("body, status, message", [
    ([1, 2], 400, "must be a JSON object"),
    ({}, 400, "exactly one of 'image'"),
    ({"image": "x", "pixels": [[1]]}, 400, "exactly one of 'image'"),
    ({"pixels": one_pixels(), "label": "3"}, 400, "'label' must be an integer"),
    ({"pixels": one_pixels(), "label": True}, 400, "'label' must be an integer"),
    ({"pixels": one_pixels(), "label": 12}, 400, "between 0 and 9"),
    ({"pixels": [[0, 1], [0]]}, 400, "same, non-zero length"),
    ({"pixels": [[0, "a"], [0, 1]]}, 400, "only numbers"),
    ({"pixels": [[0, 300], [0, 1]]}, 400, "within 0..255"),
    ({"pixels": "abc"}, 400, "non-empty 2-D array"),
    ({"pixels": [[0] * 5] * (MAX_SIDE + 1)}, 413, "larger than"),
    ({"pixels": np.zeros((28, 28), int).tolist(), "label": 1}, 400, "no ink"),
    ({"image": "!!notbase64!!"}, 400, "not valid base64"),
    ({"image": base64.b64encode(b"hello").decode()}, 400, "not a readable"),
    ({"image": 5}, 400, "'image' must be a string"),
    ({"image": None}, 400, "exactly one of 'image'"),          # was an AttributeError, a 500
    ({"image": None, "pixels": None}, 400, "exactly one of 'image'"),
    ({"image": png_base64(MAX_SIDE + 1, 4, line=False)}, 413, "the limit is"),
    ({"image": base64.b64encode(png_claiming(100_000, 100_000)).decode()}, 413, "too large"),   # was a 500
])
def test_draw_rejects_bad_input(server, body, status, message):
    got, _, reply = call(server, "POST", "/api/draw", body)
    assert got == status and message in reply["error"]


def test_bad_bodies(server):
    status, _, reply = call(server, "POST", "/api/draw", raw=b"{not json")
    assert status == 400 and "not valid JSON" in reply["error"]
    status, _, reply = call(server, "POST", "/api/draw", raw=b"\xff\xfe")
    assert status == 400 and "not valid JSON" in reply["error"]
    status, _, reply = call(server, "POST", "/api/nothing", {"a": 1})
    assert status == 404


def test_oversized_and_missing_bodies_are_refused_without_reading(server):
    def raw_request(head: str) -> bytes:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=30) as sock:
            sock.sendall(head.encode())
            reply = b""
            while chunk := sock.recv(65536):  # the server closes the connection after its reply
                reply += chunk
            return reply

    reply = raw_request(f"POST /api/draw HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n{{}}")
    assert reply.startswith(b"HTTP/1.0 413") and b"limit" in reply
    reply = raw_request("POST /api/draw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 411")
    reply = raw_request("POST /api/draw HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 400") and b"empty" in reply


def test_write_endpoint(server):
    status, _, reply = call(server, "POST", "/api/write", {"text": "12.5", "seed": 3, "style": 1})
    assert status == 200 and reply["text"] == "12.5"
    points = np.array(reply["points"])
    assert len(reply["spans"]) == 4 and reply["spans"][-1][1] == len(points)
    assert points[:, 0].max() <= reply["width"] and reply["svg"].startswith("<svg")
    assert call(server, "POST", "/api/write", {"text": "12.5", "seed": 3, "style": 1})[2] == reply
    for body, message in [({"text": "12x"}, "cannot write 'x'"), ({"text": 12}, "must be a string"),
                          ({}, "the text is empty"), ({"text": "1", "seed": -1}, "between 0"),
                          ({"text": "1", "style": 1.5}, "must be an integer")]:
        status, _, reply = call(server, "POST", "/api/write", body)
        assert status == 400 and message in reply["error"], body
    assert call(server, "GET", "/api/write")[0] == 405


def drawn_prime(text: str = "17", shift: float = 0.0, steps: int = 1) -> dict:
    """A "1" and a "7" of straight strokes in the writing frame, each segment cut into ``steps`` points."""
    strokes = [[(0.5, 0.2), (0.45, 0.8)], [(0.9, 0.25), (1.4, 0.2), (1.1, 0.8)]]
    points = []
    for stroke in strokes:
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            points += [[x0 + (x1 - x0) * t / steps + shift, y0 + (y1 - y0) * t / steps, 0] for t in range(steps)]
        points.append([stroke[-1][0] + shift, stroke[-1][1], 1])
    return {"text": text, "points": points}


def test_synthesize_endpoint(synthesis_server):
    body = {"text": "0123", "seed": 3, "bias": 1}
    status, _, reply = call(synthesis_server, "POST", "/api/synthesize", body)
    assert status == 200 and reply["text"] == "0123" and reply["hand"] is None
    points, alignment = np.array(reply["points"]), np.array(reply["alignment"])
    assert points.shape[1] == 3 and len(alignment) == len(points) == len(reply["stroke3"]) and points[-1, 2] == 1
    assert len(reply["spans"]) == 4 and reply["spans"][0][0] == 0 and reply["spans"][-1][1] == len(points)
    for index, (start, stop) in enumerate(reply["spans"]):   # each character's points are its run of the alignment
        assert (alignment[start:stop] == index).all()
    assert (np.diff(alignment) >= 0).all() and points[:, 0].max() <= reply["width"]
    assert reply["svg"].startswith("<svg")
    assert call(synthesis_server, "POST", "/api/synthesize", body)[2] == reply
    assert call(synthesis_server, "POST", "/api/synthesize", {**body, "seed": 4})[2]["points"] != reply["points"]
    assert call(synthesis_server, "GET", "/api/synthesize")[0] == 405


def test_a_drawn_prime_sets_the_hand_wherever_and_however_densely_it_was_drawn(synthesis_server):
    body = {"text": "0123", "seed": 3}
    plain = call(synthesis_server, "POST", "/api/synthesize", body)[2]
    status, _, primed = call(synthesis_server, "POST", "/api/synthesize", {**body, "prime": drawn_prime()})
    assert status == 200 and primed["hand"] == "the drawn prime" and len(primed["spans"]) == 4
    assert primed["points"] != plain["points"]
    # Moved right and drawn with ten times the points, it is the same prime (moved to the margin, resampled).
    status, _, again = call(synthesis_server, "POST", "/api/synthesize",
                            {**body, "prime": drawn_prime(shift=2.0, steps=10)})
    assert status == 200 and len(again["points"]) == len(primed["points"])
    np.testing.assert_allclose(again["points"], primed["points"], atol=1e-3)


@pytest.mark.parametrize("body, message", [
    ({"text": "12x"}, "cannot write 'x'"),
    ({}, "the text is empty"),
    ({"text": 12}, "'text' must be a string"),
    ({"text": "1" * 101}, "more than 100"),
    ({"text": "1", "bias": -1}, "a 'bias' of -1 cannot be used"),
    ({"text": "1", "bias": float("nan")}, "a 'bias' of nan cannot be used"),
    ({"text": "1", "bias": "1"}, "'bias' must be a number"),
    ({"text": "1", "seed": -1}, "between 0"),
    ({"text": "1", "writer": 0}, "'writer' must be between 1 and 30"),
    ({"text": "1", "writer": 31}, "'writer' must be between 1 and 30"),
    ({"text": "1", "writer": "3"}, "'writer' must be an integer"),
    ({"text": "1", "writer": 3, "prime": drawn_prime()}, "at most one hand"),
    ({"text": "1", "prime": "17"}, "'prime' must be an object"),
    ({"text": "1", "prime": {"points": drawn_prime()["points"]}}, "needs a 'text' string"),
    ({"text": "1", "prime": {"text": "1", "points": []}}, "has no 'points'"),
    ({"text": "1", "prime": {"text": "1", "points": [[0, 0]]}}, "rows [x, y, pen_up] of numbers"),
    ({"text": "1", "prime": {"text": "1", "points": [[0, "a", 1]]}}, "rows [x, y, pen_up] of numbers"),
    ({"text": "1", "prime": {"text": "1", "points": [[0, 0, 2]]}}, "pen_up 0 or 1"),
    ({"text": "1", "prime": {"text": "1", "points": [[0, float("inf"), 1]]}}, "must be finite"),
    ({"text": "1", "prime": drawn_prime(" ")}, "no text to prime with"),
    ({"text": "1", "prime": drawn_prime("1a")}, "cannot prime with 'a'"),
    ({"text": "1", "prime": drawn_prime("1" * 101)}, "more than 100"),
    ({"text": "1" * 95, "prime": drawn_prime("123456")}, "with the priming text's 7"),
])
def test_synthesize_rejects_bad_input(synthesis_server, body, message):
    status, _, reply = call(synthesis_server, "POST", "/api/synthesize", body)
    assert status == 400 and message in reply["error"], reply


def test_the_synthesis_model_loads_on_first_use_and_its_absence_is_explained(trained, tmp_path, monkeypatch):
    monkeypatch.setattr(synthesize_module, "SHIPPED", tmp_path / "synthesis.safetensors")
    weights = save_synthesis(trained, tmp_path / "toy.safetensors", metrics={}, command="test")
    apps = {name: App(load_converter("trace"), synthesis_model=model)
            for name, model in (("shipped", None), ("given", str(weights)), ("missing", str(tmp_path / "no.x")))}
    servers = {name: start(app) for name, app in apps.items()}
    try:
        status, _, reply = call(servers["shipped"], "POST", "/api/synthesize", {"text": "12"})
        assert status == 503 and "no synthesis model is shipped yet" in reply["error"]
        assert "train-synthesis --out DIR" in reply["error"] and "serve --synthesis-model" in reply["error"]
        assert call(servers["shipped"], "POST", "/api/synthesize", {"text": "12x"})[0] == 400
        status, _, reply = call(servers["missing"], "POST", "/api/synthesize", {"text": "12"})
        assert status == 503 and "no.x" in reply["error"]
        assert apps["given"].synthesizer is None
        status, _, reply = call(servers["given"], "POST", "/api/synthesize", {"text": "0123"})
        assert status == 200 and len(reply["alignment"]) == len(reply["points"]) and len(reply["spans"]) == 4
        assert apps["given"].synthesizer is not None
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def test_synthesize_in_a_pendigits_writers_hand(trained, data_dir, cache_dir):
    server = start(App(load_converter("trace"), locations=Locations(data_dir, cache_dir), synthesizer=trained))
    try:
        body = {"text": "0123", "seed": 1, "writer": 28}
        status, _, reply = call(server, "POST", "/api/synthesize", body)
        assert status == 200 and reply["hand"] == "pendigits writer 28" and len(reply["spans"]) == 4
        assert len(reply["alignment"]) == len(reply["points"])
        assert call(server, "POST", "/api/synthesize", body)[2] == reply
        assert call(server, "POST", "/api/synthesize", {**body, "writer": 3})[2]["points"] != reply["points"]
    finally:
        server.shutdown()
        server.server_close()


def test_gallery_endpoint(server):
    status, _, reply = call(server, "GET", "/api/gallery?count=3&seed=2")
    assert status == 200 and len(reply["digits"]) == 3
    assert all(len(d["points"]) == 20 and 0 <= d["label"] <= 9 for d in reply["digits"])
    for query, message in [("count=0", "between 1 and"), ("count=abc", "must be integers"), ("count=999", "between")]:
        status, _, reply = call(server, "GET", f"/api/gallery?{query}")
        assert status == 400 and message in reply["error"]
    assert call(server, "POST", "/api/gallery", {"count": 1})[0] == 405
    status, _, reply = call(server, "GET", "/api/gallery?count=30")   # more than the 20 pooled: was a 500
    assert status == 200 and len(reply["digits"]) == 20


def test_missing_data_and_classifier_are_503(tmp_path, monkeypatch):
    import mnist_handwriting.models.classifier as classifier

    monkeypatch.setattr(classifier, "WEIGHTS_DIR", tmp_path)
    lonely = start(App(load_converter("trace"), locations=Locations(tmp_path / "absent")))
    try:
        status, _, reply = call(lonely, "GET", "/api/gallery")
        assert status == 503 and "not available" in reply["error"]
        status, _, reply = call(lonely, "POST", "/api/draw", {"pixels": one_pixels()})
        assert status == 503 and "choose the digit" in reply["error"]
        status, _, reply = call(lonely, "POST", "/api/synthesize", {"text": "12", "writer": 3})
        assert status == 503 and "pendigits writers are not available" in reply["error"]
        assert call(lonely, "POST", "/api/draw", {"pixels": one_pixels(), "label": 1})[0] == 200
    finally:
        lonely.shutdown()
        lonely.server_close()


class Broken:
    name = "broken"

    def convert(self, images, labels):
        raise RuntimeError("boom")


def test_a_failing_handler_is_a_500_and_the_server_lives_on():
    broken = start(App(Broken()))
    try:
        status, _, reply = call(broken, "POST", "/api/draw", {"pixels": one_pixels(), "label": 1})
        assert status == 500 and "RuntimeError: boom" in reply["error"]
        assert call(broken, "GET", "/")[0] == 200
    finally:
        broken.shutdown()
        broken.server_close()


def test_cli_refuses_bad_or_busy_ports(capsys):
    from mnist_handwriting.cli import main

    assert main(["serve", "--method", "trace", "--port", "70000"]) == 2
    assert "outside 0..65535" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--method", "trace", "--port", str(busy.getsockname()[1])]) == 2
    assert "cannot listen" in capsys.readouterr().err
    assert main(["serve", "--method", "trace", "--synthesis-model", "absent.safetensors"]) == 2
    assert "--synthesis-model absent.safetensors is not a file" in capsys.readouterr().err


def test_draw_with_a_proposals_model_replies_every_drawing_order(tmp_path):
    from proposal_models import save_proposals_model

    server = start(App(load_converter(str(save_proposals_model(tmp_path / "proposals.safetensors")))))
    try:
        status, _, reply = call(server, "POST", "/api/draw", {"pixels": one_pixels(), "label": 1})
    finally:
        server.shutdown()
        server.server_close()
    assert status == 200 and len(reply["proposals"]) == 3
    odds = [p["probability"] for p in reply["proposals"]]
    assert odds == sorted(odds, reverse=True) and sum(odds) == pytest.approx(1.0, abs=1e-3)
    assert reply["proposals"][0]["points"] == reply["points"]   # the reply's drawing is the most probable one
    assert all(p["svg"].startswith("<svg") and len(p["stroke3"]) == 6 for p in reply["proposals"])


def test_a_single_drawing_model_replies_no_proposals(server):
    status, _, reply = call(server, "POST", "/api/draw", {"pixels": one_pixels(), "label": 1})
    assert status == 200 and "proposals" not in reply
