"""Writing events, in the transaction of the change they report (the outbox pattern): an
event is stored if and only if its change is, and its delivery is due at once. Nothing is
sent here; the transaction announces them when it commits (db/wakeups.py) and the
dispatchers (workers/dispatcher/, in the API processes) claim due deliveries afterwards,
so a crash anywhere can delay a delivery but never lose it.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.webhooks.events import EventData, event_body
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent


def new_event_id() -> str:
    return "msg_" + uuid.uuid4().hex


@dataclass(frozen=True)
class Target:
    """Where a device's events go, and which it wants (None: it wants none now)."""

    device_id: uuid.UUID
    events: list[str] | None  # None: every type

    def wants(self, event_type: str) -> bool:
        return self.events is None or event_type in self.events


async def target_of(session: AsyncSession, device_id: uuid.UUID) -> Target | None:
    """The device as an event target: None if it has no webhook URL or its endpoint is
    disabled."""
    # The endpoint row stays locked till this transaction ends (PostgreSQL; SQLite has one
    # writer anyway): a device's events commit one after another, in the order of their
    # `seq`, so the dispatcher never sees a later event before an earlier one.
    row = (await session.execute(
        select(Device.id, Device.webhook_url, WebhookEndpoint.enabled, WebhookEndpoint.events)
        .join(WebhookEndpoint, WebhookEndpoint.device_id == Device.id)
        .where(Device.id == device_id, Device.deleted_at.is_(None))
        .with_for_update(of=WebhookEndpoint))).first()
    if row is None or not row.webhook_url or not row.enabled:
        return None
    return Target(row.id, row.events)


async def write(session: AsyncSession, target: Target,
                events: Sequence[tuple[str, EventData]]) -> list[tuple[str, uuid.UUID]]:
    """Store events (type, data) and their deliveries, due at once, in the order given:
    (event id, delivery id) for each. Two statements however many there are."""
    if not events:
        return []
    now = utc_now()
    ids = [new_event_id() for _ in events]
    # Statements compiled once (executemany), however many events.
    seqs = dict((await session.execute(
        insert(WebhookEvent.__table__).returning(WebhookEvent.id, WebhookEvent.seq), [
            {"id": event_id, "device_id": target.device_id, "type": event_type,
             "body": event_body(event_type, data, now), "created_at": now}
            for event_id, (event_type, data) in zip(ids, events, strict=True)])).tuples().all())
    deliveries = [uuid.uuid4() for _ in events]
    await session.execute(insert(WebhookDelivery.__table__), [
        {"id": delivery_id, "event_seq": seqs[event_id], "device_id": target.device_id,
         "status": DeliveryStatus.PENDING, "attempts": 0, "retries": 0, "next_attempt_at": now,
         "created_at": now}
        for event_id, delivery_id in zip(ids, deliveries, strict=True)])
    await wakeups.announce(session, wakeups.WEBHOOKS)
    return list(zip(ids, deliveries, strict=True))


async def record(session: AsyncSession, event_type: str, data: EventData,
                 device_id: uuid.UUID, *, always: bool = False
                 ) -> tuple[str, uuid.UUID] | None:
    """Store an event for the device and its delivery, if the device has a webhook URL, is
    enabled, and wants this type (`always`: whatever its filter says). (event id, delivery
    id), or None if nothing is to be sent."""
    target = await target_of(session, device_id)
    if target is None or not (always or target.wants(event_type)):
        return None
    [written] = await write(session, target, [(event_type, data)])
    return written
