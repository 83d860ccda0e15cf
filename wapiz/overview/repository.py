"""The overview's queries: counts over a user's device's messages and webhook deliveries,
scoped to the user from the first line (`DeviceStatsQueries(session, user_id)`).

Days are counted in one statement per table with a sum per day (`CASE` on the day's
bounds), the same SQL on SQLite and PostgreSQL (no date functions, which differ)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.devices.models import Device
from wapiz.messages.models import EDIT, REVOKE, UNFINISHED, Message
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent


def _per_day(column: Any, bounds: Sequence[datetime]) -> list[ColumnElement[Any]]:
    return [func.sum(case((and_(column >= start, column < end), 1), else_=0))
            for start, end in pairwise(bounds)]


def _counts(row: Sequence[Any] | None, days: int) -> list[int]:
    return [int(value or 0) for value in row] if row is not None else [0] * days


class DeviceStatsQueries:
    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def owned_device(self, device_id: uuid.UUID) -> Device | None:
        return await self.session.scalar(
            select(Device).where(Device.user_id == self.user_id, Device.id == device_id,
                                 Device.deleted_at.is_(None)))

    def _messages(self, device: Device) -> Any:
        return select().select_from(Message).where(
            Message.user_id == self.user_id, Message.device_id == device.id,
            Message.type.not_in((EDIT, REVOKE)))

    async def sent_and_received(self, device: Device, bounds: Sequence[datetime]
                                ) -> tuple[list[int], list[int]]:
        days = len(bounds) - 1
        sent = (await self.session.execute(
            self._messages(device).add_columns(*_per_day(Message.sent_at, bounds))
            .where(Message.direction == "outbound", Message.sent_at >= bounds[0]))).first()
        received = (await self.session.execute(
            self._messages(device).add_columns(*_per_day(Message.created_at, bounds))
            .where(Message.direction == "inbound", Message.created_at >= bounds[0]))).first()
        return _counts(sent, days), _counts(received, days)

    async def deliveries_finished(self, device: Device, bounds: Sequence[datetime]
                                  ) -> dict[DeliveryStatus, list[int]]:
        days = len(bounds) - 1
        rows = await self.session.execute(
            select(WebhookDelivery.status, *_per_day(WebhookDelivery.finished_at, bounds))
            .where(WebhookDelivery.device_id == device.id,
                   WebhookDelivery.finished_at >= bounds[0])
            .group_by(WebhookDelivery.status))
        found = {DeliveryStatus(row[0]): _counts(row[1:], days) for row in rows}
        return {status: found.get(status, [0] * days)
                for status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)}

    async def queue_depth(self, device: Device) -> int:
        return await self.session.scalar(
            self._messages(device).add_columns(func.count())
            .where(Message.direction == "outbound", Message.status.in_(UNFINISHED))) or 0

    async def webhook_pending(self, device: Device) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(WebhookDelivery)
            .where(WebhookDelivery.device_id == device.id,
                   WebhookDelivery.status == DeliveryStatus.PENDING)) or 0

    async def last_event_at(self, device: Device) -> datetime | None:
        latest_message = await self.session.scalar(
            select(func.max(Message.created_at))
            .where(Message.user_id == self.user_id, Message.device_id == device.id))
        latest_event = await self.session.scalar(
            select(func.max(WebhookEvent.created_at)).where(WebhookEvent.device_id == device.id))
        found = [moment for moment in (latest_message, latest_event) if moment is not None]
        return max(found) if found else None
