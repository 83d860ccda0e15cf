"""Event retention: events written more than WAPIZ_EVENT_RETENTION_DAYS ago are deleted, in
batches, unless a webhook delivery still refers to one (pending, or finished and kept for its
log: such an event goes with its last delivery, deliveries.py). Every device's events are
recorded (the streams and brokers read them); most have no delivery at all.

The newest event is always kept: on SQLite an event's `seq` is the table's next rowid, and an
emptied table would hand out seqs the live feeds (events/feed.py) have already passed.
"""

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.batches import in_batches, skipping_locked
from wapiz.db.database import Database
from wapiz.db.results import rows_changed
from wapiz.webhooks.models import WebhookDelivery, WebhookEvent

log = logging.getLogger(__name__)

PRUNE_BATCH = 500


def _expired(created_before: datetime) -> ColumnElement[bool]:
    return and_(WebhookEvent.created_at < created_before,
                ~exists().where(WebhookDelivery.event_seq == WebhookEvent.seq),
                WebhookEvent.seq < select(func.max(WebhookEvent.seq)).scalar_subquery())


async def prune_batch(session: AsyncSession, created_before: datetime,
                      limit: int = PRUNE_BATCH) -> tuple[bool, Counter[str]]:
    """Delete up to `limit` expired events; (whether that was the last batch, how many)."""
    expired = _expired(created_before)
    seqs = list(await session.scalars(skipping_locked(
        select(WebhookEvent.seq).where(expired).order_by(WebhookEvent.seq).limit(limit),
        session)))
    if not seqs:
        return True, Counter()
    # `expired` again: on SQLite the candidates were read before the write lock.
    went = await session.execute(
        delete(WebhookEvent).where(WebhookEvent.seq.in_(seqs), expired))
    return len(seqs) < limit, Counter(events=rows_changed(went))


async def prune_events(database: Database, created_before: datetime,
                       batch_size: int = PRUNE_BATCH) -> Counter[str]:
    """Every expired event, in batches; how many went."""
    went = await in_batches(
        database, lambda session: prune_batch(session, created_before, batch_size))
    if went["events"]:
        log.info("events: deleted %d events written before %s", went["events"],
                 created_before.isoformat())
    return went
