"""Chat rules: the chat list, a chat's messages, reading, archiving, pinning, muting and
deleting a chat. What the linked device must also do goes to its session (devices/live.py:
`ask_live`) before anything is stored, so WAPIZ never shows a state the phone was not told;
each read and write is a short session of its own, none held while the session works."""

import re
from datetime import datetime

from wapiz.accounts.principal import Principal
from wapiz.chats.models import Chat
from wapiz.chats.repository import ChatRepository
from wapiz.chats.schemas import ChatChange, ChatOut
from wapiz.chats.views import chat_data, chat_out
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.live import ask_live
from wapiz.devices.models import Device
from wapiz.devices.reader import DeviceReader, StatusCache
from wapiz.devices.requests import CHANGE_CHAT, DELETE_CHAT, MARK_CHAT_READ
from wapiz.engines.base import ChatStateChange
from wapiz.kit.errors import InvalidInput, NotFound
from wapiz.kit.jids import LID_SERVER
from wapiz.kit.paging import created_cursor, decode_created_cursor, fetch_page
from wapiz.kit.text import Text
from wapiz.messages.body import MessageBody
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageFilter
from wapiz.messages.schemas import MessageOut
from wapiz.messages.service import MessageService
from wapiz.webhooks import outbox
from wapiz.webhooks.events import CHAT_UPDATED

LID = re.compile(rf"^\d{{1,32}}@{re.escape(LID_SERVER)}$")
CHAT_NOT_FOUND = Text("Chat tidak ditemukan", "Chat not found")
INVALID_CHAT = Text("{raw} bukan chat WhatsApp: nomor telepon, atau id …@s.whatsapp.net, "
                    "…@g.us atau …@lid",
                    "{raw} is not a WhatsApp chat: a phone number, or an id …@s.whatsapp.net, "
                    "…@g.us or …@lid")


def chat_jid(raw: str, default_country_code: str) -> str:
    """A chat as the path names it (a number as people write it, or a WhatsApp id) → its
    WhatsApp id."""
    text = raw.strip()
    if LID.match(text):
        return text
    try:
        return recipient(text, default_country_code).chat
    except InvalidRecipient:
        raise InvalidInput(INVALID_CHAT.format(raw=repr(raw[:140])), code="invalid_chat") from None


def chat_cursor(chat: Chat) -> str:
    # Only chats with a last message are listed.
    return created_cursor(chat.last_message_at or utc_now(), chat.id)


class ChatService:
    def __init__(self, database: Database, settings: Settings, user: Principal,
                 statuses: StatusCache) -> None:
        self.database = database
        self.settings = settings
        self.user = user
        self.devices = DeviceReader(database, settings, user, statuses)

    async def _target(self, raw_id: str, raw_chat: str) -> tuple[Device, str]:
        device = await self.devices.get(raw_id)
        return device, chat_jid(raw_chat, self.settings.default_country_code)

    async def page(self, raw_id: str, cursor: str | None, limit: int
                   ) -> tuple[list[ChatOut], str | None]:
        device = await self.devices.get(raw_id)
        after = decode_created_cursor(cursor) if cursor else None
        async with self.database.session_scope() as db:
            chats = ChatRepository.for_caller(db, self.user)
            rows, next_cursor = await fetch_page(
                lambda count: chats.page(device.id, after, count), limit, chat_cursor)
            last = await chats.last_messages(rows)
        return [chat_out(row, last.get(row.last_message_id) if row.last_message_id else None,
                         device.public_id) for row in rows], next_cursor

    async def messages(self, raw_id: str, raw_chat: str, cursor: str | None, limit: int
                       ) -> tuple[list[MessageOut], str | None]:
        """The chat's messages, newest first, as the messages API lists them (those before
        the chat was deleted are hidden)."""
        device, jid = await self._target(raw_id, raw_chat)
        async with self.database.session_scope() as db:
            row = await ChatRepository.for_caller(db, self.user).get(device.id, jid)
            where = MessageFilter(device_public_id=device.public_id, chat=jid,
                                  since=row.cleared_at if row is not None else None)
            return await MessageService(db, self.settings, self.user).page(
                where, cursor, limit)

    async def read(self, raw_id: str, raw_chat: str) -> ChatOut:
        """Mark the chat's unread inbound messages read; their senders get read receipts."""
        device, jid = await self._target(raw_id, raw_chat)
        async with self.database.session_scope() as db:
            chats = ChatRepository.for_caller(db, self.user)
            row = await chats.get(device.id, jid)
            unread = await chats.unread(device.id, jid, row.cleared_at if row else None)
        if row is None and not unread:
            raise NotFound(CHAT_NOT_FOUND, code="chat_not_found")
        senders: dict[str, list[str]] = {}
        for message in unread:
            received = MessageBody.from_json(message.body).received
            if message.wa_message_id is None or (received is not None and received.from_me):
                continue  # our own phone's messages need no receipt
            sender = received.sender.jid if received is not None else message.chat
            senders.setdefault(sender, []).append(message.wa_message_id)
        if senders:
            await ask_live(self.devices, raw_id, MARK_CHAT_READ,
                           {"chat": jid, "senders": senders})
        async with self.database.session_scope() as db:
            chats = ChatRepository.for_caller(db, self.user)
            now = utc_now()
            await chats.mark_read([message.id for message in unread], now)
            return await self._changed(chats, device, jid, {"unread_count": 0}, now)

    async def change(self, raw_id: str, raw_chat: str, change: ChatChange) -> ChatOut:
        """Archive, pin or mute the chat on the linked device, then here."""
        device, jid = await self._target(raw_id, raw_chat)
        given = change.model_fields_set
        values: dict[str, object] = {}
        if "archived" in given:
            values["archived"] = change.archived
            if change.archived:
                values["pinned"] = False  # WhatsApp unpins what it archives
        if "pinned" in given:
            values["pinned"] = change.pinned
        if "muted_until" in given:
            values["muted_until"] = change.muted_until
        engine_change = ChatStateChange(
            archived=change.archived if "archived" in given else None,
            pinned=change.pinned if "pinned" in given else None,
            muted=(change.muted_until is not None) if "muted_until" in given else None,
            muted_until=change.muted_until)
        await ask_live(self.devices, raw_id, CHANGE_CHAT,
                       {"chat": jid, **engine_change.to_json()})
        async with self.database.session_scope() as db:
            return await self._changed(ChatRepository.for_caller(db, self.user), device, jid,
                                       values, utc_now())

    async def delete(self, raw_id: str, raw_chat: str) -> None:
        """Delete the chat on the linked device; here its messages until now are hidden
        and it leaves the list until a new message comes."""
        device, jid = await self._target(raw_id, raw_chat)
        async with self.database.session_scope() as db:
            if await ChatRepository.for_caller(db, self.user).get(device.id, jid) is None:
                raise NotFound(CHAT_NOT_FOUND, code="chat_not_found")
        await ask_live(self.devices, raw_id, DELETE_CHAT, {"chat": jid})
        async with self.database.session_scope() as db:
            now = utc_now()
            await self._changed(ChatRepository.for_caller(db, self.user), device, jid, {
                "cleared_at": now, "last_message_id": None, "last_message_at": None,
                "unread_count": 0}, now)

    async def _changed(self, chats: ChatRepository, device: Device, jid: str,
                       values: dict[str, object], at: datetime) -> ChatOut:
        """Store a chat's new state and its `chat.updated` event; the chat as shown."""
        await chats.change(device.id, jid, values, at)
        row = await chats.get(device.id, jid)
        assert row is not None  # written just now, in this transaction
        await outbox.record(chats.session, CHAT_UPDATED, chat_data(row, device.public_id),
                            device.id)
        last = await chats.last_messages([row])
        return chat_out(row, last.get(row.last_message_id) if row.last_message_id else None,
                        device.public_id)
