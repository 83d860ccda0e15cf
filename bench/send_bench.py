"""Benchmark: accepting sends (POST /api/messages) and the time from POST to `sent`.

For each database (SQLite always; PostgreSQL when reachable) it starts a real `wapiz serve`
(sandbox engine) with two linked devices and pacing off, then:
- loads POST /api/messages (a text, durable 202) at 32 connections, beside the bare handler
  of bench/bare_app.py (same body and response models, no token check, no database) in the
  same run: the ratio is the figure; the runner sends the messages meanwhile;
- sends messages one at a time on an idle server and reads, for each, `sentAt - createdAt`
  as the server recorded them: the latency from acceptance to `sent`.

    .venv/bin/python bench/send_bench.py [--seconds 8] [--connections 32] [--latency-samples 50]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status_bench import (  # noqa: E402
    DEFAULT_PG,
    bare_server,
    load,
    postgres_reachable,
)
from tests.messages.parties import linked_party, unique_phone  # noqa: E402
from tests.support import PG_ENV, Api, Deployment  # noqa: E402


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def measure(backend: str, connections: int, seconds: float, samples: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        body = json.dumps({"deviceId": "6f1c2f0e-8f55-4d0a-9b8e-3d8f7f1c2a10",
                           "to": "6281234567890", "text": "Halo dari benchmark"}).encode()
        bare = bare_server(root)
        try:
            base = load(bare.port, "/api/messages", {}, connections, seconds, body, 202)
        finally:
            bare.stop()

        (root / "wapiz").mkdir()
        deployment = Deployment(backend, root / "wapiz")
        try:
            server = deployment.serve(log_level="warning")
            api = Api(server.url)
            alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
            body = json.dumps({"deviceId": alice.device["deviceId"], "to": bob.phone,
                               "text": "Halo dari benchmark"}).encode()
            headers = {"Authorization": f"Bearer {alice.token}"}
            accepted = load(server.port, "/api/messages", headers, connections, seconds, body,
                            202)
            # Let the queue drain before measuring latency on an idle server: every message
            # sent, received by the other device and its receipt back (`delivered`).
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline and any(
                    api.http.get("/api/messages", headers=headers, params={
                        "status": status, "limit": 1}).json()["items"]
                    for status in ("queued", "sending", "sent")):
                time.sleep(1)
            latencies = []
            for _ in range(samples):
                sent = api.http.post("/api/messages", content=body, headers={
                    **headers, "Content-Type": "application/json"}).json()
                while True:
                    got = api.http.get(f"/api/messages/{sent['id']}", headers=headers).json()
                    if got["sentAt"]:
                        break
                    time.sleep(0.005)
                latencies.append((parse(got["sentAt"]) - parse(got["createdAt"]))
                                 .total_seconds() * 1000)
                time.sleep(0.05)
            api.close()
        finally:
            deployment.close()

    print(f"\n{backend}: POST /api/messages (text), {connections} connections, {seconds:.0f} s")
    print(f"  {'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}")
    for name, result in (("bare FastAPI handler", base), ("wapiz (durable 202)", accepted)):
        print(f"  {name:<22}{result.rps:>10.0f}{result.p50:>10.2f}"
              f"{result.percentile(99):>10.2f}{result.errors:>8}{result.rps / base.rps:>8.2f}")
    ordered = sorted(latencies)
    print(f"  POST to sent, pacing off, {samples} messages one at a time: p50 "
          f"{statistics.median(ordered):.0f} ms, p90 {ordered[int(len(ordered) * 0.9)]:.0f} ms,"
          f" max {ordered[-1]:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--latency-samples", type=int, default=50)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    measure("sqlite", args.connections, args.seconds, args.latency_samples)
    pg_url = os.environ.get(PG_ENV, DEFAULT_PG)
    if postgres_reachable(pg_url):
        os.environ[PG_ENV] = pg_url
        measure("postgresql", args.connections, args.seconds, args.latency_samples)
    else:
        print(f"\npostgresql: skipped (nothing answers at {pg_url})")


if __name__ == "__main__":
    main()
