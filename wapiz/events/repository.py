"""The stream's reads of stored events, scoped to the caller's account (and the key's device)."""

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, select

from wapiz.accounts.principal import CallerRows
from wapiz.devices.models import Device
from wapiz.events.feed import EVENT_COLUMNS, FeedEvent, feed_event
from wapiz.webhooks.models import WebhookEvent


class EventRows(CallerRows):
    def _reached(self) -> ColumnElement[bool]:
        reached = Device.user_id == self.user_id
        if self.only_device is not None:
            reached = and_(reached, Device.id == self.only_device)
        return reached

    async def devices_named(self, public_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these `deviceId`s name the caller's devices (deleted ones not)."""
        found = await self.session.scalars(
            select(Device.public_id).where(self._reached(), Device.deleted_at.is_(None),
                                           Device.public_id.in_(public_ids)))
        return set(found)

    async def seq_of(self, event_id: str) -> int | None:
        """Where an event the caller can see stands (None: unknown, another account's, or
        deleted by retention)."""
        seq: int | None = await self.session.scalar(
            select(WebhookEvent.seq).join(Device, Device.id == WebhookEvent.device_id)
            .where(self._reached(), WebhookEvent.id == event_id))
        return seq

    async def page(self, after: int, upto: int, devices: Collection[uuid.UUID] | None,
                   types: Collection[str] | None, limit: int) -> list[FeedEvent]:
        """The caller's events with seq in (after, upto], oldest first, at most `limit`
        (`devices`: `deviceId`s; None, or `types` None: any)."""
        query = (select(*EVENT_COLUMNS).join(Device, Device.id == WebhookEvent.device_id)
                 .where(self._reached(), WebhookEvent.seq > after, WebhookEvent.seq <= upto))
        if devices is not None:
            query = query.where(Device.public_id.in_(devices))
        if types is not None:
            query = query.where(WebhookEvent.type.in_(types))
        rows = await self.session.execute(query.order_by(WebhookEvent.seq).limit(limit))
        return [feed_event(row) for row in rows]
