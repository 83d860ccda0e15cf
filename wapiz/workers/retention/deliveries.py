"""Webhook retention: deliveries that finished (succeeded or failed) before a time are deleted
with their attempt logs, and so are the events left with no delivery. Pending deliveries are
never touched, however old. The runner calls this now and then (prune.py); it spans
every tenant, as the dispatcher does.

Deletes are idempotent, so several runners may prune one database at once: on PostgreSQL
each skips the rows another has locked.
"""

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.batches import in_batches, skipping_locked
from wapiz.db.database import Database
from wapiz.db.results import rows_changed
from wapiz.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)

log = logging.getLogger(__name__)

PRUNE_BATCH = 500  # deliveries per transaction (each with its attempts, up to a few each)


def _finished_before(moment: datetime) -> ColumnElement[bool]:
    return and_(WebhookDelivery.status.in_((DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)),
                WebhookDelivery.finished_at < moment)


async def prune_batch(session: AsyncSession, finished_before: datetime,
                      limit: int = PRUNE_BATCH) -> tuple[bool, Counter[str]]:
    """Delete up to `limit` finished deliveries with their attempts and then-orphaned events;
    (whether that was the last batch, how many rows of each kind went)."""
    old = _finished_before(finished_before)
    ids = list(await session.scalars(skipping_locked(
        select(WebhookDelivery.id).where(old).limit(limit), session)))
    if not ids:
        return True, Counter()
    # `old` again in each statement: on SQLite the candidates were read before the write
    # lock, and a redelivery may have made one pending since.
    chosen = and_(WebhookDelivery.id.in_(ids), old)
    attempts = await session.execute(
        delete(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(select(WebhookDelivery.id).where(chosen))))
    event_seqs = list(await session.scalars(
        delete(WebhookDelivery).where(chosen).returning(WebhookDelivery.event_seq)))
    events = await session.execute(
        delete(WebhookEvent)
        .where(WebhookEvent.seq.in_(set(event_seqs)),
               ~exists().where(WebhookDelivery.event_seq == WebhookEvent.seq)))
    return len(ids) < limit, Counter(deliveries=len(event_seqs),
                                     attempts=rows_changed(attempts),
                                     events=rows_changed(events))


async def prune_deliveries(database: Database, finished_before: datetime,
                           batch_size: int = PRUNE_BATCH) -> Counter[str]:
    """Every delivery finished before `finished_before`, in batches; what went."""
    went = await in_batches(
        database, lambda session: prune_batch(session, finished_before, batch_size))
    if went["deliveries"]:
        log.info("webhooks: deleted %d deliveries finished before %s, with %d attempts and "
                 "%d events", went["deliveries"], finished_before.isoformat(),
                 went["attempts"], went["events"])
    return went
