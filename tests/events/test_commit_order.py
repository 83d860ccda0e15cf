"""Writers whose transactions commit out of `seq` order (PostgreSQL: a row's seq is taken at
insert, its commit comes later; some roll back and leave a hole for good): a live stream
still shows every committed event once, in seq order, and none rolled back. Written with
the outbox itself, as the runner and the API write events."""

import asyncio
import json
import random
import threading
import uuid

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from tests.events.streams import Event, sse
from tests.support import Api, Deployment, WapizProcess, db_rows
from wapiz.webhooks import outbox
from wapiz.webhooks.events import WEBHOOK_TEST, WebhookTestData

WRITERS_PER_DEVICE = 2
EACH = 100


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    if shared_deployment.backend != "postgresql":
        pytest.skip("on SQLite writers take turns: commits come in seq order")
    return shared_deployment.serve(plan_limits=json.dumps({"free": 3}))


class RolledBack(Exception):
    pass


async def write_out_of_order(database_url: str, devices: list[dict], seed: int) -> None:
    engine = create_async_engine(database_url, pool_size=10)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    rng = random.Random(seed)

    async def writer(device: dict) -> None:
        for n in range(EACH):
            try:
                async with sessions() as session, session.begin():
                    target = await outbox.target_of(session, uuid.UUID(device["id"]))
                    assert target is not None
                    await outbox.write(session, target, [(WEBHOOK_TEST, WebhookTestData(
                        uuid.uuid4(), uuid.UUID(device["deviceId"]), f"{n}"))])
                    # Held open a while: writers on other devices commit later seqs first.
                    await asyncio.sleep(rng.uniform(0, 0.03))
                    if rng.random() < 0.1:
                        raise RolledBack
            except RolledBack:
                pass

    try:
        await asyncio.gather(*(writer(device) for device in devices
                               for _ in range(WRITERS_PER_DEVICE)))
    finally:
        await engine.dispose()


def test_out_of_order_commits_reach_a_live_stream_once_and_in_order(
        api: Api, shared_deployment: Deployment) -> None:
    token, _ = api.register()
    devices = [api.create_device(token) for _ in range(3)]
    received: list[Event] = []
    connected = threading.Event()

    def read() -> None:
        with sse(api, token, type="webhook.test", read_timeout=15) as events:
            connected.set()
            for event in events:
                received.append(event)
                if event.data["data"]["message"] == "end":
                    return

    reading = threading.Thread(target=read)
    reading.start()
    assert connected.wait(10)
    asyncio.run(write_out_of_order(shared_deployment.database_url, devices, seed=16))
    asyncio.run(write_end(shared_deployment.database_url, devices[0]))
    reading.join(60)
    assert not reading.is_alive()
    stored = db_rows(shared_deployment.database_url,
                     "SELECT e.id, e.seq FROM webhook_events e JOIN devices d "
                     "ON d.id = e.device_id WHERE d.user_id = :user "
                     "AND e.type = 'webhook.test' ORDER BY e.seq", user=devices[0]["userId"])
    got = {event.id for event in received}
    missed = [seq for event_id, seq in stored if event_id not in got]
    assert [event.id for event in received] == [row[0] for row in stored], f"missed {missed}"
    assert len(stored) < 3 * WRITERS_PER_DEVICE * EACH + 1  # some rolled back
    assert len(stored) > 3 * WRITERS_PER_DEVICE * EACH * 0.8


async def write_end(database_url: str, device: dict) -> None:
    engine = create_async_engine(database_url)
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            target = await outbox.target_of(session, uuid.UUID(device["id"]))
            assert target is not None
            await outbox.write(session, target, [(WEBHOOK_TEST, WebhookTestData(
                uuid.uuid4(), uuid.UUID(device["deviceId"]), "end"))])
    finally:
        await engine.dispose()
