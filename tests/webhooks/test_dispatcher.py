"""The dispatcher's own bookkeeping, on a migrated database with its HTTP attempts stubbed out
(what a receiver sees is tested over HTTP in test_webhooks.py): an endpoint it delivers for
is let go once nothing more comes, and attempts made before a shutdown are not made again."""

import asyncio
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.rows import days_ago, delivery, opened, user_with_device
from tests.support import Deployment
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from wapiz.workers.dispatcher import dispatcher as dispatching
from wapiz.workers.dispatcher.dispatcher import Dispatcher
from wapiz.workers.dispatcher.queue import DueDelivery, Outcome

pytestmark = pytest.mark.asyncio(loop_scope="function")


class StubbedDispatcher(Dispatcher):
    """Every attempt a 200, after `answer_s`; the attempts made, in order."""

    answer_s = 0.0

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.attempted: list[uuid.UUID] = []

    async def attempt(self, url: str, delivery: DueDelivery,
                      signing_secrets: list[str]) -> Outcome:
        await asyncio.sleep(self.answer_s)
        self.attempted.append(delivery.id)
        return Outcome(delivery.id, utc_now(), 1, 200)


async def _device_with_deliveries(database: Database,
                                  count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A device's webhook endpoint (its id) with `count` deliveries due."""
    async with database.session_scope() as db:
        device = await user_with_device(db, days_ago(0))
        device.webhook_url = "http://127.0.0.1:9/hook"
        endpoint = WebhookEndpoint(id=uuid.uuid4(), device_id=device.id,
                                   secret="whsec_" + "A" * 32)
        db.add(endpoint)
        await db.flush()
        ids = [await delivery(db, device, DeliveryStatus.PENDING, created=days_ago(0),
                              finished=None, attempts=0) for _ in range(count)]
        return endpoint.id, ids


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.02)


async def test_an_endpoint_is_let_go_while_others_keep_announcing(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        endpoint_id, [first] = await _device_with_deliveries(database, 1)
        dispatcher = StubbedDispatcher(Settings(database_url=migrated.database_url,
                                                data_dir=migrated.data_dir), database, "d1")
        running = asyncio.create_task(dispatcher.run())
        try:
            await _until(lambda: dispatcher.attempted == [first], 10, "never delivered")
            assert endpoint_id in dispatcher._endpoints  # lingering, in case more comes
            # Events for other devices, announced all the time: they wake it, but do not
            # keep it.
            started = asyncio.get_running_loop().time()
            while endpoint_id in dispatcher._endpoints:
                assert asyncio.get_running_loop().time() - started < 3 * dispatching.LINGER_S, (
                    "an endpoint with nothing due was kept as long as others had events")
                async with database.session_scope() as db:
                    await wakeups.announce(db, wakeups.WEBHOOKS)
                await asyncio.sleep(0.05)
            async with database.session_scope() as db:
                endpoint = await db.get(WebhookEndpoint, endpoint_id)
                assert endpoint is not None and endpoint.dispatcher is None  # let go
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)


async def test_attempts_made_before_a_shutdown_are_recorded(migrated: Deployment) -> None:
    async with opened(migrated) as database:
        _endpoint, ids = await _device_with_deliveries(database, 40)
        dispatcher = StubbedDispatcher(Settings(database_url=migrated.database_url,
                                                data_dir=migrated.data_dir), database, "d1")
        dispatcher.answer_s = 0.01  # 40 attempts: longer than a group of outcomes waits
        running = asyncio.create_task(dispatcher.run())
        await _until(lambda: len(dispatcher.attempted) >= 5, 10, "never delivered")
        running.cancel()  # the process stops, between two writes of outcomes
        await asyncio.gather(running, return_exceptions=True)
        attempted = list(dispatcher.attempted)
        assert 5 <= len(attempted) < len(ids)
        async with database.session_scope() as db:
            succeeded = set(await db.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.id.in_(ids), WebhookDelivery.status == DeliveryStatus.SUCCEEDED)))
            taken = await db.scalar(select(func.count()).select_from(WebhookEndpoint).where(
                WebhookEndpoint.dispatcher.is_not(None)))
        assert succeeded == set(attempted)  # none would be posted twice by the next one
        assert taken == 0  # and the endpoint was let go for it
