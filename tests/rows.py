"""Factories for rows written straight into a migrated database, for tests of background work
(retention) that need rows of given ages and states rather than a server's traffic."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support import Deployment
from wapiz.accounts.models import User
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import Device
from wapiz.messages import models
from wapiz.messages.models import Media, Message
from wapiz.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from wapiz.webhooks.outbox import new_event_id

SHA256 = "ab" * 32


def days_ago(days: float) -> datetime:
    return utc_now() - timedelta(days=days)


@contextlib.asynccontextmanager
async def opened(deployment: Deployment, name: str = "test") -> AsyncIterator[Database]:
    """The deployment's database (migrate it first), opened in the test's own process."""
    database = Database(Settings(database_url=deployment.database_url,
                                 data_dir=deployment.data_dir), name)
    try:
        yield database
    finally:
        await database.dispose()


async def user_with_device(db: AsyncSession, created_at: datetime) -> Device:
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:10]}@example.com", name="Uji",
                password_hash="-", created_at=created_at, updated_at=created_at)
    device = Device(id=uuid.uuid4(), public_id=uuid.uuid4(), user_id=user.id,
                    created_at=created_at)
    db.add(user)
    await db.flush()
    db.add(device)
    await db.flush()
    return device


async def delivery(db: AsyncSession, device: Device, status: str, *, created: datetime,
                   finished: datetime | None, attempts: int) -> uuid.UUID:
    """An event and its delivery to the device's webhook (made if it has none), with
    `attempts` logged attempts."""
    endpoint = await db.scalar(select(WebhookEndpoint.id)
                               .where(WebhookEndpoint.device_id == device.id))
    if endpoint is None:
        endpoint = uuid.uuid4()
        db.add(WebhookEndpoint(id=endpoint, device_id=device.id, secret="whsec_" + "A" * 32))
        await db.flush()
    event = WebhookEvent(id=new_event_id(), device_id=device.id, type="message.received",
                         body="{}", created_at=created)
    db.add(event)
    await db.flush()
    row = WebhookDelivery(id=uuid.uuid4(), event_seq=event.seq, endpoint_id=endpoint,
                          device_id=device.id,
                          status=status, attempts=attempts, retries=0, created_at=created,
                          finished_at=finished,
                          next_attempt_at=created if status == DeliveryStatus.PENDING else None)
    db.add(row)
    await db.flush()
    db.add_all(WebhookAttempt(delivery_id=row.id, attempted_at=created, status_code=500,
                              duration_ms=5) for _ in range(attempts))
    await db.flush()
    return row.id


async def media_file(db: AsyncSession, device: Device, created: datetime, *,
                     data: bytes | None, ref: bytes | None = None) -> uuid.UUID:
    row = Media(id=uuid.uuid4(), user_id=device.user_id, device_id=device.id,
                mimetype="application/pdf", file_name="faktur.pdf",
                size=len(data) if data else 1234, sha256=SHA256, ref=ref, data=data,
                created_at=created)
    db.add(row)
    await db.flush()
    return row.id


async def carrying(db: AsyncSession, device: Device, media_id: uuid.UUID, status: str, *,
                   created: datetime, sent: datetime | None = None,
                   send_at: datetime | None = None) -> None:
    """A message with the file: outbound in any state, or inbound (`received`)."""
    inbound = status == models.MessageStatus.RECEIVED
    db.add(Message(id=uuid.uuid4(), user_id=device.user_id, device_id=device.id,
                   direction=models.INBOUND if inbound else models.OUTBOUND,
                   chat="6281300000000@s.whatsapp.net", type="document", body={},
                   status=status, created_at=created, sent_at=sent,
                   send_at=None if inbound else send_at or created, media_id=media_id))
    await db.flush()
