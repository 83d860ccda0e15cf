"""Benchmark: events per second through the broker outputs, beside a bare publisher loop.

For each database (SQLite always; PostgreSQL when reachable) a real `wapiz api` makes a user
and devices, then stops. The bench writes a burst of events through the outbox
(`webhooks/outbox.py`, as runners do: a transaction per device's group) and times an output
(`workers/outputs/worker.py: OutputWorker`, the code the API processes run) publishing the
backlog from the rows to the machine's NATS JetStream and RabbitMQ until the broker has
confirmed every event and every cursor is written. Beside it, in the same run: a bare loop of
the same client library (nats-py's `publish_async`, aio-pika's confirmed `publish`) publishing
the same bodies under the same subjects, a group of the same size at a time, acks awaited
together. The ratio of the two rates is the figure.

    .venv/bin/python bench/outputs_bench.py [--events 20000] [--devices 4]
"""

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.status_bench import DEFAULT_PG, postgres_reachable  # noqa: E402
from tests.support import PG_ENV, Api, Deployment  # noqa: E402
from wapiz.config import Settings  # noqa: E402
from wapiz.db.base import utc_now  # noqa: E402
from wapiz.db.database import Database  # noqa: E402
from wapiz.devices.models import Device  # noqa: E402
from wapiz.kit import loop  # noqa: E402
from wapiz.outputs.configured import OutputConfig  # noqa: E402
from wapiz.webhooks import outbox  # noqa: E402
from wapiz.webhooks.events import WEBHOOK_TEST, WebhookTestData  # noqa: E402
from wapiz.webhooks.models import WebhookEvent  # noqa: E402
from wapiz.workers.outputs.publishers import Outgoing, publisher_for  # noqa: E402
from wapiz.workers.outputs.worker import GROUP, PUBLISH_TIMEOUT_S, OutputWorker  # noqa: E402

NATS_URL = "nats://127.0.0.1:4222"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
ROUNDS = 3
TEXT = "Halo, ini pesan uji untuk mengukur keluaran broker. " * 12  # ~600 bytes, as a message


def make_devices(deployment: Deployment, count: int) -> list[uuid.UUID]:
    """Devices (their `id`), one per user (a free plan holds one), made over HTTP."""
    deployment.migrate()
    server = deployment.api()
    api = Api(server.url)
    ids = []
    for _ in range(count):
        token, _ = api.register()
        ids.append(uuid.UUID(api.create_device(token)["id"]))
    api.close()
    server.stop()
    return ids


async def write_events(database: Database, devices: list[uuid.UUID], events: int) -> None:
    per_group = 200
    for start in range(0, events, per_group):
        device = devices[(start // per_group) % len(devices)]
        async with database.session_scope() as db:
            target = await outbox.target_of(db, device)
            assert target is not None
            await outbox.write(db, target, [
                (WEBHOOK_TEST, WebhookTestData(uuid.uuid4(), device, TEXT))
                for _ in range(min(per_group, events - start))])


def config_for(kind: str, run: str, round_: int) -> OutputConfig:
    prefix = f"bench{run}"
    if kind == "nats":
        return OutputConfig(f"nats{round_}", "nats", NATS_URL, f"BENCH{run}", prefix)
    return OutputConfig(f"amqp{round_}", "amqp", AMQP_URL, f"bench.{run}", prefix)


async def through_output(database: Database, config: OutputConfig) -> float:
    """Seconds for an output to publish the whole backlog (cursors written)."""
    worker = OutputWorker(config, database, "bench")
    async with database.session_scope() as db:
        assert await worker.rows(db).take(utc_now(), 600)
    await worker.publisher.connect()
    started = time.perf_counter()
    while await worker.publish_once():
        pass
    elapsed = time.perf_counter() - started
    await worker.publisher.close()
    return elapsed


async def bare_loop(config: OutputConfig, bodies: list[tuple[str, str, bytes]]) -> float:
    """Seconds for the client library alone to publish the same messages, a group at a time."""
    publisher = publisher_for(config, PUBLISH_TIMEOUT_S)
    await publisher.connect()
    outgoing = [Outgoing(seq, event_id, uuid.UUID(int=0), WEBHOOK_TEST, subject, body)
                for seq, (event_id, subject, body) in enumerate(bodies, 1)]
    started = time.perf_counter()
    for start in range(0, len(outgoing), GROUP):
        confirmations = await publisher.publish(outgoing[start:start + GROUP])
        assert not any(confirmations), confirmations[:3]
    elapsed = time.perf_counter() - started
    await publisher.close()
    return elapsed


async def bare_nats(config: OutputConfig, bodies: list[tuple[str, str, bytes]]) -> float:
    """nats-py by itself: publish_async a group, await its acks, next group."""
    import nats

    nc = await nats.connect(NATS_URL)
    js = nc.jetstream()
    started = time.perf_counter()
    for start in range(0, len(bodies), GROUP):
        acks = [await js.publish_async(subject, body, headers={"Nats-Msg-Id": "bare" + event_id})
                for event_id, subject, body in bodies[start:start + GROUP]]
        await asyncio.gather(*acks)
    elapsed = time.perf_counter() - started
    await nc.close()
    return elapsed


async def bare_amqp(config: OutputConfig, bodies: list[tuple[str, str, bytes]]) -> float:
    """aio-pika by itself: a group of confirmed publishes, awaited together."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(config.destination, aio_pika.ExchangeType.TOPIC,
                                              durable=True)
    started = time.perf_counter()
    for start in range(0, len(bodies), GROUP):
        await asyncio.gather(*[exchange.publish(
            aio_pika.Message(body, message_id=event_id), routing_key=subject, mandatory=False)
            for event_id, subject, body in bodies[start:start + GROUP]])
    elapsed = time.perf_counter() - started
    await connection.close()
    return elapsed


async def bind_queue(config: OutputConfig) -> str:
    """A queue for the exchange's messages (RabbitMQ stores them, as it would for a
    consumer); its name."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(config.destination, aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        queue = await channel.declare_queue(f"{config.destination}.q", durable=True)
        await queue.bind(exchange, f"{config.prefix}.#")
        return queue.name


async def clean_up(config: OutputConfig) -> None:
    if config.kind == "nats":
        import nats

        nc = await nats.connect(NATS_URL)
        await nc.jetstream().delete_stream(config.destination)
        await nc.close()
        return
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(f"{config.destination}.q")
        await channel.exchange_delete(config.destination)


async def measure(database_url: str, devices: list[uuid.UUID], events: int) -> list[str]:
    settings = Settings(database_url=database_url, engine="sandbox")
    database = Database(settings, "bench")
    lines = []
    try:
        await write_events(database, devices, events)
        async with database.session_scope() as db:
            rows = (await db.execute(
                select(WebhookEvent.id, Device.user_id, Device.public_id, WebhookEvent.body)
                .join(Device, Device.id == WebhookEvent.device_id)
                .order_by(WebhookEvent.seq))).all()
        for kind in ("nats", "amqp"):
            # Best of ROUNDS, each on a stream or exchange of its own (and an output of its
            # own, so with cursors of its own), the two measured back to back: the machine
            # is shared, and the best round is the one least disturbed.
            output_s, bare_s, ours_s = [], [], []
            for round_ in range(ROUNDS):
                config = config_for(kind, uuid.uuid4().hex[:8], round_)
                bodies = [(event_id, config.subject(user, public, WEBHOOK_TEST), body.encode())
                          for event_id, user, public, body in rows]
                if kind == "amqp":
                    await bind_queue(config)
                try:
                    output_s.append(await through_output(database, config))  # makes the stream
                    bare = bare_nats if kind == "nats" else bare_amqp
                    bare_s.append(await bare(config, bodies))
                    ours_s.append(await bare_loop(config, bodies))
                finally:
                    await clean_up(config)
            rate, bare_rate = len(rows) / min(output_s), len(rows) / min(bare_s)
            lines.append(f"| {kind} | {len(rows)} | {rate:,.0f} | {bare_rate:,.0f} | "
                         f"{rate / bare_rate:.2f} | {len(rows) / min(ours_s):,.0f} |")
    finally:
        await database.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--devices", type=int, default=4)
    args = parser.parse_args()
    import os

    backends = ["sqlite"]
    if postgres_reachable(os.environ.get(PG_ENV, DEFAULT_PG)):
        os.environ.setdefault(PG_ENV, DEFAULT_PG)
        backends.append("postgresql")
    print("| database | output | events | output ev/s | bare loop ev/s | ratio | "
          "publisher alone ev/s |")
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        with tempfile.TemporaryDirectory() as root:
            deployment = Deployment(backend, Path(root))
            try:
                devices = make_devices(deployment, args.devices)
                for line in loop.run(measure(deployment.database_url, devices, args.events)):
                    print(f"| {backend} " + line, flush=True)
            finally:
                deployment.close()


if __name__ == "__main__":
    main()
