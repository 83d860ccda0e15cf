"""A runner prunes old rows by itself, soon after it starts, and says so in its log."""

import asyncio
import logging

import pytest
from sqlalchemy import select

from tests.rows import carrying, days_ago, delivery, media_file, opened, user_with_device
from tests.support import Deployment
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.engines import whatsapp_engine_for
from wapiz.messages import models
from wapiz.messages.models import Media
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery
from wapiz.workers.retention import prune as retention
from wapiz.workers.runner.runner import Runner

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_a_runner_prunes_soon_after_start(
        migrated: Deployment, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(retention, "FIRST_AFTER_S", 0.1)
    caplog.set_level(logging.INFO)
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            await delivery(db, device, DeliveryStatus.SUCCEEDED, created=days_ago(41),
                           finished=days_ago(40), attempts=1)
            pending = await delivery(db, device, DeliveryStatus.PENDING, created=days_ago(41),
                                     finished=None, attempts=1)
            old_file = await media_file(db, device, days_ago(40), data=b"x" * 10)
            await carrying(db, device, old_file, models.MessageStatus.READ, created=days_ago(40),
                           sent=days_ago(40))

        settings = Settings(database_url=migrated.database_url, data_dir=migrated.data_dir,
                            engine="sandbox", webhook_retention_days=30,
                            media_retention_days=30)
        runner_database = Database(settings, "test-runner")
        runner = Runner(settings, runner_database, whatsapp_engine_for(settings, runner_database))
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            async def pruned() -> bool:
                async with database.session_scope() as db:
                    deliveries = set(await db.scalars(select(WebhookDelivery.id)))
                    bytes_dropped = await db.scalar(
                        select(Media.bytes_dropped_at).where(Media.id == old_file))
                return deliveries == {pending} and bytes_dropped is not None

            for _ in range(100):
                if await pruned():
                    break
                await asyncio.sleep(0.1)
            assert await pruned()
        finally:
            stop.set()
            await task
            await runner_database.dispose()
    assert "webhooks: deleted 1 deliveries finished before" in caplog.text
    assert "messages: dropped the bytes of 1 files (10 bytes)" in caplog.text
