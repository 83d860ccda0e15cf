"""The admin's queries: across every account on purpose (the only such queries of the API)."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import User
from wapiz.db.paging import older_than
from wapiz.devices.models import Device, DeviceSession, StatusName
from wapiz.messages.models import UNFINISHED, Message, MessageStatus, UnneededObject
from wapiz.outputs.models import EventOutput, OutputCursor, cursor_of, unpublished
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent


def _containing(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _live_devices() -> ColumnElement[bool]:
    return Device.deleted_at.is_(None)


def _status_is(status: StatusName, now: datetime) -> ColumnElement[bool]:
    """The SQL of `devices.status.current_status`: a lapsed lease is disconnected."""
    lease_alive = and_(DeviceSession.runner.is_not(None), DeviceSession.lease_expires_at > now)
    connected = and_(lease_alive, DeviceSession.connected.is_(True))
    if status == StatusName.LOGGED_IN:
        return and_(connected, DeviceSession.logged_in.is_(True))
    if status == StatusName.CONNECTED:
        return and_(connected, DeviceSession.logged_in.is_(False))
    return or_(DeviceSession.device_id.is_(None), not_(connected))


class AdminRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def device_count(self, user_id: uuid.UUID) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(Device)
            .where(Device.user_id == user_id, _live_devices())) or 0

    async def users(self, q: str | None, after: tuple[datetime, uuid.UUID] | None,
                    limit: int) -> Sequence[tuple[User, int]]:
        """Users newest first, with their device counts; `q`: part of the email."""
        devices = (select(func.count()).select_from(Device)
                   .where(Device.user_id == User.id, _live_devices())
                   .correlate(User).scalar_subquery())
        statement = select(User, devices)
        if q:
            statement = statement.where(User.email.like(_containing(q.lower()), escape="\\"))
        if after is not None:
            statement = statement.where(older_than(User.created_at, User.id, after))
        statement = statement.order_by(User.created_at.desc(), User.id.desc()).limit(limit)
        return (await self.session.execute(statement)).all()

    async def devices(self, q: str | None, status: StatusName | None, now: datetime,
                      after: tuple[datetime, uuid.UUID] | None,
                      limit: int) -> Sequence[tuple[Device, str, DeviceSession | None]]:
        """Devices newest first, with their owner's email and session row; `q`: part of the
        label or the owner's email."""
        statement = (
            select(Device, User.email, DeviceSession)
            .join(User, User.id == Device.user_id)
            .outerjoin(DeviceSession, DeviceSession.device_id == Device.id)
            .where(_live_devices())
        )
        if q:
            pattern = _containing(q)
            statement = statement.where(or_(
                func.lower(Device.label).like(pattern.lower(), escape="\\"),
                User.email.like(pattern.lower(), escape="\\")))
        if status is not None:
            statement = statement.where(_status_is(status, now))
        if after is not None:
            statement = statement.where(older_than(Device.created_at, Device.id, after))
        statement = statement.order_by(Device.created_at.desc(), Device.id.desc()).limit(limit)
        return (await self.session.execute(statement)).all()

    async def ping(self) -> None:
        await self.session.execute(select(1))

    async def leases(self, now: datetime) -> tuple[int, int, int]:
        """(runners holding a live lease, devices under one, devices not deleted)."""
        alive = and_(DeviceSession.runner.is_not(None), DeviceSession.lease_expires_at > now)
        runners, leases = (await self.session.execute(
            select(func.count(func.distinct(DeviceSession.runner)), func.count())
            .where(alive))).one()
        devices = await self.session.scalar(
            select(func.count()).select_from(Device).where(_live_devices())) or 0
        return runners, leases, devices

    async def queued_messages(self) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(Message)
            .where(Message.status.in_(UNFINISHED))) or 0

    async def webhook_backlog(self, now: datetime) -> tuple[int, int]:
        """(pending deliveries, of them due now)."""
        pending, due = (await self.session.execute(
            select(func.count(),
                   func.count().filter(WebhookDelivery.next_attempt_at <= now))
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING))).one()
        return pending, due

    async def output(self, name: str) -> EventOutput | None:
        return await self.session.get(EventOutput, name)

    async def output_backlog(self, name: str) -> tuple[int, datetime | None]:
        """(events the output has not published, when the oldest of them was made)."""
        count, oldest = (await self.session.execute(
            select(func.count(), func.min(WebhookEvent.created_at))
            .select_from(WebhookEvent)
            .outerjoin(OutputCursor, cursor_of(name))
            .where(unpublished()))).one()
        return count, oldest

    async def unneeded_objects(self) -> int:
        """Media-store objects waiting for retention to delete them."""
        return int(await self.session.scalar(
            select(func.count()).select_from(UnneededObject)) or 0)

    async def devices_by_status(self, now: datetime) -> dict[StatusName, int]:
        """Devices (not deleted) by the status the API reports for each."""
        status = case(*((_status_is(name, now), name.value)
                        for name in (StatusName.LOGGED_IN, StatusName.CONNECTED)),
                      else_=StatusName.DISCONNECTED.value)
        rows = await self.session.execute(
            select(status, func.count()).select_from(Device)
            .outerjoin(DeviceSession, DeviceSession.device_id == Device.id)
            .where(_live_devices()).group_by(status))
        counts = dict.fromkeys(StatusName, 0)
        for name, count in rows.all():
            counts[StatusName(name)] = count
        return counts

    async def send_queue(self, now: datetime) -> tuple[int, int, int, datetime | None]:
        """(messages due and waiting, scheduled for later, being sent; when the oldest due
        one fell due). Read device by device through the queue's index (device, status,
        send_at), so the cost follows the devices and the queue, not the message history."""
        def per_device(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
            return (select(func.count()).select_from(Message)
                    .where(Message.device_id == Device.id, *conditions)
                    .correlate(Device).scalar_subquery())

        queued = Message.status == MessageStatus.QUEUED
        oldest = (select(func.min(Message.send_at))
                  .where(Message.device_id == Device.id, queued, Message.send_at <= now)
                  .correlate(Device).scalar_subquery())
        parts = select(
            per_device(queued, Message.send_at <= now).label("due"),
            per_device(queued, Message.send_at > now).label("later"),
            per_device(Message.status == MessageStatus.SENDING).label("sending"),
            oldest.label("oldest")).select_from(Device).subquery()
        due, later, sending, oldest_at = (await self.session.execute(
            select(func.coalesce(func.sum(parts.c.due), 0),
                   func.coalesce(func.sum(parts.c.later), 0),
                   func.coalesce(func.sum(parts.c.sending), 0),
                   func.min(parts.c.oldest)))).one()
        return int(due), int(later), int(sending), oldest_at
