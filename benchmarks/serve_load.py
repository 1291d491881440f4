"""The web server under load: 16 clients sending a mix of draw, write and gallery requests.

    python benchmarks/serve_load.py [--clients 16] [--seconds 20] [--method trace | --model NAME]

Starts ``mnist-handwriting serve --port 0`` in its own process, sends every request of the
mix once, one at a time (the reference answers), then runs one client and then ``--clients``
clients for ``--seconds`` each, every client sending one request after another. Prints the
machine, p50 / p95 latency and requests/s of both runs and their ratios, any error or answer
that differs from the reference, and the server's memory (resident set) before and after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402


def bar(column: int, width: int = 2) -> list[list[int]]:
    """A 28x28 pixel array with a vertical bar at ``column``, as the page's ``pixels``."""
    image = np.zeros((28, 28), int)
    image[4:24, column:column + width] = 255
    return image.tolist()


def request_mix() -> list[tuple[str, str, dict | None]]:
    """``(method, path, JSON body)`` of the mix: drawings (labelled and not), numbers, galleries."""
    draws = [("POST", "/api/draw", {"pixels": bar(column), "label": label}) for column, label in ((13, 1), (9, 7))]
    draws.append(("POST", "/api/draw", {"pixels": bar(15)}))
    writes = [("POST", "/api/write", {"text": text, "seed": seed}) for text, seed in (("2026", 0), ("31.5", 4))]
    galleries = [("GET", f"/api/gallery?count=6&seed={seed}", None) for seed in (0, 1)]
    return draws + writes + galleries


def send(port: int, method: str, path: str, body: dict | None) -> tuple[int, bytes]:
    """One request on a fresh connection: ``(status, raw reply body)``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


@dataclass
class Load:
    """What a run of :func:`drive` saw: per-request seconds, failures (one line each), wall seconds."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def drive(port: int, requests: list, expected: list[bytes], clients: int, seconds: float) -> Load:
    """``clients`` threads send random requests of ``requests`` one after another for ``seconds``.

    A connection error, a status other than 200 or a body other than ``expected[i]`` (the
    answer to ``requests[i]`` sent alone) is a failure.
    """
    load, lock = Load(), threading.Lock()

    def client(seed: int) -> None:
        rng, deadline = random.Random(seed), time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            index = rng.randrange(len(requests))
            method, path, _ = requests[index]
            started = time.perf_counter()
            try:
                status, body = send(port, *requests[index])
            except OSError as error:
                problem = f"{type(error).__name__}: {error}"
            else:
                problem = (f"status {status}" if status != 200 else
                           "answer differs from the one sent alone" if body != expected[index] else None)
            with lock:
                if problem:
                    load.failures.append(f"{method} {path}: {problem}")
                else:
                    load.latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def resident_mb(pid: int) -> float:
    """The resident memory of process ``pid``, MB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run (default: 20)")
    parser.add_argument("--method", choices=["model", "trace"], default="model")
    parser.add_argument("--model", help="model name or path (default: the shipped default)")
    args = parser.parse_args()
    print_machine()
    command = [sys.executable, "-c", "import sys; from mnist_handwriting.cli import main; sys.exit(main())",
               "serve", "--port", "0", "--quiet", "--method", args.method] + (["--model", args.model] if args.model else [])
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("serving on "):
            sys.exit(f"the server did not start: {line!r}")
        port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
        print(line.strip())
        requests = request_mix()
        expected = []
        for request in requests:
            status, body = send(port, *request)
            if status != 200:
                sys.exit(f"{request[0]} {request[1]} answered {status}: {body[:200]!r}")
            expected.append(body)
        before = resident_mb(server.pid)
        single = drive(port, requests, expected, 1, args.seconds)
        after_single = resident_mb(server.pid)
        many = drive(port, requests, expected, args.clients, args.seconds)
        after = resident_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    for name, load in (("1 client", single), (f"{args.clients} clients", many)):
        print(f"{name}: {len(load.latencies)} requests in {load.seconds:.1f} s, {load.rate:.2f} requests/s, "
              f"p50 {load.percentile(50) * 1000:.0f} ms, p95 {load.percentile(95) * 1000:.0f} ms, "
              f"{len(load.failures)} failures")
    print(f"{args.clients} clients / 1 client: requests/s x{many.rate / single.rate:.2f}, "
          f"p50 x{many.percentile(50) / single.percentile(50):.2f}, p95 x{many.percentile(95) / single.percentile(95):.2f}")
    print(f"server memory: {before:.0f} MB after the reference answers, {after_single:.0f} MB after 1 client, "
          f"{after:.0f} MB after {args.clients} clients")
    for failure in sorted(set(single.failures + many.failures)):
        print(f"failure: {failure}")
    sys.exit(1 if single.failures or many.failures else 0)


if __name__ == "__main__":
    main()
