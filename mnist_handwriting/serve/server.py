"""The HTTP layer: one event loop that gathers whole requests, a few threads that answer them.

Routes: ``GET /`` (the page), ``GET /static/NAME`` (its script and style sheet), ``POST
/api/draw``, ``POST /api/write``, ``POST /api/synthesize``, ``GET /api/gallery?count=N&seed=S``. Request bodies are
JSON objects of at most :data:`MAX_BODY` bytes. Errors are JSON ``{"error": message}``
with a 4xx status for bad requests and 500 for a failure inside a handler, which is
reported to the client and never stops the server.

Slow or idle clients must not starve the others, so the loop reads every connection without
blocking and hands a request to one of :data:`WORKERS` threads only once it has fully
arrived: 200 idle connections cost 200 small buffers, not 200 threads. A connection has
:data:`REQUEST_TIMEOUT` seconds to deliver its request (else 408), its head may hold
:data:`MAX_HEAD` bytes (else 431), at most :data:`MAX_CONNECTIONS` are open at once (more
get 503) and a reply the client does not take within :data:`REPLY_TIMEOUT` seconds is
dropped. One request per connection (HTTP/1.0).
"""

from __future__ import annotations

import io
import json
import queue
import re
import selectors
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .app import App, RequestError

MAX_BODY = 2 * 1024 * 1024
"""Largest accepted request body, bytes (a 280x280 canvas PNG is about 10 KB)."""
MAX_HEAD = 64 * 1024
"""Largest accepted request line and headers, bytes."""
REQUEST_TIMEOUT = 10.0
"""Seconds a connection has, from being accepted, to deliver its whole request."""
REPLY_TIMEOUT = 10.0
"""Seconds a worker waits for a client to take its reply."""
WORKERS = 8
"""Threads answering complete requests (conversions take turns on the App's lock)."""
MAX_CONNECTIONS = 256
"""Connections open at once, waiting or being answered (at most ``MAX_CONNECTIONS * MAX_BODY`` buffered)."""
BACKLOG = 128
"""Listen backlog: connections the kernel queues before the loop accepts them."""
TICK = 0.1
"""Seconds between the loop's checks of deadlines and of :meth:`Server.shutdown`."""
_HEAD_END = re.compile(rb"\r?\n\r?\n")
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
                "style.css": "text/css; charset=utf-8"}


class Handler(BaseHTTPRequestHandler):
    """One request, already received whole (``received``); ``app`` is bound by :class:`Server`."""

    server_version = "mnist-handwriting"

    def __init__(self, *args, app: App, received: bytes, quiet: bool = False, **kwargs):
        self.app = app
        self.quiet = quiet
        self.received = received
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        self.connection = self.request
        self.rfile = io.BytesIO(self.received)
        self.wfile = self.request.makefile("wb")

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
            if url.path in ("/api/draw", "/api/write", "/api/synthesize"):
                raise RequestError(405, f"{url.path} takes POST")
            name = "index.html" if url.path in ("/", "/index.html") else url.path.removeprefix("/static/")
            if name not in STATIC_FILES or (name != "index.html" and not url.path.startswith("/static/")):
                raise RequestError(404, f"no page at {url.path}")
            self._send(200, (STATIC_DIR / name).read_bytes(), STATIC_FILES[name])

        self._guarded(work)

    def do_POST(self) -> None:
        routes = {"/api/draw": self.app.draw, "/api/write": self.app.write, "/api/synthesize": self.app.synthesize}

        def work():
            path = urlsplit(self.path).path
            if path not in routes:
                self.close_connection = True
                raise RequestError(404 if path != "/api/gallery" else 405, f"no POST endpoint at {path}")
            self._json(200, routes[path](self._read_json()))

        self._guarded(work)


def _is_complete(data: bytearray) -> bool:
    """Whether ``data`` holds a request's head and all the body its ``Content-Length`` announces.

    A malformed or oversized length counts as complete: the handler answers it without the body.
    """
    end = _HEAD_END.search(data)
    if end is None:
        return False
    for line in bytes(data[:end.start()]).split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return True
            return not 0 <= length <= MAX_BODY or len(data) >= end.end() + length
    return True


@dataclass
class _Arriving:
    """A connection whose request is still arriving."""

    address: tuple
    deadline: float
    data: bytearray = field(default_factory=bytearray)


class Server:
    """The web page's server (see the module docstring), run like the standard library's:
    ``serve_forever()`` in one thread, ``shutdown()`` from another, then ``server_close()``."""

    def __init__(self, app: App, host: str, port: int, quiet: bool):
        self.socket = socket.create_server((host, port), backlog=BACKLOG)
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()
        self.quiet = quiet
        self._handler = partial(Handler, app=app, quiet=quiet)
        self._selector = selectors.DefaultSelector()
        self._arriving: dict[socket.socket, _Arriving] = {}
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._stop, self._stopped = threading.Event(), threading.Event()
        self._stopped.set()
        for _ in range(WORKERS):
            threading.Thread(target=self._work, daemon=True).start()

    def serve_forever(self) -> None:
        """Accept, gather and dispatch requests until :meth:`shutdown`."""
        self._stopped.clear()
        self._selector.register(self.socket, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in self._selector.select(TICK):
                    if key.fileobj is self.socket:
                        self._accept()
                    else:
                        self._receive(key.fileobj)
                now = time.monotonic()
                for connection in [c for c, a in self._arriving.items() if a.deadline < now]:
                    self._refuse(connection, 408, f"the request did not arrive within {REQUEST_TIMEOUT:g} s")
        finally:
            self._selector.unregister(self.socket)
            for connection in list(self._arriving):
                self._drop(connection)
            self._stop.clear()
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait until it has returned."""
        self._stop.set()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket and stop the worker threads."""
        self.socket.close()
        self._selector.close()
        for _ in range(WORKERS):
            self._requests.put(None)

    def _accept(self) -> None:
        while True:
            try:
                connection, address = self.socket.accept()
            except OSError:   # none left to accept (or out of file descriptors: try on the next tick)
                return
            connection.setblocking(False)
            if not self._slots.acquire(blocking=False):
                self._send_error(connection, 503, f"the server has {MAX_CONNECTIONS} connections open; try again")
                connection.close()
                continue
            self._arriving[connection] = _Arriving(address, time.monotonic() + REQUEST_TIMEOUT)
            self._selector.register(connection, selectors.EVENT_READ)

    def _receive(self, connection: socket.socket) -> None:
        arriving = self._arriving[connection]
        try:
            chunk = connection.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:   # the client went away before finishing its request
            self._drop(connection)
            return
        arriving.data += chunk
        if _is_complete(arriving.data):
            self._selector.unregister(connection)
            del self._arriving[connection]
            self._requests.put((connection, arriving))
        elif len(arriving.data) > MAX_HEAD and _HEAD_END.search(arriving.data) is None:
            self._refuse(connection, 431, f"the request head is over the {MAX_HEAD}-byte limit")

    def _send_error(self, connection: socket.socket, status: int, message: str) -> None:
        """Best effort, without blocking: a JSON error reply small enough for the socket's buffer."""
        body = json.dumps({"error": message}).encode()
        head = (f"HTTP/1.0 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        try:
            connection.send(head + body)
        except OSError:
            pass

    def _refuse(self, connection: socket.socket, status: int, message: str) -> None:
        self._send_error(connection, status, message)
        self._drop(connection)

    def _drop(self, connection: socket.socket) -> None:
        self._selector.unregister(connection)
        del self._arriving[connection]
        self._close(connection)

    def _close(self, connection: socket.socket) -> None:
        connection.close()
        self._slots.release()

    def _work(self) -> None:
        while (item := self._requests.get()) is not None:
            connection, arriving = item
            try:
                connection.settimeout(REPLY_TIMEOUT)
                self._handler(connection, arriving.address, self, received=bytes(arriving.data))
            except OSError:   # the client left or stopped reading its reply
                pass
            except Exception:  # a bug must cost one request, never a worker
                if not self.quiet:
                    traceback.print_exc(file=sys.stderr)
            finally:
                self._close(connection)


def make_server(app: App, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> Server:
    """A bound (not yet running) server for ``app``; port 0 picks a free one (``server.server_address``)."""
    return Server(app, host, port, quiet)
