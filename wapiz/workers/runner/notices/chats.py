"""Chats the engine reports: a history sync's conversations (their past messages, stored
unannounced, and their state on the phone, told once per chat as `chat.updated`)."""

from datetime import timedelta

from sqlalchemy import select

from wapiz.chats.repository import ChatRepository
from wapiz.chats.rows import counts_as_unread
from wapiz.chats.views import chat_data
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.engines.events import HistoryChat, HistorySync, InboundMessage
from wapiz.webhooks.events import CHAT_UPDATED
from wapiz.workers.runner.inbound import InboundStore
from wapiz.workers.runner.notices.base import NoticeRows, NoticeWriter

# At most this many messages from one history sync (the newest within the day limit): a
# phone may hold years of them.
HISTORY_MAX_MESSAGES = 2000


def bounded(chats: tuple[HistoryChat, ...], days: int, limit: int
            ) -> list[tuple[HistoryChat, list[InboundMessage]]]:
    """Each chat with its messages of the last `days` days, the newest `limit` of all."""
    since = utc_now() - timedelta(days=days)
    recent = sorted(((message.timestamp, index, message)
                     for index, chat in enumerate(chats) for message in chat.messages
                     if message.timestamp >= since), key=lambda item: item[0], reverse=True)
    kept: dict[int, list[InboundMessage]] = {}
    for _, index, message in recent[:limit]:
        kept.setdefault(index, []).append(message)
    return [(chats[index], sorted(messages, key=lambda message: message.timestamp))
            for index, messages in sorted(kept.items())]


def read_on_phone(chat: HistoryChat, messages: list[InboundMessage]) -> list[str]:
    """The ids of the chat's messages the phone had read: all but its `unread_count`
    newest that count."""
    counted = [message.id for message in messages
               if counts_as_unread(message.type, message.from_me)]
    return counted[:max(0, len(counted) - chat.unread_count)]


async def history_synced(rows: NoticeRows, event: HistorySync) -> None:
    device = await rows.session.scalar(select(Device).where(Device.id == rows.device_id))
    if device is None or not device.history_sync:  # turned off since it was asked for
        return
    kept = bounded(event.chats, device.history_sync_days, HISTORY_MAX_MESSAGES)
    store = InboundStore(rows.session, rows.runner, rows.lease, rows.device_public_id,
                         rows.base_url)
    await store.record_inbound(device.user_id, [message for _, messages in kept
                                                for message in messages], from_history=True)
    chats = ChatRepository(rows.session, device.user_id)
    now = utc_now()
    for chat, messages in kept:
        read = read_on_phone(chat, messages)
        await chats.settle_history(device.id, chat.chat, read)
        counted = sum(counts_as_unread(message.type, message.from_me) for message in messages)
        state: dict[str, object] = {
            "archived": chat.archived, "pinned": chat.pinned, "muted_until": chat.muted_until,
            "unread_count": counted - len(read)}
        if chat.name:
            state["name"] = chat.name[:255]
        await chats.change(device.id, chat.chat, state, now)
        row = await chats.get(device.id, chat.chat)
        if row is not None:
            await rows.record(CHAT_UPDATED, chat_data(row, device.public_id))


NOTICES: dict[type, NoticeWriter] = {HistorySync: history_synced}
