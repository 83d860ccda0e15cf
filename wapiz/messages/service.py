"""Message rules: listing, cancelling, edits and revokes of sent messages, and forwards
(accepting a send is messages/accept.py). Never commits (the request does)."""

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.kit.errors import Conflict, InvalidInput, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.paging import (
    CREATED_CURSOR_PATTERN,
    created_cursor,
    decode_created_cursor,
    fetch_page,
)
from wapiz.kit.text import Text
from wapiz.messages import models
from wapiz.messages.accept import outbound_row
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Message, MessageStatus
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageFilter, MessageRepository
from wapiz.messages.schemas import EditIn, ForwardIn, MessageOut
from wapiz.messages.views import to_out

MESSAGE_NOT_FOUND = Text("Pesan tidak ditemukan", "Message not found")
ALREADY_REVOKED = Text("Pesan sudah ditarik", "The message was already revoked")
SENT_STATES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
ACTIONS = (models.EDIT, models.REVOKE)
EDIT_WINDOW = timedelta(minutes=15)  # WhatsApp's: later edits are refused
# What a forward carries again: a text, a file (with its caption), a place or a contact.
FORWARDABLE = ("text", *models.MEDIA_TYPES, "location", "contact")


# A page ends at a message: its creation and its id.
CURSOR_PATTERN = CREATED_CURSOR_PATTERN


def encode_cursor(shown: tuple[Message, uuid.UUID]) -> str:
    message, _ = shown
    return created_cursor(message.created_at, message.id)


decode_cursor = decode_created_cursor


class MessageService:
    def __init__(self, session: AsyncSession, settings: Settings, user: Principal) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.messages = MessageRepository.for_caller(session, user)

    async def get(self, raw_id: str) -> MessageOut:
        return to_out(*await self._owned(raw_id))

    async def page(self, where: MessageFilter, cursor: str | None, limit: int
                   ) -> tuple[list[MessageOut], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows, next_cursor = await fetch_page(
            lambda count: self.messages.page(where, after, count), limit, encode_cursor)
        return [to_out(*row) for row in rows], next_cursor

    async def _owned(self, raw_id: str, lock: bool = False) -> tuple[Message, uuid.UUID]:
        """The user's message and its device's public `deviceId`."""
        message_id = parse_uuid(raw_id)
        shown = await self.messages.get_shown(message_id, lock) if message_id else None
        if shown is None:
            raise NotFound(MESSAGE_NOT_FOUND, code="message_not_found")
        return shown

    async def delete(self, raw_id: str) -> tuple[MessageOut, bool]:
        """Cancel a message still in the queue, or revoke a sent one for everyone; the
        revoke is queued like a send (True: an action was queued)."""
        message_id = parse_uuid(raw_id)
        if message_id is not None and await self.messages.cancel_queued(message_id):
            return await self.get(raw_id), False
        # Locked (PostgreSQL; on SQLite the update above holds the write lock already), so
        # that revokes asked for at once queue one.
        target, device_public_id = await self._owned(raw_id, lock=True)
        if target.direction != models.OUTBOUND or target.type in ACTIONS:
            raise Conflict(Text("Hanya pesan keluar yang bisa ditarik",
                                "Only outgoing messages can be revoked"), code="not_outgoing")
        if target.status not in SENT_STATES:
            raise Conflict(Text("Pesan sudah {status}, tidak bisa dibatalkan atau ditarik",
                                "The message is already {status}: it cannot be cancelled "
                                "or revoked").format(status=target.status),
                           code="message_not_revocable")
        if target.revoked_at is not None:
            raise Conflict(ALREADY_REVOKED, code="message_revoked")
        waiting = await self.messages.action_waiting(target, models.REVOKE)
        if waiting is not None:  # asked again before it went out: the same answer
            return to_out(waiting, device_public_id), True
        return to_out(await self._act_on(target, models.REVOKE, None), device_public_id), True

    async def edit(self, raw_id: str, body: EditIn) -> MessageOut:
        """Queue an edit of a sent text; the message shows the new text once it went out."""
        target, device_public_id = await self._owned(raw_id)
        if target.direction != models.OUTBOUND or target.type != "text":
            raise Conflict(Text("Hanya pesan teks keluar yang bisa diedit",
                                "Only outgoing text messages can be edited"),
                           code="message_not_editable")
        if target.status not in SENT_STATES or target.sent_at is None:
            raise Conflict(Text("Pesan masih {status}: hanya pesan terkirim yang bisa diedit",
                                "The message is still {status}: only sent messages can be "
                                "edited").format(status=target.status),
                           code="message_not_sent")
        if target.revoked_at is not None:
            raise Conflict(ALREADY_REVOKED, code="message_revoked")
        if utc_now() - target.sent_at > EDIT_WINDOW:
            raise Conflict(Text("Batas waktu edit (15 menit setelah terkirim) sudah lewat",
                                "The edit window (15 minutes after sending) has passed"),
                           code="edit_window_passed")
        return to_out(await self._act_on(target, models.EDIT, body.text), device_public_id)

    async def _act_on(self, target: Message, action: str, text: str | None) -> Message:
        """Queue an edit or revoke behind the device's other sends: it goes out in order,
        paced, and survives restarts like a message."""
        now = utc_now()
        message = Message(**outbound_row(
            id=uuid.uuid4(), user_id=self.user.id, device_id=target.device_id,
            chat=target.chat, peer=target.peer, type=action, text=text,
            body=MessageBody(target_id=str(target.id),
                             target_wa_message_id=target.wa_message_id).to_json(),
            created_at=now, send_at=now))
        await self.messages.add(message)
        await wakeups.announce(self.session, wakeups.DUE_MESSAGES)
        return message

    async def forward(self, raw_id: str, body: ForwardIn) -> MessageOut:
        """Queue a new message from the original's device carrying its content (text,
        file and caption, place or contact), marked forwarded where the engine can."""
        original, device_public_id = await self._owned(raw_id)
        if original.type not in FORWARDABLE:
            raise Conflict(Text("Pesan {type} tidak bisa diteruskan",
                                "A {type} message cannot be forwarded").format(
                                    type=original.type), code="message_not_forwardable")
        if original.revoked_at is not None:
            raise Conflict(ALREADY_REVOKED, code="message_revoked")
        if original.media_id is not None:
            file = await self.messages.media(original.media_id)
            if file is None or not file.has_bytes:
                raise Conflict(Text(
                    "Berkas pesan ini belum diunduh atau sudah dihapus: unduh dulu lewat "
                    "GET /api/messages/{id}/media", "This message's file is not downloaded "
                    "yet, or was dropped: download it first with GET /api/messages/{id}/media"
                ).format(id=original.id), code="file_not_available")
        try:
            to = recipient(body.to, self.settings.default_country_code)
        except InvalidRecipient as exc:
            raise InvalidInput(exc.text, code="invalid_recipient") from None
        carried = MessageBody.from_json(original.body)
        now = utc_now()
        message = Message(**outbound_row(
            id=uuid.uuid4(), user_id=self.user.id, device_id=original.device_id,
            chat=to.chat, peer=to.phone, type=original.type, text=original.text,
            # The original's file row is shared, as a batch's messages share one.
            media_id=original.media_id,
            body=MessageBody(location=carried.location, contact=carried.contact,
                             media=carried.media, ptt=carried.ptt, forwarded=True).to_json(),
            created_at=now, send_at=now))
        await self.messages.add(message)
        await wakeups.announce(self.session, wakeups.DUE_MESSAGES)
        return to_out(message, device_public_id)
