"""Benchmark: events through GET /api/events (SSE) and /api/events/ws, beside a bare loop.

For each database (SQLite always; PostgreSQL when reachable) it starts a real `wapiz api`
and, in the same run, the bare endpoints of `bare_stream_app.py` (the same event bytes from a
pre-built list, served by the same uvicorn), and reads both with the same client code
(httpx's streaming reads for SSE, the websockets library for the WebSocket).

- rate: a burst of events is committed in one transaction (written by the outbox, as the
  runner writes them), and a connected client reads them all: events / (last arrival -
  commit). The bare figure is events / (last arrival - first request). The stream's buffer is
  raised for this (WAPIZ_STREAM_BUFFER_EVENTS) so one client may fall a whole burst behind.
- latency: a writer process commits one event per transaction, a few hundred a second,
  and notes each commit's time; connected SSE and WebSocket clients note each arrival.

    .venv/bin/python bench/stream_bench.py [--events 5000] [--latency-events 1000]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status_bench import DEFAULT_PG, postgres_reachable  # noqa: E402
from tests.support import PG_ENV, Api, Deployment, free_port  # noqa: E402
from wapiz.config import Settings  # noqa: E402
from wapiz.db.database import Database  # noqa: E402
from wapiz.webhooks import outbox  # noqa: E402
from wapiz.webhooks.events import WEBHOOK_TEST, WebhookTestData  # noqa: E402


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_stream_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/docs", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the bare app did not start")


# --- the clients: the same code reads WAPIZ and the bare endpoints --------------------------


async def read_sse(url: str, headers: dict[str, str], count: int,
                   arrived: dict[str, float], opened: asyncio.Event) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=60)) as client, \
            client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        opened.set()
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if not line:
                if "id" in fields:
                    arrived[fields["id"]] = time.time()
                    if len(arrived) >= count:
                        return
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")


async def read_ws(url: str, headers: dict[str, str], count: int,
                  arrived: dict[str, float], opened: asyncio.Event) -> None:
    async with websockets.connect(url, additional_headers=headers, max_size=None) as socket:
        opened.set()
        while len(arrived) < count:
            frame = json.loads(await socket.recv())
            arrived[frame["id"]] = time.time()


# --- writing events, as the outbox writes them --------------------------------------------


def database_of(deployment: Deployment) -> Database:
    return Database(Settings(database_url=deployment.database_url,
                             data_dir=deployment.data_dir), "bench")


async def write(database: Database, device: dict, count: int, per_commit: int,
                pause_s: float = 0.0) -> dict[str, float]:
    """Commit `count` webhook.test events, `per_commit` to a transaction; each id's commit time."""
    committed: dict[str, float] = {}
    for start in range(0, count, per_commit):
        async with database.session_scope() as session:
            target = await outbox.target_of(session, uuid.UUID(device["id"]))
            assert target is not None
            written = await outbox.write(session, target, [
                (WEBHOOK_TEST, WebhookTestData(uuid.uuid4(), uuid.UUID(device["deviceId"]),
                                               f"{n}"))
                for n in range(start, min(count, start + per_commit))])
        now = time.time()
        committed.update((event_id, now) for event_id, _ in written)
        if pause_s:
            await asyncio.sleep(pause_s)
    return committed


def writer_process(deployment: Deployment, device: dict, count: int, pause_s: float,
                   results: "multiprocessing.Queue[dict[str, float]]") -> None:
    async def run() -> dict[str, float]:
        database = database_of(deployment)
        try:
            return await write(database, device, count, 1, pause_s)
        finally:
            await database.dispose()

    results.put(asyncio.run(run()))


# --- the measurements -----------------------------------------------------------------------


async def bare_rates(url: str, count: int) -> tuple[float, float]:
    rates = []
    for reader, path in ((read_sse, "/sse"), (read_ws, "/ws")):
        target = (url if path == "/sse" else url.replace("http://", "ws://")) + path
        arrived: dict[str, float] = {}
        started = time.time()
        await reader(f"{target}?n={count}", {}, count, arrived, asyncio.Event())
        rates.append(count / (max(arrived.values()) - started))
    return rates[0], rates[1]


async def burst_rate(deployment: Deployment, api: Api, token: str, device: dict,
                     count: int, websocket: bool) -> float:
    headers = api.auth(token)
    arrived: dict[str, float] = {}
    opened = asyncio.Event()
    if websocket:
        reading = asyncio.create_task(read_ws(
            api.url.replace("http://", "ws://") + "/api/events/ws?type=webhook.test", headers,
            count, arrived, opened))
    else:
        reading = asyncio.create_task(read_sse(
            api.url + "/api/events?type=webhook.test", headers, count, arrived, opened))
    await opened.wait()
    await asyncio.sleep(0.5)  # subscribed
    database = database_of(deployment)
    try:
        committed = await write(database, device, count, count)
    finally:
        await database.dispose()
    await asyncio.wait_for(reading, 120)
    return count / (max(arrived.values()) - min(committed.values()))


async def latencies(deployment: Deployment, api: Api, token: str, device: dict,
                    count: int) -> tuple[list[float], list[float]]:
    headers = api.auth(token)
    by_sse: dict[str, float] = {}
    by_ws: dict[str, float] = {}
    opened = [asyncio.Event(), asyncio.Event()]
    readers = [
        asyncio.create_task(read_sse(api.url + "/api/events?type=webhook.test", headers,
                                     count, by_sse, opened[0])),
        asyncio.create_task(read_ws(api.url.replace("http://", "ws://")
                                    + "/api/events/ws?type=webhook.test", headers, count,
                                    by_ws, opened[1]))]
    for event in opened:
        await event.wait()
    await asyncio.sleep(0.5)
    results: multiprocessing.Queue[dict[str, float]] = multiprocessing.Queue()
    writer = multiprocessing.get_context("fork").Process(
        target=writer_process, args=(deployment, device, count, 0.004, results))
    writer.start()
    committed = await asyncio.to_thread(results.get, True, 300)
    writer.join()
    await asyncio.wait_for(asyncio.gather(*readers), 60)
    return ([(by_sse[i] - at) * 1000 for i, at in committed.items()],
            [(by_ws[i] - at) * 1000 for i, at in committed.items()])


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def measure(backend: str, events: int, latency_events: int) -> None:
    bare, bare_url = start_bare()
    with tempfile.TemporaryDirectory() as root:
        deployment = Deployment(backend, Path(root))
        try:
            deployment.migrate()
            server = deployment.api(stream_buffer_events=str(100_000))
            api = Api(server.url)
            token, _ = api.register()
            device = api.create_device(token)
            bare_sse, bare_ws = asyncio.run(bare_rates(bare_url, events))
            sse_rate = asyncio.run(burst_rate(deployment, api, token, device, events, False))
            ws_rate = asyncio.run(burst_rate(deployment, api, token, device, events, True))
            by_sse, by_ws = asyncio.run(latencies(deployment, api, token, device,
                                                  latency_events))
            api.close()
        finally:
            deployment.close()
            bare.terminate()
            bare.wait(10)
    print(f"{backend}: {events} events")
    for name, rate, bare_rate in (("SSE      ", sse_rate, bare_sse),
                                  ("WebSocket", ws_rate, bare_ws)):
        print(f"  {name} {rate:8.0f} events/s  bare {bare_rate:8.0f}  "
              f"ratio {rate / bare_rate:.2f}")
    for name, values in (("SSE", by_sse), ("WebSocket", by_ws)):
        print(f"  commit → {name} client ({len(values)} events, one per commit): "
              f"p50 {percentile(values, 50):.1f} ms  p99 {percentile(values, 99):.1f} ms  "
              f"max {max(values):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--latency-events", type=int, default=1000)
    args = parser.parse_args()
    measure("sqlite", args.events, args.latency_events)
    pg_url = os.environ.get(PG_ENV, DEFAULT_PG)
    if postgres_reachable(pg_url):
        os.environ[PG_ENV] = pg_url
        measure("postgresql", args.events, args.latency_events)


if __name__ == "__main__":
    main()
