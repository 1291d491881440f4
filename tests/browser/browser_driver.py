"""A tiny W3C WebDriver client (plain HTTP with urllib) for Debian's chromium + chromedriver.

Only what the end-to-end test needs: open a page, run JavaScript, pointer actions, screenshots.
Install the browser with ``apt-get install -y chromium chromium-driver``.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1100"]


def find_browser() -> tuple[str, str] | None:
    """Paths of (chromium, chromedriver), or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebDriver:
    """A chromedriver process and one headless chromium session; use as a context manager."""

    def __init__(self, browser: str, driver: str, timeout: float = 30.0):
        self.profile = tempfile.mkdtemp(prefix="mnist-handwriting-chromium-")
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError("chromedriver did not start")
                time.sleep(0.1)
        capabilities = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": browser, "args": CHROMIUM_ARGS + [f"--user-data-dir={self.profile}"]}}
        try:
            reply = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        except Exception:
            self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.session = f"/session/{reply['sessionId']}"

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return json.loads(reply.read())["value"]
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"WebDriver {method} {path}: {error.read().decode(errors='replace')[:500]}") from None

    def command(self, method: str, path: str, body: dict | None = None):
        """A WebDriver command of this session, e.g. ``("POST", "/url", {"url": ...})``."""
        return self._call(method, self.session + path, body)

    def open(self, url: str) -> None:
        self.command("POST", "/url", {"url": url})

    def script(self, source: str, *args):
        """Run ``source`` (a function body; ``arguments`` holds ``args``) and return its value."""
        return self.command("POST", "/execute/sync", {"script": source, "args": list(args)})

    def element(self, css: str) -> dict:
        """The WebDriver reference of the first element matching ``css``."""
        return self.command("POST", "/element", {"using": "css selector", "value": css})

    def drag(self, css: str, path: list[tuple[int, int]]) -> None:
        """Press the mouse at ``path[0]`` (px from the element's centre), move along ``path``, release."""
        origin = self.element(css)
        moves = [{"type": "pointerMove", "duration": 30, "origin": origin, "x": x, "y": y} for x, y in path]
        actions = [moves[0], {"type": "pointerDown", "button": 0}, *moves[1:], {"type": "pointerUp", "button": 0}]
        self.command("POST", "/actions", {"actions": [
            {"type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": actions}]})

    def wait_for(self, source: str, timeout: float = 20.0):
        """Poll the script ``source`` until it returns something truthy; return that."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.script(source)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for: {source}")
            time.sleep(0.1)

    def screenshot(self, whole_page: bool = False) -> bytes:
        """The visible page as PNG bytes; ``whole_page``: first make the window as tall as the page."""
        if whole_page:
            height = self.script("return document.documentElement.scrollHeight")
            width = self.script("return window.outerWidth")
            self.command("POST", "/window/rect", {"width": width, "height": height + 200})   # + the window frame
        return base64.b64decode(self.command("GET", "/screenshot"))

    def __enter__(self) -> "WebDriver":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._call("DELETE", self.session)
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
