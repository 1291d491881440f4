"""The HTTP layer: a standard-library ``ThreadingHTTPServer`` serving the page and the JSON API.

Routes: ``GET /`` (the page), ``GET /static/NAME`` (its script and style sheet), ``POST
/api/draw``, ``POST /api/write``, ``GET /api/gallery?count=N&seed=S``. Request bodies are
JSON objects of at most :data:`MAX_BODY` bytes. Errors are JSON ``{"error": message}``
with a 4xx status for bad requests and 500 for a failure inside a handler, which is
reported to the client and never stops the server.
"""

from __future__ import annotations

import json
import sys
import traceback
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .app import App, RequestError

MAX_BODY = 2 * 1024 * 1024
"""Largest accepted request body, bytes (a 280x280 canvas PNG is about 10 KB)."""
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
                "style.css": "text/css; charset=utf-8"}


class Handler(BaseHTTPRequestHandler):
    """One request; ``app`` is bound with :func:`functools.partial` by :func:`make_server`."""

    server_version = "mnist-handwriting"

    def __init__(self, *args, app: App, quiet: bool = False, **kwargs):
        self.app = app
        self.quiet = quiet
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _guarded(self, work) -> None:
        try:
            work()
        except RequestError as error:
            self._error(error.status, error.message)
        except Exception as error:  # a bug must cost one request, never the server
            if not self.quiet:
                traceback.print_exc(file=sys.stderr)
            self._error(500, f"internal error: {type(error).__name__}: {error}")

    def _read_json(self) -> dict:
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "the request needs a Content-Length header")
        try:
            size = int(length)
        except ValueError:
            raise RequestError(400, f"bad Content-Length {length!r}") from None
        if size > MAX_BODY:
            self.close_connection = True  # the unread body must not be parsed as the next request
            raise RequestError(413, f"request body of {size} bytes is over the {MAX_BODY}-byte limit")
        if size <= 0:
            raise RequestError(400, "the request body is empty; send a JSON object")
        try:
            payload = json.loads(self.rfile.read(size))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise RequestError(400, f"the body is not valid JSON ({error})") from None
        if not isinstance(payload, dict):
            raise RequestError(400, f"the body must be a JSON object, got {type(payload).__name__}")
        return payload

    def do_GET(self) -> None:
        def work():
            url = urlsplit(self.path)
            if url.path == "/api/gallery":
                query = parse_qs(url.query)
                try:
                    count, seed = (int(query.get(k, [d])[0]) for k, d in (("count", 12), ("seed", 0)))
                except ValueError:
                    raise RequestError(400, "'count' and 'seed' must be integers") from None
                self._json(200, self.app.gallery(count, seed))
                return
            if url.path in ("/api/draw", "/api/write"):
                raise RequestError(405, f"{url.path} takes POST")
            name = "index.html" if url.path in ("/", "/index.html") else url.path.removeprefix("/static/")
            if name not in STATIC_FILES or (name != "index.html" and not url.path.startswith("/static/")):
                raise RequestError(404, f"no page at {url.path}")
            self._send(200, (STATIC_DIR / name).read_bytes(), STATIC_FILES[name])

        self._guarded(work)

    def do_POST(self) -> None:
        routes = {"/api/draw": self.app.draw, "/api/write": self.app.write}

        def work():
            path = urlsplit(self.path).path
            if path not in routes:
                self.close_connection = True
                raise RequestError(404 if path != "/api/gallery" else 405, f"no POST endpoint at {path}")
            self._json(200, routes[path](self._read_json()))

        self._guarded(work)


def make_server(app: App, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> ThreadingHTTPServer:
    """A bound (not yet running) server for ``app``; port 0 picks a free one (``server.server_address``)."""
    server = ThreadingHTTPServer((host, port), partial(Handler, app=app, quiet=quiet))
    server.daemon_threads = True
    return server
