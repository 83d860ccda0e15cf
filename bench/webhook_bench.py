"""Benchmark: inbound messages delivered as webhooks, beside a bare loop.

For each database (SQLite always; PostgreSQL when reachable) it starts a real `wapiz serve`
(sandbox engine) with a linked device whose webhook points at a local receiver
(bench/receiver_app.py, a process of its own). It stops the server, has the simulated
WhatsApp network carry a burst of messages to the device (written straight into the
network's tables, as another sandbox phone's sends would be, so the API's own work is not
what is measured), starts the server again — the burst comes in at once, as a phone's
offline messages do when it reconnects — and reads, for every `message.received` delivery,
the time from the event (the message's `createdAt`: when the runner stored the engine's
event) to its arrival at the receiver.
The rate is the messages over the time from the first event to the last arrival.
Beside it, in the same run: a bare loop of the same HTTP client (`wapiz.kit.net.outbound_client`)
posting the same signed bodies to the same receiver, one after another. The ratio of the
two rates is the figure.

    .venv/bin/python bench/webhook_bench.py [--events 2000]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status_bench import DEFAULT_PG, postgres_reachable  # noqa: E402
from tests.messages.parties import linked_party, unique_phone  # noqa: E402
from tests.support import PG_ENV, Api, Deployment, free_port  # noqa: E402
from wapiz.config import Settings  # noqa: E402
from wapiz.db.base import utc_now  # noqa: E402
from wapiz.db.database import Database  # noqa: E402
from wapiz.engines.base import OutboundMessage, new_message_id  # noqa: E402
from wapiz.engines.content import Text  # noqa: E402
from wapiz.engines.sandbox.engine import outbound_payload  # noqa: E402
from wapiz.engines.sandbox.network import SandboxStore  # noqa: E402
from wapiz.kit import loop  # noqa: E402
from wapiz.kit.net import outbound_client  # noqa: E402
from wapiz.webhooks.signing import new_secret, signed_headers  # noqa: E402

SENDER = "6281300000000@s.whatsapp.net"


def start_receiver() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.receiver_app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/results", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the receiver did not start")


def results(url: str) -> list[tuple[float, str]]:
    return [tuple(item) for item in httpx.get(url + "/results", timeout=30).json()]


async def carry(deployment: Deployment, to: str, count: int) -> None:
    """The network carries `count` texts from another number to `to`."""
    settings = Settings(database_url=deployment.database_url, data_dir=deployment.data_dir)
    database = Database(settings, "bench")
    try:
        for start in range(0, count, 500):
            async with database.session_scope() as db:
                for n in range(start, min(count, start + 500)):
                    message = OutboundMessage(to=to, content=Text(f"masuk {n}"))
                    await SandboxStore(db).carry(new_message_id(), SENDER, to,
                                                 outbound_payload(message))
    finally:
        await database.dispose()


async def bare_loop(url: str, body: str, count: int) -> float:
    """Posts a second, one after another, as the dispatcher posts a device's events."""
    secret = new_secret()
    async with outbound_client(True, httpx.Timeout(15)) as client:
        started = time.perf_counter()
        for n in range(count):
            headers = signed_headers(f"msg_bare{n}", body, [secret], utc_now())
            response = await client.post(url + "/hook", content=body.encode(), headers=headers)
            assert response.status_code == 200
        return count / (time.perf_counter() - started)


async def one_at_a_time(deployment: Deployment, to: str, receiver_url: str,
                        samples: int) -> list[float]:
    """Event to arrival for messages that come one at a time (nothing queued before)."""
    latencies = []
    for _ in range(samples):
        await carry(deployment, to, 1)
        deadline = time.monotonic() + 30
        while not (got := await asyncio.to_thread(results, receiver_url)):
            assert time.monotonic() < deadline, "a message did not arrive"
            await asyncio.sleep(0.01)
        at, body = got[0]
        created = json.loads(body)["data"]["createdAt"].replace("Z", "+00:00")
        latencies.append(at - datetime.fromisoformat(created).timestamp())
    return sorted(latencies)


def measure(backend: str, events: int, samples: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        receiver, receiver_url = start_receiver()
        deployment = Deployment(backend, Path(tmp))
        try:
            server = deployment.serve(log_level="warning", webhook_allow_private="true")
            api = Api(server.url)
            bob = linked_party(api, unique_phone())
            api.http.patch(f"/api/devices/{bob.device['id']}/webhook",
                           headers=api.auth(bob.token),
                           json={"webhookUrl": receiver_url + "/hook",
                                 "events": ["message.received"]})

            # The burst waits in the network while the device's runner is away (as messages
            # wait on WhatsApp's servers for a phone that is offline), and comes in all at
            # once when it is back: nothing else writes while it is stored and delivered.
            server.stop()
            asyncio.run(carry(deployment, f"{bob.phone}@s.whatsapp.net", events))
            server = deployment.serve(log_level="warning", webhook_allow_private="true")
            arrived: list[tuple[float, str]] = []
            deadline = time.monotonic() + 300
            while len({json.loads(b)["data"]["id"] for _, b in arrived}) < events:
                assert time.monotonic() < deadline, f"only {len(arrived)} arrived:\n{server.log()}"
                time.sleep(0.5)
                arrived += results(receiver_url)
            latencies_idle = asyncio.run(one_at_a_time(
                deployment, f"{bob.phone}@s.whatsapp.net", receiver_url, samples))
            api.close()
            server.stop()

            created = {}
            for _, body in arrived:
                data = json.loads(body)["data"]
                created[data["id"]] = datetime.fromisoformat(
                    data["createdAt"].replace("Z", "+00:00")).timestamp()
            first_arrival = {}
            for at, body in sorted(arrived):
                first_arrival.setdefault(json.loads(body)["data"]["id"], at)
            latencies = sorted(first_arrival[i] - created[i] for i in first_arrival)
            span = max(first_arrival.values()) - min(created.values())
            wapiz_rate = events / span
            sample_body = arrived[0][1]
            # On the event loop WAPIZ's processes use (wapiz/kit/loop.py), so that only the
            # work around the posts differs.
            bare_rate = loop.run(bare_loop(receiver_url, sample_body, events))
            results(receiver_url)
            return {"bare": bare_rate, "wapiz": wapiz_rate,
                    "p50": statistics.median(latencies) * 1000,
                    "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                    "idle p50": statistics.median(latencies_idle) * 1000,
                    "idle max": max(latencies_idle) * 1000}
        finally:
            deployment.close()
            receiver.terminate()
            receiver.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=30)
    args = parser.parse_args()
    backends = ["sqlite"]
    pg = os.environ.get(PG_ENV) or DEFAULT_PG
    if postgres_reachable(pg):
        os.environ[PG_ENV] = pg
        backends.append("postgresql")
    else:
        print("PostgreSQL not reachable at 127.0.0.1:5432: SQLite only")
    print(f"{args.events} inbound messages, each delivered as a message.received webhook")
    print("(burst: all at once, latency includes the wait behind earlier ones; one by one: "
          f"{args.latency_samples} messages, each after the previous arrived)")
    print(f"{'database':<11} {'bare loop /s':>13} {'wapiz /s':>9} {'ratio':>6} "
          f"{'burst p50/p99 ms':>17} {'one by one p50/max ms':>22}")
    for backend in backends:
        got = measure(backend, args.events, args.latency_samples)
        print(f"{backend:<11} {got['bare']:>13.0f} {got['wapiz']:>9.0f} "
              f"{got['wapiz'] / got['bare']:>6.2f} {got['p50']:>8.0f} / {got['p99']:<6.0f} "
              f"{got['idle p50']:>11.1f} / {got['idle max']:<7.1f}", flush=True)


if __name__ == "__main__":
    main()
