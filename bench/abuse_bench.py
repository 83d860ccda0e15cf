"""Benchmark: what unauthenticated abuse costs the API process (memory, and the next login).

For each database (SQLite always; PostgreSQL when reachable) it starts a real `wapiz serve`
(sandbox engine) and measures the PSS of the API process (the serve process; its runner is
a child and not counted) idle, at its peak during each attack (sampled every 50 ms), and
after:
- a burst of parallel failed logins to random emails, with the per-address throttle
  effectively off (as from as many addresses as logins: the worst case the hashing bound
  alone must hold), then the time of a valid login beside the same login on the idle server;
- a 200 MB JSON body to /api/auth/login (declared, then chunked), and a 200 MB multipart
  upload without a token: the answer, how long it took, and the memory.

    .venv/bin/python bench/abuse_bench.py [--logins 200]
"""

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status_bench import DEFAULT_PG, postgres_reachable  # noqa: E402
from tests.support import PG_ENV, Api, Deployment, WapizProcess  # noqa: E402

BIG = 200 * 1024 * 1024


def pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no Pss line")


class PeakPss:
    """The highest PSS of a process while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> "PeakPss":
        self.peak = pss_mb(self.pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, pss_mb(self.pid))

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, pss_mb(self.pid))


def timed_login(api: Api, email: str) -> float:
    started = time.perf_counter()
    answer = api.http.post("/api/auth/login", json={"email": email, "password": "rahasia123"})
    assert answer.status_code == 200, answer.text
    return time.perf_counter() - started


def login_burst(server: WapizProcess, api: Api, email: str, logins: int) -> None:
    idle_login = min(timed_login(api, email) for _ in range(3))
    barrier = threading.Barrier(logins)

    def guess(_: int) -> int:
        with httpx.Client(base_url=server.url, timeout=300) as client:
            barrier.wait()
            return client.post("/api/auth/login", json={
                "email": f"acak-{uuid.uuid4().hex[:10]}@example.com",
                "password": "salah123"}).status_code

    before = pss_mb(server.pid)
    started = time.perf_counter()
    with PeakPss(server.pid) as peak, ThreadPoolExecutor(max_workers=logins) as pool:
        codes = Counter(pool.map(guess, range(logins)))
    burst_s = time.perf_counter() - started
    after_login = timed_login(api, email)
    print(f"  {logins} parallel bad logins: {dict(sorted(codes.items()))} in {burst_s:.1f} s; "
          f"PSS {before:.0f} → peak {peak.peak:.0f} → {pss_mb(server.pid):.0f} MB; valid "
          f"login after {after_login * 1000:.0f} ms (idle {idle_login * 1000:.0f} ms, "
          f"ratio {after_login / idle_login:.2f})")


def big_body(server: WapizProcess, path: str, headers: dict[str, str], chunked: bool) -> str:
    """Pour up to 200 MB at the server; its answer's status line, when it came, and how much
    had been sent by then."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=120)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BIG}"
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", framing]
    head += [f"{name}: {value}" for name, value in headers.items()]
    piece = b" " * (1024 * 1024)
    data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
    sent = 0

    def pour() -> None:
        nonlocal sent
        try:
            while sent < BIG:
                sock.sendall(data)
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server hung up

    started = time.perf_counter()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    pourer = threading.Thread(target=pour, daemon=True)
    pourer.start()
    try:
        answer = sock.recv(4096)
    except OSError:
        answer = b""
    elapsed = time.perf_counter() - started
    sent_by_then = sent
    sock.close()
    pourer.join(10)
    status = answer.split(b"\r\n", 1)[0].decode() or "(no answer)"
    return f"{status} after {elapsed:.2f} s, {sent_by_then / 2**20:.0f} MB sent by then"


def bodies(server: WapizProcess) -> None:
    cases = [
        ("200 MB JSON to /api/auth/login (Content-Length)", "/api/auth/login",
         {"Content-Type": "application/json"}, False),
        ("200 MB JSON to /api/auth/login (chunked)", "/api/auth/login",
         {"Content-Type": "application/json"}, True),
        ("200 MB upload without a token", "/api/messages/upload",
         {"Content-Type": "multipart/form-data; boundary=x"}, False),
    ]
    for name, path, headers, chunked in cases:
        before = pss_mb(server.pid)
        with PeakPss(server.pid) as peak:
            outcome = big_body(server, path, headers, chunked)
        print(f"  {name}: {outcome}; PSS {before:.0f} → peak {peak.peak:.0f} MB")


def measure(backend: str, logins: int) -> None:
    print(f"\n{backend}:")
    with tempfile.TemporaryDirectory() as tmp:
        deployment = Deployment(backend, Path(tmp))
        try:
            server = deployment.serve(log_level="warning")
            api = Api(server.url)
            _, user = api.register()
            time.sleep(2)  # the runner settles
            bodies(server)
            login_burst(server, api, user["email"], logins)
            api.close()
        finally:
            deployment.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=200)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    measure("sqlite", args.logins)
    pg_url = os.environ.get(PG_ENV, DEFAULT_PG)
    if postgres_reachable(pg_url):
        os.environ[PG_ENV] = pg_url
        measure("postgresql", args.logins)
    else:
        print(f"\npostgresql: skipped (nothing answers at {pg_url})")


if __name__ == "__main__":
    main()
