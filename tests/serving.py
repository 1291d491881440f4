"""The web server in tests: a small digit pool, a server on an ephemeral port, one request."""

from __future__ import annotations

import http.client
import json
import threading

import numpy as np

from mnist_handwriting.render.exact import draw_trajectory
from mnist_handwriting.serve.app import App
from mnist_handwriting.serve.server import make_server
from mnist_handwriting.write import DigitPool


def small_pool() -> DigitPool:
    """Two thinned images per class (Z shapes); enough for write and gallery without the data."""
    shape = np.array([[0.3, 0.2, 0], [0.6, 0.2, 0], [0.3, 0.8, 0], [0.6, 0.8, 1]], np.float32)
    image = (draw_trajectory(shape) > 0).astype(np.uint8) * 255
    return DigitPool(np.repeat(image[None], 20, axis=0), np.repeat(np.arange(10), 2))


def start(app: App):
    """A quiet server for ``app`` on a free port, serving in a daemon thread."""
    server = make_server(app, port=0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(server, method: str, path: str, body=None, raw: bytes | None = None):
    """``(status, content type, decoded JSON or text)`` of one request."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    connection.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    reply = connection.getresponse()
    text = reply.read().decode()
    connection.close()
    kind = reply.getheader("Content-Type", "")
    return reply.status, reply.getheader("Content-Type"), json.loads(text) if "json" in kind else text
