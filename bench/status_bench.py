"""Benchmark: authenticated GET /api/devices/:id/status at 32 connections.

For each database (SQLite always; PostgreSQL when reachable) it starts a real `wapiz serve`
(API + runner, sandbox engine), links a device, and loads the status route; beside it, in
the same run, the bare handler of bench/bare_app.py under the same uvicorn settings. The
figure is the ratio (machines here are noisy; absolute numbers are not comparable).

    .venv/bin/python bench/status_bench.py [--seconds 10] [--connections 32]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import LoadResult, run_load  # noqa: E402
from tests.support import (  # noqa: E402
    PG_ENV,
    Api,
    Deployment,
    WapizProcess,
    free_port,
)

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Every request then checks its token and reads the status row in the database.
NO_CACHES = {"auth_cache_seconds": "0", "status_cache_seconds": "0"}


def load(port: int, path: str, headers: dict[str, str], connections: int,
         seconds: float, body: bytes | list[bytes] | None = None,
         ok_status: int = 200) -> LoadResult:
    with ProcessPoolExecutor(max_workers=1) as pool:  # the client gets a process of its own
        warm_up = (port, path, headers, connections, min(2.0, seconds / 3), body, ok_status)
        pool.submit(run_load, *warm_up).result()
        return pool.submit(run_load, port, path, headers, connections, seconds, body,
                           ok_status).result()


def bare_server(root: Path) -> WapizProcess:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-server-header"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    handle = WapizProcess([], env, root / "bare.log", port=port, process=process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{handle.url}/api/devices/x/status", timeout=1)
            return handle
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("bare server did not start")


def measure(backend: str, connections: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = bare_server(root)
        try:
            base = load(bare.port, "/api/devices/x/status", {}, connections, seconds)
        finally:
            bare.stop()

        results = {"bare FastAPI handler": base}
        for name, settings in (("wapiz (default)", {}), ("wapiz, caches off", NO_CACHES)):
            results[name] = measure_wapiz(backend, root / name, connections, seconds, settings)

    print(f"\n{backend}: GET /api/devices/:id/status, {connections} connections, {seconds:.0f} s")
    print(f"  {'':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}")
    for name, result in results.items():
        print(f"  {name:<24}{result.rps:>10.0f}{result.p50:>10.2f}"
              f"{result.percentile(99):>10.2f}{result.errors:>8}{result.rps / base.rps:>8.2f}")


def measure_wapiz(backend: str, root: Path, connections: int, seconds: float,
                  settings: dict[str, str]) -> LoadResult:
    root.mkdir()
    deployment = Deployment(backend, root)
    try:
        server = deployment.serve(log_level="warning", **settings)
        api = Api(server.url)
        token, _ = api.register()
        device = api.linked_device(token)
        api.close()
        return load(server.port, f"/api/devices/{device['id']}/status",
                    {"Authorization": f"Bearer {token}"}, connections, seconds)
    finally:
        deployment.close()


def postgres_reachable(url: str) -> bool:
    import asyncio

    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)

    async def ping() -> None:
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port or 5432, user=parsed.username,
            password=parsed.password, database=parsed.database, timeout=3,
        )
        await connection.close()

    try:
        asyncio.run(ping())
    except Exception:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    measure("sqlite", args.connections, args.seconds)
    pg_url = os.environ.get(PG_ENV, DEFAULT_PG)
    if postgres_reachable(pg_url):
        os.environ[PG_ENV] = pg_url  # where the deployments create their databases
        measure("postgresql", args.connections, args.seconds)
    else:
        print(f"\npostgresql: skipped (nothing answers at {pg_url})")


if __name__ == "__main__":
    main()
