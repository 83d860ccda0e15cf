"""Writing events, in the transaction of the change they report (the outbox pattern): an
event is stored if and only if its change is, and its delivery is due at once. Nothing is
sent here; the dispatcher (webhooks/dispatcher.py) claims due deliveries afterwards, so a
crash anywhere can delay a delivery but never lose it.
"""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.schemas import format_timestamp
from wapiz.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint, WebhookEvent

MESSAGE_RECEIVED = "message.received"
MESSAGE_UPDATED = "message.updated"
DEVICE_STATUS = "device.status"
WEBHOOK_TEST = "webhook.test"
# What a device's `events` filter can name (a test is always sent: it is asked for).
EVENT_TYPES = (MESSAGE_RECEIVED, MESSAGE_UPDATED, DEVICE_STATUS)


def new_event_id() -> str:
    return "msg_" + uuid.uuid4().hex


def event_body(event_type: str, data: dict[str, Any], at: datetime) -> str:
    """The exact JSON posted and signed: `{"type", "timestamp", "data"}`."""
    return json.dumps({"type": event_type, "timestamp": format_timestamp(at), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


async def record(session: AsyncSession, event_type: str, data: dict[str, Any], *,
                 device_key: uuid.UUID | None = None, device_id: uuid.UUID | None = None,
                 always: bool = False) -> WebhookDelivery | None:
    """Store an event for the device (by its `id`, or by its public `deviceId`) and its
    delivery, if the device has a webhook URL, is enabled, and wants this type of event
    (`always`: whatever its filter says). The delivery, or None if nothing is to be sent."""
    where = Device.id == device_key if device_key is not None else Device.device_id == device_id
    target = (await session.execute(
        select(Device.id, Device.webhook_url, WebhookEndpoint.enabled, WebhookEndpoint.events)
        .join(WebhookEndpoint, WebhookEndpoint.device_id == Device.id)
        .where(where, Device.deleted_at.is_(None)))).first()
    if target is None or not target.webhook_url or not target.enabled:
        return None
    if not always and target.events is not None and event_type not in target.events:
        return None
    now = utc_now()
    event = WebhookEvent(id=new_event_id(), device_id=target.id, type=event_type,
                         body=event_body(event_type, data, now), created_at=now)
    session.add(event)
    await session.flush()  # its seq
    delivery = WebhookDelivery(id=uuid.uuid4(), event_seq=event.seq, device_id=target.id,
                               status=PENDING, attempts=0, retries=0, next_attempt_at=now,
                               created_at=now)
    session.add(delivery)
    await session.flush()
    return delivery
