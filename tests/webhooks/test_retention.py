"""Webhook retention against a real, migrated database: finished deliveries older than the
cutoff go with their attempts and events; pending and recent ones stay, whatever their age."""

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.rows import days_ago, delivery, opened, user_with_device
from tests.support import Deployment
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from wapiz.workers.retention.deliveries import prune_deliveries

pytestmark = pytest.mark.asyncio(loop_scope="function")

CUTOFF = utc_now() - timedelta(days=30)


async def what_is_left(database: Database) -> tuple[set[uuid.UUID], Counter[uuid.UUID], int]:
    """(deliveries, attempts per delivery, events with no delivery)."""
    async with database.session_scope() as db:
        deliveries = set(await db.scalars(select(WebhookDelivery.id)))
        attempts = Counter(await db.scalars(select(WebhookAttempt.delivery_id)))
        orphans = len(list(await db.scalars(
            select(WebhookEvent.seq).where(WebhookEvent.seq.not_in(
                select(WebhookDelivery.event_seq))))))
    return deliveries, attempts, orphans


async def test_old_finished_deliveries_go_with_their_attempts_and_events(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            old = [await delivery(db, device, DeliveryStatus.SUCCEEDED, created=days_ago(41 + n),
                                  finished=days_ago(40 + n), attempts=1) for n in range(5)]
            old.append(await delivery(db, device, DeliveryStatus.FAILED, created=days_ago(33),
                                      finished=days_ago(31), attempts=3))
            kept = {
                # Still being retried, however old.
                await delivery(db, device, DeliveryStatus.PENDING, created=days_ago(60),
                               finished=None, attempts=2): 2,
                # Pending with a finish time from an earlier life: pending is what counts.
                await delivery(db, device, DeliveryStatus.PENDING, created=days_ago(60),
                               finished=days_ago(50), attempts=1): 1,
                # Created long ago, finished within the retention: kept from when it finished.
                await delivery(db, device, DeliveryStatus.SUCCEEDED, created=days_ago(45),
                               finished=days_ago(1), attempts=4): 4,
                await delivery(db, device, DeliveryStatus.FAILED, created=days_ago(29.5),
                               finished=days_ago(29), attempts=2): 2,
            }

        went = await prune_deliveries(database, CUTOFF, batch_size=4)  # two batches

        assert went == Counter(deliveries=6, attempts=8, events=6)
        deliveries, attempts, orphans = await what_is_left(database)
        assert deliveries == set(kept)
        assert attempts == Counter(kept)
        assert orphans == 0
        assert not deliveries & set(old)
        # Nothing more to do: a second pass (another runner's, or the next) deletes nothing.
        assert await prune_deliveries(database, CUTOFF) == Counter()


async def test_runners_pruning_at_once_delete_every_row_once(migrated: Deployment) -> None:
    async with opened(migrated, "runner-a") as database, opened(migrated, "runner-b") as other:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            for n in range(60):
                await delivery(db, device, DeliveryStatus.SUCCEEDED, created=days_ago(40),
                               finished=days_ago(40 - n / 100), attempts=1)
        counts = await asyncio.gather(prune_deliveries(database, CUTOFF, batch_size=7),
                                      prune_deliveries(other, CUTOFF, batch_size=7))
        assert sum(counts, Counter()) == Counter(deliveries=60, attempts=60, events=60)
        assert await what_is_left(database) == (set(), Counter(), 0)
