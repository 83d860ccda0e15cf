"""Event retention against a real, migrated database: events older than
WAPIZ_EVENT_RETENTION_DAYS go, in batches, unless a webhook delivery still needs them; the
newest event always stays."""

import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from tests.rows import days_ago, delivery, opened, user_with_device
from tests.support import Deployment
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import Device
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from wapiz.webhooks.outbox import new_event_id
from wapiz.workers.retention.events import prune_events
from wapiz.workers.retention.prune import prune_once

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def event(database: Database, device: Device, age_days: float) -> str:
    async with database.session_scope() as db:
        row = WebhookEvent(id=new_event_id(), device_id=device.id, type="message.received",
                           body="{}", created_at=days_ago(age_days))
        db.add(row)
    return row.id


async def events_left(database: Database) -> set[str]:
    async with database.session_scope() as db:
        return set(await db.scalars(select(WebhookEvent.id)))


async def event_of(database: Database, delivery_id: uuid.UUID) -> str:
    async with database.session_scope() as db:
        return str(await db.scalar(
            select(WebhookEvent.id).join(WebhookDelivery,
                                         WebhookDelivery.event_seq == WebhookEvent.seq)
            .where(WebhookDelivery.id == delivery_id)))


async def test_old_events_go_unless_a_delivery_needs_them(migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            pending = await delivery(db, device, DeliveryStatus.PENDING, created=days_ago(20),
                                     finished=None, attempts=3)
            logged = await delivery(db, device, DeliveryStatus.SUCCEEDED, created=days_ago(10),
                                    finished=days_ago(10), attempts=1)
        old = [await event(database, device, 8 + n / 10) for n in range(7)]
        recent = [await event(database, device, age) for age in (6.9, 1, 0)]
        needed = {await event_of(database, pending), await event_of(database, logged)}

        went = await prune_events(database, days_ago(7), batch_size=3)  # three batches

        assert went == Counter(events=len(old))
        assert await events_left(database) == needed | set(recent)
        assert await prune_events(database, days_ago(7)) == Counter()

        # Through the runner's pass, with the setting: a retention of one day.
        settings = Settings(database_url=migrated.database_url, data_dir=migrated.data_dir,
                            event_retention_days=1)
        await prune_once(settings, database, utc_now())
        assert await events_left(database) == needed | {recent[-1]}


async def test_the_newest_event_stays_however_old(migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
        ids = [await event(database, device, 30 - n) for n in range(3)]

        assert await prune_events(database, days_ago(7)) == Counter(events=2)
        assert await events_left(database) == {ids[-1]}
