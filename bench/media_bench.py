"""Benchmark: accepting sends that carry a file, with the bytes kept in the database (the
default) and in an S3 bucket (`WAPIZ_MEDIA_STORE=s3://…`, moto's standalone S3 server on
loopback), beside two bare baselines measured in the same run:
- the bare FastAPI handler of bench/bare_app.py (same body and answer models, no token, no
  database, no store): what the HTTP layer costs for the same body;
- a bare aiobotocore loop putting the same file into the same moto server at the same
  concurrency: what the store itself takes (moto is a Python server on the same cores, so
  it, not WAPIZ, bounds the S3 figure here).

Each send is POST /api/messages with the file in base64 (`media`), a durable 202; the
runner sends them meanwhile (and stores the recipient's copy), in both modes alike.

    .venv/bin/python bench/media_bench.py [--seconds 8] [--connections 16] [--kib 32]
"""

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tests.support  # noqa: E402
from bench.status_bench import DEFAULT_PG, bare_server, load, postgres_reachable  # noqa: E402
from tests.messages.parties import linked_party, unique_phone  # noqa: E402
from tests.support import PG_ENV, Api, Deployment, free_port  # noqa: E402

tests.support.STARTUP_TIMEOUT_S = 120.0  # a machine shared with other work starts slowly

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}


def start_moto(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (root / "moto.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto did not start")


async def bare_puts(url: str, bucket: str, data: bytes, connections: int,
                    seconds: float) -> float:
    """Objects put per second by `connections` concurrent loops of one aiobotocore client."""
    from aiobotocore.session import get_session

    async with get_session().create_client("s3", endpoint_url=url, region_name="us-east-1",
                                           **{k.lower(): v for k, v in CREDENTIALS.items()}
                                           ) as s3:
        await s3.create_bucket(Bucket=bucket)
        done = 0

        async def loop(until: float) -> None:
            nonlocal done
            while time.monotonic() < until:
                await s3.put_object(Bucket=bucket, Key=f"bare/{uuid.uuid4()}", Body=data)
                done += 1

        await asyncio.gather(*(loop(time.monotonic() + min(2.0, seconds / 3))
                               for _ in range(connections)))  # warm-up
        done = 0
        started = time.monotonic()
        await asyncio.gather(*(loop(started + seconds) for _ in range(connections)))
        return done / (time.monotonic() - started)


def wapiz_sends(deployment: Deployment, data: bytes, connections: int, seconds: float,
                **settings: str) -> tuple[float, float, int]:
    """Accepted file sends per second, p50 latency (ms), errors."""
    server = deployment.serve(log_level="warning", **settings)
    api = Api(server.url)
    try:
        alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
        body = json.dumps({"deviceId": alice.device["deviceId"], "to": bob.phone,
                           "type": "document", "fileName": "faktur.bin",
                           "mimetype": "application/octet-stream",
                           "media": base64.b64encode(data).decode()}).encode()
        result = load(server.port or 0, "/api/messages",
                      {"Authorization": f"Bearer {alice.token}"}, connections, seconds,
                      body, 202)
        return result.rps, result.p50, result.errors
    finally:
        api.close()
        server.stop()


def measure(backend: str, connections: int, seconds: float, kib: int) -> None:
    data = os.urandom(kib * 1024)
    os.environ.update(CREDENTIALS)  # the gateway's processes read the usual AWS variables
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = bare_server(root)
        try:
            body = json.dumps({"deviceId": str(uuid.uuid4()), "to": "6281234567890",
                               "type": "document", "fileName": "faktur.bin",
                               "media": base64.b64encode(data).decode()}).encode()
            base = load(bare.port or 0, "/api/messages", {}, connections, seconds, body, 202)
        finally:
            bare.stop()
        moto, url = start_moto(root)
        try:
            puts = asyncio.run(bare_puts(url, "bare-bench", data, connections, seconds))
            figures = {}
            for store in ("database", "s3"):
                (root / store).mkdir()
                deployment = Deployment(backend, root / store)
                try:
                    settings = ({} if store == "database" else {
                        "media_store": f"s3://bench-{uuid.uuid4().hex[:6]}/files",
                        "s3_endpoint_url": url, "s3_region": "us-east-1",
                        "s3_addressing_style": "path"})
                    if store == "s3":
                        asyncio.run(_make_bucket(url, settings["media_store"][5:].split("/")[0]))
                    figures[store] = wapiz_sends(deployment, data, connections, seconds,
                                                 **settings)
                finally:
                    deployment.close()
        finally:
            moto.terminate()
            moto.wait(10)
    print(f"\n{backend}: {kib} KiB files, {connections} connections, {seconds:g} s")
    print(f"  bare FastAPI handler       {base.rps:8.1f} req/s  p50 {base.p50:6.1f} ms")
    print(f"  bare aiobotocore → moto    {puts:8.1f} puts/s")
    for store, (rps, p50, errors) in figures.items():
        print(f"  WAPIZ, {store:<9} store     {rps:8.1f} req/s  p50 {p50:6.1f} ms  "
              f"errors {errors}  ({rps / base.rps:.2f} of bare handler"
              + (f", {rps / puts:.2f} of bare puts)" if store == "s3" else ")"))


async def _make_bucket(url: str, bucket: str) -> None:
    from aiobotocore.session import get_session

    async with get_session().create_client("s3", endpoint_url=url, region_name="us-east-1",
                                           **{k.lower(): v for k, v in CREDENTIALS.items()}
                                           ) as s3:
        await s3.create_bucket(Bucket=bucket)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--kib", type=int, default=32)
    args = parser.parse_args()
    backends = ["sqlite"]
    pg = os.environ.get(PG_ENV, DEFAULT_PG)
    if postgres_reachable(pg):
        os.environ[PG_ENV] = pg
        backends.append("postgresql")
    for backend in backends:
        measure(backend, args.connections, args.seconds, args.kib)


if __name__ == "__main__":
    main()
