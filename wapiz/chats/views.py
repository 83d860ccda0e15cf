"""A chat row as the API shows it, and as its `chat.updated` event says it."""

import uuid

from wapiz.chats.models import Chat
from wapiz.chats.schemas import ChatOut
from wapiz.kit.jids import GROUP_SERVER
from wapiz.messages.models import Message
from wapiz.messages.views import to_out
from wapiz.webhooks.events import ChatData


def chat_out(chat: Chat, last: Message | None, device_public_id: uuid.UUID) -> ChatOut:
    return ChatOut(chat=chat.chat, name=chat.name,
                   is_group=chat.chat.endswith("@" + GROUP_SERVER),
                   unread_count=chat.unread_count,
                   last_message=to_out(last, device_public_id) if last is not None else None,
                   archived=chat.archived, pinned=chat.pinned, muted_until=chat.muted_until)


def chat_data(chat: Chat, device_public_id: uuid.UUID) -> ChatData:
    return ChatData(device_public_id=device_public_id, chat=chat.chat,
                    archived=chat.archived, pinned=chat.pinned,
                    muted_until=chat.muted_until, unread_count=chat.unread_count,
                    cleared_at=chat.cleared_at)
