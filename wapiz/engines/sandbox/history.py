"""The simulated network's history: what a phone number sent and received, as a newly
linked device that asked for it gets it (WhatsApp's history sync on linking)."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.engines.events import HistoryChat, HistorySync, InboundMessage, Party
from wapiz.engines.sandbox.models import SandboxMessage
from wapiz.kit.jids import phone_jid

# The most messages one sync carries (the runner bounds it again).
HISTORY_LIMIT = 2000

PayloadReader = Callable[[dict[str, Any]], InboundMessage]


async def history_of(session: AsyncSession, phone: str, since: datetime,
                     read: PayloadReader) -> HistorySync:
    """The number's one-to-one chats since `since`, as its phone holds them: each with its
    messages (oldest first; the number's own marked from it) and, unread, those that came
    after its last reply."""
    me = phone_jid(phone)
    rows = (await session.scalars(
        select(SandboxMessage)
        .where(SandboxMessage.created_at >= since, SandboxMessage.payload.is_not(None),
               or_(SandboxMessage.sender == me, SandboxMessage.chat == me))
        .order_by(SandboxMessage.created_at.desc()).limit(HISTORY_LIMIT))).all()
    chats: dict[str, list[InboundMessage]] = {}
    for row in reversed(rows):
        message = read(row.payload or {})
        if row.sender == me:  # sent from this number: the chat is the other person
            peer = Party(jid=row.chat, phone=row.chat.split("@", 1)[0])
            message = replace(message, chat=peer, sender=Party(jid=me, phone=phone),
                              from_me=True)
        chats.setdefault(message.chat.jid, []).append(message)
    return HistorySync(tuple(
        HistoryChat(chat=chat, messages=tuple(messages), unread_count=_unread(messages))
        for chat, messages in chats.items()))


def _unread(messages: list[InboundMessage]) -> int:
    """Received after the number last wrote in the chat."""
    count = 0
    for message in reversed(messages):
        if message.from_me:
            break
        count += 1
    return count
