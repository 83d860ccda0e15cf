"""Writing events, in the transaction of the change they report (the outbox pattern): an
event is stored if and only if its change is, and its delivery is due at once. Nothing is
sent here; the transaction announces them when it commits (db/wakeups.py) and the
dispatchers (workers/dispatcher/, in the API processes) claim due deliveries afterwards,
so a crash anywhere can delay a delivery but never lose it.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.webhooks.events import EventData, event_body
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent


def new_event_id() -> str:
    return "msg_" + uuid.uuid4().hex


@dataclass(frozen=True)
class Receiver:
    """A webhook that delivers (it has a URL and is enabled), and the types it wants."""

    endpoint_id: uuid.UUID
    events: list[str] | None  # its filter; None: every type

    def wants(self, event_type: str) -> bool:
        return self.events is None or event_type in self.events


@dataclass(frozen=True)
class Target:
    """A device whose events are being written, and the webhooks that deliver them: the
    device's own and its account's (none, one or both)."""

    device_id: uuid.UUID
    receivers: tuple[Receiver, ...]


async def target_of(session: AsyncSession, device_id: uuid.UUID) -> Target | None:
    """The device as the subject of events (None: it is gone), and which webhooks want
    what. Every event is recorded whether or not a webhook delivers it: the event streams
    and the broker outputs read the same rows."""
    account = aliased(WebhookEndpoint)
    # The device row stays locked till this transaction ends (PostgreSQL; SQLite has one
    # writer anyway): a device's events commit one after another, in the order of their
    # `seq`, so no reader sees a later event of a device before an earlier one. NO KEY
    # UPDATE: rows inserted meanwhile that refer to the device (its messages) do not wait.
    row = (await session.execute(
        select(Device.id, Device.webhook_url, WebhookEndpoint.id, WebhookEndpoint.enabled,
               WebhookEndpoint.events, account.id, account.url, account.enabled,
               account.events)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.device_id == Device.id)
        .outerjoin(account, account.user_id == Device.user_id)
        .where(Device.id == device_id, Device.deleted_at.is_(None))
        .with_for_update(of=Device, key_share=True))).first()
    if row is None:
        return None
    (found, device_url, device_endpoint, device_on, device_events,
     account_endpoint, account_url, account_on, account_events) = row
    receivers = []
    if device_url and device_endpoint is not None and device_on is True:
        receivers.append(Receiver(device_endpoint, device_events))
    if account_url and account_endpoint is not None and account_on is True:
        receivers.append(Receiver(account_endpoint, account_events))
    return Target(found, tuple(receivers))


async def write(session: AsyncSession, target: Target,
                events: Sequence[tuple[str, EventData]]) -> list[str]:
    """Store events (type, data) in the order given, and a delivery, due at once, for each
    webhook that wants it: the events' ids. Two statements however many there are."""
    if not events:
        return []
    now = utc_now()
    ids = [new_event_id() for _ in events]
    # Statements compiled once (executemany), however many events.
    seqs = dict((await session.execute(
        insert(WebhookEvent.__table__).returning(WebhookEvent.id, WebhookEvent.seq), [
            {"id": event_id, "device_id": target.device_id, "user_id": None,
             "type": event_type, "body": event_body(event_type, data, now), "created_at": now}
            for event_id, (event_type, data) in zip(ids, events, strict=True)])).all())
    due = [_due(uuid.uuid4(), seqs[event_id], receiver.endpoint_id, target.device_id, now)
           for event_id, (event_type, _) in zip(ids, events, strict=True)
           for receiver in target.receivers if receiver.wants(event_type)]
    if due:
        await session.execute(insert(WebhookDelivery.__table__), due)
    await wakeups.announce(session, wakeups.WEBHOOKS)
    return ids


def _due(delivery_id: uuid.UUID, event_seq: int, endpoint_id: uuid.UUID,
         device_id: uuid.UUID | None, now: datetime) -> dict[str, object]:
    return {"id": delivery_id, "event_seq": event_seq, "endpoint_id": endpoint_id,
            "device_id": device_id, "status": DeliveryStatus.PENDING, "attempts": 0,
            "retries": 0, "next_attempt_at": now, "created_at": now}


async def record(session: AsyncSession, event_type: str, data: EventData,
                 device_id: uuid.UUID) -> str | None:
    """Store an event for the device, with a delivery for each webhook that wants this
    type: the event's id, or None if the device is gone."""
    target = await target_of(session, device_id)
    if target is None:
        return None
    [written] = await write(session, target, [(event_type, data)])
    return written


async def record_for(session: AsyncSession, endpoint: WebhookEndpoint, event_type: str,
                     data: EventData) -> tuple[str, uuid.UUID]:
    """An event for one webhook only, whatever its filter says (a test the user asked
    for): (event id, delivery id). A device's endpoint records it as the device's event;
    an account's, as the account's."""
    if endpoint.device_id is not None:
        await target_of(session, endpoint.device_id)  # the device's lock: its events' order
    now = utc_now()
    event_id, delivery_id = new_event_id(), uuid.uuid4()
    seq = await session.scalar(
        insert(WebhookEvent).returning(WebhookEvent.seq)
        .values(id=event_id, device_id=endpoint.device_id, user_id=endpoint.user_id,
                type=event_type, body=event_body(event_type, data, now), created_at=now))
    assert seq is not None
    await session.execute(insert(WebhookDelivery.__table__),
                          [_due(delivery_id, seq, endpoint.id, endpoint.device_id, now)])
    await wakeups.announce(session, wakeups.WEBHOOKS)
    return event_id, delivery_id
