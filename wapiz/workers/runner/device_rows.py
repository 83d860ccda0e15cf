"""A device's message rows as the runner holding it changes them, fenced by its lease.

Every change a runner makes to the queue is fenced by its lease (runner and epoch), like
its state writes: a runner that lost a device can no longer take or settle its messages.
Each change a user hears of (an inbound message; a message sent, delivered, read or failed)
records its webhook event in the same transaction (webhooks/outbox.py). The jobs on them
have a module each: send_queue.py, inbound.py, receipts.py, downloads.py."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.messages import models
from wapiz.messages.models import Media, Message
from wapiz.webhooks import outbox
from wapiz.webhooks.events import (
    MESSAGE_UPDATED,
    EventData,
    MessageChange,
    MessageChangeData,
    message_data,
)
from wapiz.workers.runner.leases import Lease, held


class DeviceRows:
    """One device's rows in one transaction: the fence, and the events its changes tell."""

    def __init__(self, session: AsyncSession, runner: str, lease: Lease,
                 device_public_id: uuid.UUID, base_url: str = "") -> None:
        self.session = session
        self.runner = runner
        self.lease = lease
        self.device_id = lease.device_id
        self.device_public_id = device_public_id  # the API's deviceId, in webhook events
        self.base_url = base_url  # makes file URLs in events absolute
        # Read once per transaction (a burst of inbound messages is one).
        self._target: outbox.Target | None = None
        self._target_read = False
        self._held: ColumnElement[bool] = held(runner, lease)

    async def file(self, media_id: uuid.UUID) -> Media | None:
        """A file of this device's (with its bytes, or the engine's ref to download it)."""
        return await self.session.scalar(
            select(Media).where(Media.id == media_id, Media.device_id == self.device_id))

    async def _announce(self, message_ids: list[uuid.UUID]) -> None:
        """message.updated events for these messages, as they are now."""
        if not message_ids:
            return
        rows = await self.session.scalars(
            select(Message).where(Message.id.in_(message_ids))
            .order_by(Message.created_at, Message.id)
            .execution_options(populate_existing=True))
        await self._events([(MESSAGE_UPDATED, message) for message in rows])

    async def _webhook_target(self) -> outbox.Target | None:
        if not self._target_read:
            self._target = await outbox.target_of(self.session, self.device_id)
            self._target_read = True
        return self._target

    async def _events(self, happened: list[tuple[str, Message]]
                      | list[tuple[str, Message, MessageChange | None]]) -> None:
        """The events (type, message, and what changed where the type tells a change), in
        order, written at once (with the deliveries its webhooks want)."""
        target = await self._webhook_target()
        if target is None:
            return
        written: list[tuple[str, EventData]] = []
        for event_type, message, *changed in happened:
            data = message_data(message, self.device_public_id, base_url=self.base_url)
            change = changed[0] if changed else None
            written.append((event_type, data if change is None
                            else MessageChangeData(event_type, data, change)))
        await outbox.write(self.session, target, written)

    async def _acted_on(self, target: ColumnElement[bool], action: str, text: str | None,
                        at: datetime) -> None:
        """An edit's new text, or a revoke's mark, on the message it was about."""
        values: dict[str, Any] = (
            {"text": text, "edited_at": at} if action == models.EDIT else {"revoked_at": at})
        await self.session.execute(
            update(Message).where(target, Message.device_id == self.device_id).values(values))
