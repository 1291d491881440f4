"""The web page's server: real HTTP on an ephemeral port, good and bad requests."""

from __future__ import annotations

import base64
import io
import socket

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.convert import load_converter
from mnist_handwriting.models.classifier import DigitClassifier
from mnist_handwriting.serve.app import MAX_SIDE, App
from mnist_handwriting.serve.server import MAX_BODY
from serving import call, small_pool, start
from test_fuzzed_files import png_claiming


@pytest.fixture(scope="module")
def server():
    torch.manual_seed(0)  # the untrained classifier's weights
    server = start(App(load_converter("trace"), classifier=DigitClassifier().eval(), pool=small_pool()))
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
    status, kind, text = call(server, "GET", "/static/app.js")
    assert status == 200 and "javascript" in kind and "/api/draw" in text
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
