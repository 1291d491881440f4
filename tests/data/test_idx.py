"""IDX files and the MNIST download: round trips, damaged files, resume, checksum, offline errors."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from mnist_handwriting.data import idx
from mnist_handwriting.data.idx import download_mnist, fetch, load_mnist, read_idx, write_idx
from mnist_handwriting.errors import UserError


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("array", [np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
                                   np.array([-1.5, 2.25], np.float32), np.array([[-7, 70000]], np.int32)])
def test_idx_round_trip(tmp_path, name, array):
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_by_hand(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9]))   # magic 0x00000801, 3 bytes
    np.testing.assert_array_equal(read_idx(path), [7, 2, 9])


@pytest.mark.parametrize("data, message", [
    (bytes([1, 0, 8, 1, 0, 0, 0, 1, 5]), "bad magic number"),
    (bytes([0, 0, 8, 2, 0, 0]), "truncated IDX header"),
    (bytes([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]), "10 bytes, but its header \\(4,\\) needs 12"),
])
def test_idx_corrupt(tmp_path, data, message):
    (tmp_path / "bad").write_bytes(data)
    with pytest.raises(UserError, match=message):
        read_idx(tmp_path / "bad")


def test_idx_truncated_gzip(tmp_path):
    data = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 3, 232]) + bytes(1000))
    (tmp_path / "bad.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="bad.gz: damaged gzip data.*download it again"):
        read_idx(tmp_path / "bad.gz")


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` (name -> bytes) with HTTP Range support; records the Range headers it saw."""

    files: dict[str, bytes] = {}
    ranges: list[str | None] = []

    def do_GET(self):
        body = self.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        header = self.headers.get("Range")
        self.ranges.append(header)
        start = int(header.split("=")[1].rstrip("-")) if header else 0
        self.send_response(206 if header else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _RangeHandler.files, _RangeHandler.ranges = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", _RangeHandler
    httpd.shutdown()
    httpd.server_close()


def test_fetch_resumes_a_partial_file(tmp_path, server):
    base, handler = server
    body = bytes(range(256)) * 40
    handler.files["f.gz"] = body
    (tmp_path / "f.gz.part").write_bytes(body[:1000])
    fetch(base + "f.gz", tmp_path / "f.gz", hashlib.sha256(body).hexdigest())
    assert (tmp_path / "f.gz").read_bytes() == body and not (tmp_path / "f.gz.part").exists()
    assert handler.ranges == ["bytes=1000-"]


def test_fetch_checksum_mismatch(tmp_path, server):
    base, handler = server
    handler.files["f.gz"] = b"not what we expect"
    with pytest.raises(UserError, match="SHA-256 .* does not match"):
        fetch(base + "f.gz", tmp_path / "f.gz", "0" * 64)
    assert not (tmp_path / "f.gz").exists() and not (tmp_path / "f.gz.part").exists()


def _fake_mnist(monkeypatch, count=3):
    """Small IDX files standing in for the test split, registered with their real checksums."""
    images = np.arange(count * 784, dtype=np.uint8).reshape(count, 28, 28)
    labels = np.array([7, 2, 1][:count], np.uint8)
    blobs = {}
    for (name, _, _), array in zip(idx.FILES["test"], (images, labels)):
        head = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        blobs[name] = gzip.compress(head + array.tobytes())
    monkeypatch.setitem(idx.FILES, "test", tuple((name, len(blobs[name]), hashlib.sha256(blobs[name]).hexdigest())
                                                 for name, _, _ in idx.FILES["test"]))
    monkeypatch.setitem(idx.COUNTS, "test", count)
    return images, labels, blobs


def test_download_tries_mirrors_and_loads(tmp_path, server, monkeypatch):
    base, handler = server
    images, labels, blobs = _fake_mnist(monkeypatch)
    handler.files.update(blobs)
    paths = download_mnist(tmp_path, ("test",), mirrors=(base + "missing/", base))
    assert [p.name for p in paths] == [name for name, _, _ in idx.FILES["test"]]
    got_images, got_labels = load_mnist("test", tmp_path)
    np.testing.assert_array_equal(got_images, images)
    assert got_labels.dtype == np.int64 and got_labels.tolist() == [7, 2, 1]


def test_offline_errors_say_where_to_put_the_files(tmp_path, monkeypatch):
    with pytest.raises(UserError, match=r"raw MNIST file .*t10k-images-idx3-ubyte.gz not found.*download-mnist"):
        load_mnist("test", tmp_path)
    _fake_mnist(monkeypatch)
    with pytest.raises(UserError, match=f"cannot download t10k-images.*by hand into {tmp_path / 'mnist'}"):
        download_mnist(tmp_path, ("test",), mirrors=("http://127.0.0.1:9/",))
