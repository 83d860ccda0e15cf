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
    """A device whose events are being written, and which of them its webhook delivers
    (`deliver` False: none, it has no URL or its endpoint is disabled)."""

    device_id: uuid.UUID
    deliver: bool
    events: list[str] | None  # the webhook's filter; None: every type

    def wants(self, event_type: str) -> bool:
        """Whether the webhook delivers events of this type."""
        return self.deliver and (self.events is None or event_type in self.events)


async def target_of(session: AsyncSession, device_id: uuid.UUID) -> Target | None:
    """The device as the subject of events (None: it is gone), and what its webhook wants.
    Every event is recorded whether or not a webhook delivers it: the event streams and the
    broker outputs read the same rows."""
    # The device row stays locked till this transaction ends (PostgreSQL; SQLite has one
    # writer anyway): a device's events commit one after another, in the order of their
    # `seq`, so no reader sees a later event of a device before an earlier one. NO KEY
    # UPDATE: rows inserted meanwhile that refer to the device (its messages) do not wait.
    row = (await session.execute(
        select(Device.id, Device.webhook_url, WebhookEndpoint.enabled, WebhookEndpoint.events)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.device_id == Device.id)
        .where(Device.id == device_id, Device.deleted_at.is_(None))
        .with_for_update(of=Device, key_share=True))).first()
    if row is None:
        return None
    return Target(row.id, bool(row.webhook_url) and row.enabled is True, row.events)


async def write(session: AsyncSession, target: Target,
                events: Sequence[tuple[str, EventData]]) -> list[tuple[str, uuid.UUID | None]]:
    """Store events (type, data) in the order given, and a delivery, due at once, for each
    the webhook wants: (event id, delivery id or None) for each. Two statements however many
    there are."""
    if not events:
        return []
    now = utc_now()
    ids = [new_event_id() for _ in events]
    # Statements compiled once (executemany), however many events.
    seqs = dict((await session.execute(
        insert(WebhookEvent.__table__).returning(WebhookEvent.id, WebhookEvent.seq), [
            {"id": event_id, "device_id": target.device_id, "type": event_type,
             "body": event_body(event_type, data, now), "created_at": now}
            for event_id, (event_type, data) in zip(ids, events, strict=True)])).all())
    deliveries = [uuid.uuid4() if target.wants(event_type) else None
                  for event_type, _ in events]
    due = [{"id": delivery_id, "event_seq": seqs[event_id], "device_id": target.device_id,
            "status": DeliveryStatus.PENDING, "attempts": 0, "retries": 0,
            "next_attempt_at": now, "created_at": now}
           for event_id, delivery_id in zip(ids, deliveries, strict=True) if delivery_id]
    if due:
        await session.execute(insert(WebhookDelivery.__table__), due)
    await wakeups.announce(session, wakeups.WEBHOOKS)
    return list(zip(ids, deliveries, strict=True))


async def record(session: AsyncSession, event_type: str, data: EventData,
                 device_id: uuid.UUID, *, always: bool = False
                 ) -> tuple[str, uuid.UUID | None] | None:
    """Store an event for the device, and its delivery if the device's webhook wants this
    type (`always`: if it has an enabled webhook, whatever its filter says). (event id,
    delivery id or None), or None if the device is gone."""
    target = await target_of(session, device_id)
    if target is None:
        return None
    if always:
        target = Target(target.device_id, target.deliver, None)
    [written] = await write(session, target, [(event_type, data)])
    return written
