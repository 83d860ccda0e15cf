"""Every query on chats: scoped to the caller (user, and the key's one device) from its first
line."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, select, update
from sqlalchemy.orm import InstrumentedAttribute

from wapiz.accounts.principal import CallerRows
from wapiz.chats.models import Chat
from wapiz.db.paging import older_than
from wapiz.db.upsert import insert_for
from wapiz.messages import models
from wapiz.messages.models import Message

# At most this many messages are marked read at once (the newest; WhatsApp counts a chat
# read by its newest ones).
READ_AT_ONCE = 500


class ChatRepository(CallerRows):

    def _owned(self) -> Select[Chat]:
        statement = select(Chat).where(Chat.user_id == self.user_id)
        if self.only_device is not None:
            statement = statement.where(Chat.device_id == self.only_device)
        return statement

    async def page(self, device_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None,
                   limit: int) -> Sequence[Chat]:
        """The device's chats that have a message, the most recent first; `after` is the
        last (last_message_at, id) of the previous page."""
        statement = self._owned().where(Chat.device_id == device_id,
                                        Chat.last_message_at.is_not(None))
        if after is not None:
            # Listed chats all have a last message (the condition above).
            listed_at = cast(InstrumentedAttribute[datetime], Chat.last_message_at)
            statement = statement.where(older_than(listed_at, Chat.id, after))
        return (await self.session.scalars(
            statement.order_by(Chat.last_message_at.desc(), Chat.id.desc()).limit(limit))).all()

    async def get(self, device_id: uuid.UUID, chat: str) -> Chat | None:
        return await self.session.scalar(
            self._owned().where(Chat.device_id == device_id, Chat.chat == chat)
            .execution_options(populate_existing=True))

    async def last_messages(self, chats: Sequence[Chat]) -> dict[uuid.UUID, Message]:
        """Each chat's last message, by its id."""
        ids = [chat.last_message_id for chat in chats if chat.last_message_id is not None]
        if not ids:
            return {}
        found = await self.session.scalars(
            select(Message).where(Message.id.in_(ids), Message.user_id == self.user_id))
        return {message.id: message for message in found}

    async def change(self, device_id: uuid.UUID, chat: str, values: dict[str, Any],
                     at: datetime) -> None:
        """Set a chat's state, making its row if it has none yet."""
        statement = insert_for(self.session, Chat.__table__)
        await self.session.execute(
            statement.values(id=uuid.uuid4(), user_id=self.user_id, device_id=device_id,
                             chat=chat, updated_at=at, **values)
            .on_conflict_do_update(index_elements=["device_id", "chat"],
                                   set_={**values, "updated_at": at}))

    async def unread(self, device_id: uuid.UUID, chat: str, since: datetime | None
                     ) -> Sequence[Message]:
        """The chat's inbound messages nobody has read, the newest first (at most
        READ_AT_ONCE), after it was cleared."""
        statement = select(Message).where(
            Message.user_id == self.user_id, Message.device_id == device_id,
            Message.chat == chat, Message.direction == models.INBOUND,
            Message.read_at.is_(None))
        if since is not None:
            statement = statement.where(Message.created_at > since)
        return (await self.session.scalars(
            statement.order_by(Message.created_at.desc()).limit(READ_AT_ONCE))).all()

    async def mark_read(self, message_ids: Sequence[uuid.UUID], at: datetime) -> None:
        """These messages read (their senders were told)."""
        if message_ids:
            await self.session.execute(
                update(Message).where(Message.user_id == self.user_id,
                                      Message.id.in_(message_ids)).values(read_at=at))

    async def settle_history(self, device_id: uuid.UUID, chat: str,
                             read_wa_ids: Sequence[str]) -> None:
        """A history sync's messages the phone had read: read when they came."""
        if read_wa_ids:
            await self.session.execute(
                update(Message).where(
                    Message.user_id == self.user_id, Message.device_id == device_id,
                    Message.chat == chat, Message.direction == models.INBOUND,
                    Message.read_at.is_(None), Message.wa_message_id.in_(read_wa_ids))
                .values(read_at=Message.created_at))
