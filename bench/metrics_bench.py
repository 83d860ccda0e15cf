"""Benchmark: what the Prometheus metrics cost.

Two parts, each beside a bare baseline in the same run:

1. Per operation (ns): what the instrumented code does once per event — a counter's `inc`, a
   labelled histogram's `observe` (a send, a webhook attempt) — beside a bare dict
   increment, in memory (API processes) and in prometheus-client's multiprocess mode (runner
   children: a write into a memory-mapped file).
2. End to end: authenticated `GET /api/devices/:id/status` at 32 connections against a real
   `wapiz serve` with metrics off, and with metrics on (WAPIZ_METRICS_TOKEN set) while a
   scraper reads /metrics every second (Prometheus's default is every 15 s) — beside the bare
   FastAPI handler of bench/bare_app.py.

    .venv/bin/python bench/metrics_bench.py [--seconds 8] [--connections 32]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tests.support  # noqa: E402
from bench.loadgen import LoadResult  # noqa: E402
from bench.status_bench import bare_server, load  # noqa: E402
from tests.support import Api, Deployment  # noqa: E402

TOKEN = "bench-metrics-token-0123456789"
tests.support.STARTUP_TIMEOUT_S = 120.0  # a shared machine starts servers slowly
OPERATIONS = 300_000

MICRO = """
import os, sys, time, timeit
from prometheus_client import Counter, Histogram
counter = Counter("bench_total", "x", registry=None)
labelled = Counter("bench_labelled_total", "x", ["reason"], registry=None)
histogram = Histogram("bench_seconds", "x", ["outcome"], registry=None,
                      buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60))
bare = {"sent": 0}
n = int(sys.argv[1])

def bare_increment():
    bare["sent"] += 1

for name, operation in (("bare dict increment", bare_increment),
                        ("Counter.inc()", counter.inc),
                        ("Counter.labels(r).inc()", lambda: labelled.labels("sent").inc()),
                        ("Histogram.labels(o).observe(t)",
                         lambda: histogram.labels("sent").observe(0.02))):
    best = min(timeit.repeat(operation, number=n, repeat=3))
    print(f"{name}\\t{best / n * 1e9:.0f}")
"""


def micro(multiprocess: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with tempfile.TemporaryDirectory() as folder:
        if multiprocess:
            env["PROMETHEUS_MULTIPROC_DIR"] = folder
        done = subprocess.run([sys.executable, "-c", MICRO, str(OPERATIONS)], env=env,
                              capture_output=True, text=True, check=True)
    return {name: float(ns) for name, ns in
            (line.split("\t") for line in done.stdout.strip().splitlines())}


def status_load(root: Path, connections: int, seconds: float, metrics_on: bool) -> LoadResult:
    root.mkdir()
    deployment = Deployment("sqlite", root)
    stop = threading.Event()
    scrapes: list[float] = []
    try:
        settings = {"metrics_token": TOKEN} if metrics_on else {}
        server = deployment.serve(log_level="warning", **settings)
        api = Api(server.url)
        token, _ = api.register()
        device = api.linked_device(token)
        api.close()

        def scrape() -> None:
            while not stop.wait(1.0):
                started = time.perf_counter()
                answer = httpx.get(server.url + "/metrics", timeout=10,
                                   headers={"Authorization": f"Bearer {TOKEN}"})
                assert answer.status_code == 200, answer.text
                scrapes.append(time.perf_counter() - started)

        scraper = threading.Thread(target=scrape, daemon=True)
        if metrics_on:
            scraper.start()
        result = load(server.port, f"/api/devices/{device['id']}/status",
                      {"Authorization": f"Bearer {token}"}, connections, seconds)
        stop.set()
        if metrics_on:
            scraper.join()
            scrapes.sort()
            print(f"  scrapes during the load: {len(scrapes)}, median "
                  f"{scrapes[len(scrapes) // 2] * 1000:.1f} ms")
        return result
    finally:
        deployment.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2,
                        help="off/on pairs, alternated (the machine's load drifts)")
    parser.add_argument("--skip-micro", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")

    if not args.skip_micro:
        memory, files = micro(False), micro(True)
        print(f"\nper operation (ns, best of 3 x {OPERATIONS:,})")
        print(f"  {'':<34}{'in memory':>10}{'multiprocess':>14}")
        for name in memory:
            print(f"  {name:<34}{memory[name]:>10.0f}{files[name]:>14.0f}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = bare_server(root)
        try:
            base = load(bare.port, "/api/devices/x/status", {}, args.connections, args.seconds)
        finally:
            bare.stop()
        results = {"bare FastAPI handler": base}
        for round_ in range(1, args.rounds + 1):
            for on in (False, True):
                name = f"{round_}: wapiz, metrics " + ("on + 1 Hz scrape" if on else "off")
                results[name] = status_load(root / name.replace(" ", "_"), args.connections,
                                            args.seconds, on)
    print(f"\nGET /api/devices/:id/status, {args.connections} connections, {args.seconds:.0f} s")
    print(f"  {'':<36}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}")
    for name, result in results.items():
        print(f"  {name:<36}{result.rps:>10.0f}{result.p50:>10.2f}"
              f"{result.percentile(99):>10.2f}{result.rps / base.rps:>8.2f}")


if __name__ == "__main__":
    main()
