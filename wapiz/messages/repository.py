"""Every query on messages: scoped to one user from its first line, or, for sends accepted
in groups (messages/intake.py), to each row's own user."""

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import CallerRows
from wapiz.db.paging import older_than
from wapiz.db.results import rows_changed
from wapiz.db.upsert import column_values, insert_for, insert_for_dialect
from wapiz.devices.models import Device
from wapiz.messages.body import TARGET_ID
from wapiz.messages.models import UNFINISHED, Media, Message, MessageBatch, MessageStatus


@dataclass(frozen=True)
class MessageFilter:
    device_public_id: uuid.UUID | None = None  # the API's `deviceId`
    direction: str | None = None
    status: str | None = None
    chat: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class MessageRepository(CallerRows):

    def _owned(self) -> Select[Message]:
        statement = select(Message).where(Message.user_id == self.user_id)
        if self.only_device is not None:
            statement = statement.where(Message.device_id == self.only_device)
        return statement

    def _shown(self) -> Select[Message, uuid.UUID]:
        """The caller's messages, each with its device's public `deviceId` (as the API shows
        a message)."""
        return self._owned().add_columns(Device.public_id).join(
            Device, Device.id == Message.device_id)

    async def device(self, public_id: uuid.UUID) -> Device | None:
        """The user's live device whose public `deviceId` this is (if the key reaches it)."""
        statement = select(Device).where(Device.public_id == public_id,
                                         Device.user_id == self.user_id,
                                         Device.deleted_at.is_(None))
        if self.only_device is not None:
            statement = statement.where(Device.id == self.only_device)
        return await self.session.scalar(statement)

    async def get(self, message_id: uuid.UUID) -> Message | None:
        return await self.session.scalar(self._owned().where(Message.id == message_id))

    async def get_shown(self, message_id: uuid.UUID, lock: bool = False
                        ) -> tuple[Message, uuid.UUID] | None:
        """The user's message and its device's `deviceId`; `lock`: the message's row stays
        locked till the transaction ends (PostgreSQL)."""
        statement = self._shown().where(Message.id == message_id)
        if lock:
            statement = statement.with_for_update(of=Message)
        row = (await self.session.execute(
            statement.execution_options(populate_existing=True))).first()
        return None if row is None else (row[0], row[1])

    async def action_waiting(self, target: Message, action: str) -> Message | None:
        """An edit or revoke of `target` queued or being sent (the oldest)."""
        return await self.session.scalar(
            self._owned().where(Message.device_id == target.device_id,
                                Message.status.in_(UNFINISHED), Message.type == action,
                                Message.body[TARGET_ID].as_string() == str(target.id))
            .order_by(Message.created_at).limit(1))

    async def by_idempotency_key(self, key: str) -> Message | None:
        return await self.session.scalar(self._owned().where(Message.idempotency_key == key))

    async def add(self, message: Message) -> bool:
        """Insert in one statement; False if a request with the same idempotency key got
        there first. (No savepoint: on SQLite releasing the outermost one commits.)"""
        inserted = await self.session.execute(
            insert_for(self.session, Message).values(column_values(message))
            .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"]))
        return rows_changed(inserted) == 1

    async def add_media(self, media: Media) -> Media:
        self.session.add(media)
        await self.session.flush()
        return media

    async def forget_media(self, media_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(Media).where(Media.id == media_id, Media.user_id == self.user_id))

    async def media(self, media_id: uuid.UUID) -> Media | None:
        return await self.session.scalar(
            select(Media).where(Media.id == media_id, Media.user_id == self.user_id)
            .execution_options(populate_existing=True))

    async def cancel_queued(self, message_id: uuid.UUID) -> bool:
        """Cancel, in one statement, only if the runner has not taken it meanwhile."""
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.user_id == self.user_id,
                   Message.status == MessageStatus.QUEUED)
            .values(status=MessageStatus.CANCELLED))
        return rows_changed(result) == 1

    async def mark_read(self, message_id: uuid.UUID, at: datetime) -> None:
        """An inbound message the user read (the sender was told)."""
        await self.session.execute(
            update(Message).where(Message.id == message_id, Message.user_id == self.user_id)
            .values(read_at=at))

    async def add_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert outbound rows (`accept.outbound_row`) whose device was checked in this
        transaction."""
        await self.session.execute(insert(Message), rows)

    async def _batch_shown(self, *where: ColumnElement[bool]
                           ) -> tuple[MessageBatch, uuid.UUID] | None:
        """The caller's batch and its device's public `deviceId`."""
        statement = (select(MessageBatch, Device.public_id)
                     .join(Device, Device.id == MessageBatch.device_id)
                     .where(MessageBatch.user_id == self.user_id, *where))
        if self.only_device is not None:
            statement = statement.where(MessageBatch.device_id == self.only_device)
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def batch(self, batch_id: uuid.UUID) -> tuple[MessageBatch, uuid.UUID] | None:
        return await self._batch_shown(MessageBatch.id == batch_id)

    async def batch_by_key(self, key: str) -> tuple[MessageBatch, uuid.UUID] | None:
        return await self._batch_shown(MessageBatch.idempotency_key == key)

    async def add_batch(self, batch: MessageBatch) -> bool:
        """Insert in one statement; False if a request with the same idempotency key got
        there first."""
        created = await self.session.execute(
            insert_for(self.session, MessageBatch).values(column_values(batch))
            .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"]))
        return rows_changed(created) == 1

    async def batch_messages(self, batch_id: uuid.UUID) -> Sequence[Message]:
        """A batch's messages in the order they go out."""
        return (await self.session.scalars(
            self._owned().where(Message.batch_id == batch_id)
            .order_by(Message.send_at, Message.id))).all()

    async def batch_counts(self, batch_id: uuid.UUID) -> dict[str, int]:
        """A batch's messages by status."""
        rows = await self.session.execute(
            select(Message.status, func.count())
            .where(Message.batch_id == batch_id, Message.user_id == self.user_id)
            .group_by(Message.status))
        return {str(status): count for status, count in rows}

    async def page(self, where: MessageFilter, after: tuple[datetime, uuid.UUID] | None,
                   limit: int) -> Sequence[tuple[Message, uuid.UUID]]:
        """Newest first, each with its device's `deviceId`; `after` is the last
        (created_at, id) of the previous page."""
        statement = self._shown()
        for column, value in ((Device.public_id, where.device_public_id),
                              (Message.direction, where.direction),
                              (Message.status, where.status), (Message.chat, where.chat)):
            if value is not None:
                statement = statement.where(column == value)
        if where.since is not None:
            statement = statement.where(Message.created_at >= where.since)
        if where.until is not None:
            statement = statement.where(Message.created_at < where.until)
        if after is not None:
            statement = statement.where(older_than(Message.created_at, Message.id, after))
        statement = statement.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
        return [(message, public_id)
                for message, public_id in (await self.session.execute(statement))]


@functools.cache
def _accept_statement(dialect: str) -> Insert:
    """One send's row, inserted only if its device is still the user's and not deleted, and
    its idempotency key is new for the user: all in the statement, so nothing can change in
    between. Run as an executemany, one compiled statement for a whole group; built once per
    database kind (building and keying a statement of this size costs more than running it)."""
    columns = Message.__table__.columns
    values = {column.key: bindparam(column.key, type_=column.type) for column in columns}
    device_live = exists().where(Device.id == values["device_id"],
                                 Device.user_id == values["user_id"],
                                 Device.deleted_at.is_(None))
    return (insert_for_dialect(dialect, Message.__table__)
            .from_select(list(values), select(*values.values()).where(device_live))
            .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"]))


async def insert_accepted(session: AsyncSession, rows: list[dict[str, Any]],
                          files: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert accepted sends (and the files they carry); the ids of those inserted. A row
    is left out if its device is gone or its idempotency key was used before."""
    if files:
        await session.execute(insert(Media.__table__), files)
    dialect = session.get_bind().dialect
    result = await session.execute(_accept_statement(dialect.name), rows)
    ids = [row["id"] for row in rows]
    if dialect.supports_sane_multi_rowcount and rows_changed(result) == len(rows):
        return set(ids)  # all of them, as nearly always: nothing to look up
    inserted = set(await session.scalars(select(Message.id).where(Message.id.in_(ids))))
    unused = [row["media_id"] for row in rows if row["id"] not in inserted and row["media_id"]]
    if unused:
        await session.execute(delete(Media).where(Media.id.in_(unused)))
    return inserted


async def earlier_sends(session: AsyncSession, keys: list[tuple[uuid.UUID, str]]
                        ) -> dict[tuple[uuid.UUID, str], Message]:
    """Sends accepted before under these (user, idempotency key) pairs."""
    if not keys:
        return {}
    found = await session.scalars(
        select(Message).where(tuple_(Message.user_id, Message.idempotency_key).in_(keys)))
    return {(message.user_id, message.idempotency_key or ""): message for message in found}
