"""The send queue: a device's due messages taken in order, and each send's outcome."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.results import rows_changed
from wapiz.devices.models import Device
from wapiz.messages import models
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Message, MessageStatus
from wapiz.workers.runner.device_rows import DeviceRows


@dataclass(frozen=True)
class Pacing:
    """A device's pacing settings (devices.min_delay_ms … per_minute)."""

    min_delay_ms: int
    max_delay_ms: int
    typing: bool
    per_minute: int | None


async def devices_with_due(session: AsyncSession, device_ids: list[uuid.UUID],
                           now: datetime) -> set[uuid.UUID]:
    """Which of these devices have a message due now (one indexed read for a runner)."""
    if not device_ids:
        return set()
    rows = await session.scalars(
        select(Message.device_id).distinct()
        .where(Message.device_id.in_(device_ids), Message.status == MessageStatus.QUEUED,
               Message.send_at <= now))
    return set(rows)


class SendQueue(DeviceRows):
    """Taking due messages and recording what became of them."""

    async def recover_interrupted(self, resend: bool) -> int:
        """Messages left `sending` by a runner that stopped mid-send: back in the queue when
        the engine resends under the same WhatsApp id (the recipient sees one message),
        else failed, as it cannot be known whether they went out."""
        values: dict[str, Any] = (
            {"status": MessageStatus.QUEUED} if resend else
            {"status": MessageStatus.FAILED,
             "error": "unknown: the gateway stopped while sending; it may have been sent"})
        result = await self.session.execute(
            update(Message)
            .where(Message.device_id == self.device_id,
                   Message.status == MessageStatus.SENDING, self._held)
            .values(**values).returning(Message.id))
        recovered = list(result.scalars())
        if not resend:
            await self._announce(recovered)
        return len(recovered)

    async def next_due(self, now: datetime) -> Message | None:
        """The device's next due message, in order of acceptance (a read: nothing is locked
        while the sender waits out its pacing)."""
        return await self.session.scalar(
            select(Message)
            .where(Message.device_id == self.device_id, Message.status == MessageStatus.QUEUED,
                   Message.send_at <= now)
            .order_by(Message.send_at, Message.created_at, Message.id)
            .limit(1))

    async def take(self, message_id: uuid.UUID) -> bool:
        """Mark it `sending`, unless it was cancelled meanwhile or the lease is gone."""
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.QUEUED,
                   self._held)
            .values(status=MessageStatus.SENDING))
        return rows_changed(result) == 1

    async def note_waiting(self, message_id: uuid.UUID, reason: str) -> bool:
        """Say why a queued message waits (cleared when it is sent)."""
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.QUEUED,
                   self._held)
            .values(error=reason))
        return rows_changed(result) == 1

    async def pacing(self) -> Pacing | None:
        """The device's pacing settings as they are now (None: the device is gone)."""
        row = (await self.session.execute(
            select(Device.min_delay_ms, Device.max_delay_ms, Device.typing, Device.per_minute)
            .where(Device.id == self.device_id))).first()
        return None if row is None else Pacing(*row)

    async def _settle(self, message_id: uuid.UUID, **values: Any) -> bool:
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.SENDING,
                   self._held)
            .values(**values))
        return rows_changed(result) == 1

    async def sent(self, message: Message, wa_message_id: str, at: datetime) -> bool:
        """Record a send; an edit or revoke that went out now shows on its message."""
        # A receipt may have moved it on already (it can come before this write): keep that.
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message.id, self._held,
                   Message.status.in_((MessageStatus.SENDING, MessageStatus.DELIVERED,
                                       MessageStatus.READ)))
            .values(status=case((Message.status == MessageStatus.SENDING,
                                 MessageStatus.SENT),
                                else_=Message.status),
                    wa_message_id=wa_message_id, sent_at=at, error=None))
        if rows_changed(result) != 1:
            return False
        target = MessageBody.from_json(message.body).target_id
        if target and message.type in (models.EDIT, models.REVOKE):
            await self._acted_on(Message.id == uuid.UUID(target), message.type, message.text,
                                 at)
        await self._announce([message.id])
        return True

    async def requeue(self, message_id: uuid.UUID, error: str | None,
                      failed_attempt: bool) -> bool:
        """Back in the queue, in its place (to be tried again)."""
        attempts = Message.attempts + 1 if failed_attempt else Message.attempts
        return await self._settle(message_id, status=MessageStatus.QUEUED, error=error,
                                  attempts=attempts)

    async def failed(self, message_id: uuid.UUID, error: str) -> bool:
        settled = await self._settle(message_id, status=MessageStatus.FAILED, error=error,
                                     attempts=Message.attempts + 1)
        if settled:
            await self._announce([message_id])
        return settled
