"""Keeping the chat list: each stored message moves its chat (its last message, its unread
count), in the transaction that stores the message. Called by the send intake (one statement
per group of accepted sends), by inbound storage and by a history sync, in the runner."""

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, case, func, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.chats.models import Chat
from wapiz.db.upsert import insert_for_dialect

# What a person counts as unread: not the reactions, edits, revokes and votes about
# other messages.
NOT_COUNTED = ("reaction", "edit", "revoke", "poll_vote")


@dataclass(frozen=True, slots=True)
class Touch:
    """A message stored in a chat: its chat moves to it, if it is the newest."""

    user_id: uuid.UUID
    device_id: uuid.UUID
    chat: str
    message_id: uuid.UUID
    at: datetime
    unread: bool = False  # an inbound message nobody has read yet
    name: str | None = None  # the chat's name, where the message says it


def sent_touches(rows: Sequence[dict[str, Any]]) -> list[Touch]:
    """Accepted sends (their columns, as `messages.accept.outbound_row` makes them) move
    their chats."""
    return [Touch(row["user_id"], row["device_id"], row["chat"], row["id"], row["created_at"])
            for row in rows]


def counts_as_unread(message_type: str, from_me: bool) -> bool:
    return not from_me and message_type not in NOT_COUNTED


def _merged(touches: Sequence[Touch]) -> list[dict[str, Any]]:
    """One row per chat (a statement may not change a row twice): its newest message, how
    many unread, the last name given; in (device, chat) order."""
    merged: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}
    for touch in touches:
        key = (touch.device_id, touch.chat)
        row = merged.get(key)
        if row is None:
            merged[key] = row = {
                "id": uuid.uuid4(), "user_id": touch.user_id, "device_id": touch.device_id,
                "chat": touch.chat, "name": None, "last_message_id": touch.message_id,
                "last_message_at": touch.at, "unread_count": 0, "updated_at": touch.at}
        elif touch.at >= row["last_message_at"]:
            row["last_message_id"], row["last_message_at"] = touch.message_id, touch.at
            row["updated_at"] = touch.at
        row["unread_count"] += 1 if touch.unread else 0
        if touch.name:
            row["name"] = touch.name[:255]
    # In one order everywhere: two transactions touching the same chats lock their rows in
    # the same order, never each waiting for the other (PostgreSQL).
    return [merged[key] for key in sorted(merged)]


@functools.cache
def _touch_statement(dialect: str) -> Insert:
    """The upsert, built once per database kind: building and keying it costs more than
    running it (it runs in the send intake's every group)."""
    statement = insert_for_dialect(dialect, Chat.__table__)
    new = statement.excluded
    table = Chat.__table__.c
    newer = func.coalesce(table.last_message_at < new.last_message_at, True)
    return statement.on_conflict_do_update(
        index_elements=["device_id", "chat"],
        set_={"last_message_id": case((newer, new.last_message_id),
                                      else_=table.last_message_id),
              "last_message_at": case((newer, new.last_message_at),
                                      else_=table.last_message_at),
              "unread_count": table.unread_count + new.unread_count,
              "name": func.coalesce(new.name, table.name),
              "updated_at": new.updated_at})


async def touch(session: AsyncSession, touches: Sequence[Touch]) -> None:
    """Move each chat to its newest message (an older one, as a history sync brings, leaves
    the last message as it is) and add the unread ones: one statement for the lot."""
    rows = _merged(touches)
    if rows:
        await session.execute(_touch_statement(session.get_bind().dialect.name), rows)


async def read_one(session: AsyncSession, device_id: uuid.UUID, chat: str) -> None:
    """One of the chat's unread messages was read (on its own, by the messages API)."""
    await session.execute(
        update(Chat).where(Chat.device_id == device_id, Chat.chat == chat,
                           Chat.unread_count > 0)
        .values(unread_count=Chat.unread_count - 1))
