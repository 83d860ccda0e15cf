"""Message rules: accepting a send into the durable queue (with its file), idempotency,
listing, cancelling, and edits and revokes of sent messages.
Never commits (the request does): the 202 goes out only once the row is committed."""

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.devices.repository import DeviceRepository, parse_uuid
from wapiz.devices.status import current_status
from wapiz.engines.base import new_message_id
from wapiz.errors import BadRequest, Conflict, InvalidInput, NotFound, WapizError
from wapiz.messages import media, models
from wapiz.messages.media import IncomingFile
from wapiz.messages.models import Media, Message
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageFilter, MessageRepository
from wapiz.messages.schemas import (
    EditIn,
    MessageContent,
    MessageIn,
    MessageOut,
    Vote,
)
from wapiz.messages.views import to_out
from wapiz.schemas import ApiInput

MESSAGE_NOT_FOUND = "Pesan tidak ditemukan"
SENT_STATES = (models.SENT, models.DELIVERED, models.READ)
ACTIONS = (models.EDIT, models.REVOKE)
EDIT_WINDOW = timedelta(minutes=15)  # WhatsApp's: later edits are refused
DEVICE_NOT_LOGGED_IN = "device_not_logged_in"
SCHEDULED = "scheduled"


def due_at(send_at: datetime | None, now: datetime) -> datetime:
    """When a message falls due: its schedule, or now (a time in the past is now)."""
    return max(send_at, now) if send_at else now


def request_hash(body: ApiInput, upload: IncomingFile | None = None) -> str:
    """What identifies a request, for idempotency: its fields, a file by its digest."""
    fields = body.model_dump(mode="json", exclude={"media", "file"})
    media = getattr(body, "media", None)
    data = upload.data if upload is not None else media.encode() if media else None
    if data is not None:
        fields["fileSha256"] = hashlib.sha256(data).hexdigest()
    canonical = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def take_in_file(body: MessageContent, upload: IncomingFile | None,
                       settings: Settings) -> IncomingFile:
    """The file a media message carries, however it was given."""
    if upload is not None:
        if len(upload.data) > settings.media_max_bytes:
            raise media.too_large(settings)
        return upload
    if body.media is not None:
        return media.from_base64(body.media, settings)
    return await media.fetch(body.media_url or "", settings)


async def store_file(messages: MessageRepository, body: MessageContent, incoming: IncomingFile,
                     user_id: uuid.UUID, device_id: uuid.UUID) -> Media:
    """Store a send's file (the queue holds the bytes), its type checked against the
    message's."""
    mimetype = media.mimetype_of(body.type, incoming, body.mimetype)
    return await messages.add_media(media.stored_file(
        incoming, mimetype, body.file_name, user_id=user_id, device_id=device_id))


def encode_cursor(message: Message) -> str:
    raw = f"{message.created_at.isoformat()}|{message.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, message_id = raw.split("|")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:  # as a hand-made cursor might have it
            moment = moment.replace(tzinfo=UTC)
        return moment, uuid.UUID(message_id)
    except Exception:
        raise BadRequest("cursor tidak valid") from None


class MessageService:
    def __init__(self, session: AsyncSession, settings: Settings, user: Principal) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.messages = MessageRepository(session, user.id)

    async def send(self, body: MessageIn, idempotency_key: str | None,
                   upload: IncomingFile | None = None) -> MessageOut:
        """Queue a message; with an idempotency key, a retry gets the first answer back."""
        fingerprint = request_hash(body, upload)
        incoming = None
        if body.type in models.MEDIA_TYPES:
            try:
                # Before the database is asked anything: a slow URL holds no connection.
                incoming = await take_in_file(body, upload, self.settings)
            except WapizError:
                # A retry of a send accepted before must get its answer, whatever the URL
                # does now.
                earlier = (await self.messages.by_idempotency_key(idempotency_key)
                           if idempotency_key is not None else None)
                if earlier is None:
                    raise
                return self._replay(earlier, fingerprint)
        if idempotency_key is not None:
            earlier = await self.messages.by_idempotency_key(idempotency_key)
            if earlier is not None:
                return self._replay(earlier, fingerprint)
        device = await self.messages.device(body.device_id)
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND)
        try:
            to = recipient(body.to, self.settings.default_country_code)
        except InvalidRecipient as exc:
            raise InvalidInput(str(exc)) from None
        _, view = await DeviceRepository(self.session, self.user.id).session_view(device.id)
        logged_in = current_status(view, utc_now()).logged_in
        if not body.queue and not logged_in:
            raise Conflict("Device belum terhubung ke WhatsApp")
        content = body.content()
        if body.type == "reaction":
            content["targetWaMessageId"] = await self._target_wa_id(body.reaction.message_id)  # type: ignore[union-attr]
        if body.vote is not None:
            content = await self._vote(body.vote, device.device_id, to.chat)
        if body.quoted_message_id is not None:
            content["quotedWaMessageId"] = await self._target_wa_id(body.quoted_message_id)
        if body.mentions:
            try:
                content["mentions"] = [recipient(m, self.settings.default_country_code).chat
                                       for m in body.mentions]
            except InvalidRecipient as exc:
                raise InvalidInput(f"mentions: {exc}") from None
        file = None
        if incoming is not None:
            file = await store_file(self.messages, body, incoming, self.user.id,
                                    device.device_id)
            content["media"] = file.describe()
        now = utc_now()
        message = Message(
            id=uuid.uuid4(), user_id=self.user.id, device_id=device.device_id,
            direction=models.OUTBOUND, attempts=0,
            chat=to.chat, peer=to.phone, type=body.type, body=content,
            # The WhatsApp id is chosen now: a resend after a crash carries the same one.
            text=body.text, status=models.QUEUED, wa_message_id=new_message_id(),
            idempotency_key=idempotency_key, request_hash=fingerprint, created_at=now,
            send_at=due_at(body.send_at, now), media_id=file.id if file else None,
        )
        if not await self.messages.add(message):  # a concurrent retry got there first
            if file is not None:
                await self.messages.forget_media(file.id)
            earlier = await self.messages.by_idempotency_key(idempotency_key or "")
            if earlier is None:
                raise Conflict("Permintaan yang sama sedang diproses, coba lagi")
            return self._replay(earlier, fingerprint)
        waiting = SCHEDULED if message.send_at and message.send_at > now else (
            None if logged_in else DEVICE_NOT_LOGGED_IN)
        return to_out(message, waiting)

    async def _vote(self, vote: Vote, device_id: uuid.UUID, chat: str) -> dict[str, Any]:
        """A vote's body: the poll it is in (one of this device's chats) and the options."""
        poll = await self.messages.get(vote.message_id)
        if poll is None or poll.type != "poll" or poll.device_id != device_id:
            raise InvalidInput(f"message {vote.message_id} is not a poll in this device's chats")
        if poll.chat != chat:
            raise InvalidInput(f"a vote goes to the poll's chat, {poll.chat}")
        offered = (poll.body or {}).get("poll", {}).get("options", [])
        unknown = [option for option in vote.options if option not in offered]
        if unknown:
            raise InvalidInput(f"the poll has no option {', '.join(map(repr, unknown))}")
        sender = (poll.body or {}).get("sender", {}).get("jid")
        return {"vote": {"options": vote.options, "pollId": str(poll.id)},
                "targetWaMessageId": poll.wa_message_id,
                "targetSender": sender if poll.direction == models.INBOUND else None}

    def _replay(self, earlier: Message, fingerprint: str) -> MessageOut:
        if earlier.request_hash != fingerprint:
            raise InvalidInput("Idempotency-Key sudah dipakai untuk permintaan yang berbeda")
        return to_out(earlier)

    async def _target_wa_id(self, message_id: uuid.UUID) -> str:
        target = await self.messages.get(message_id)
        if target is None or target.wa_message_id is None:
            raise InvalidInput(f"message {message_id} not found, or not sent yet")
        return target.wa_message_id

    async def get(self, raw_id: str) -> MessageOut:
        return to_out(await self._owned(raw_id))

    async def page(self, where: MessageFilter, cursor: str | None, limit: int
                   ) -> tuple[list[MessageOut], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows = await self.messages.page(where, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return [to_out(row) for row in rows], (encode_cursor(rows[-1]) if more else None)

    async def _owned(self, raw_id: str) -> Message:
        message_id = parse_uuid(raw_id)
        message = await self.messages.get(message_id) if message_id else None
        if message is None:
            raise NotFound(MESSAGE_NOT_FOUND)
        return message

    async def delete(self, raw_id: str) -> tuple[MessageOut, bool]:
        """Cancel a message still in the queue, or revoke a sent one for everyone; the
        revoke is queued like a send (True: an action was queued)."""
        message_id = parse_uuid(raw_id)
        if message_id is not None and await self.messages.cancel_queued(message_id):
            return await self.get(raw_id), False
        target = await self._owned(raw_id)
        if target.direction != models.OUTBOUND or target.type in ACTIONS:
            raise Conflict("Hanya pesan keluar yang bisa ditarik")
        if target.status not in SENT_STATES:
            raise Conflict(f"Pesan sudah {target.status}, tidak bisa dibatalkan atau ditarik")
        if target.revoked_at is not None:
            raise Conflict("Pesan sudah ditarik")
        return await self._act_on(target, models.REVOKE, None), True

    async def edit(self, raw_id: str, body: EditIn) -> MessageOut:
        """Queue an edit of a sent text; the message shows the new text once it went out."""
        target = await self._owned(raw_id)
        if target.direction != models.OUTBOUND or target.type != "text":
            raise Conflict("Hanya pesan teks keluar yang bisa diedit")
        if target.status not in SENT_STATES or target.sent_at is None:
            raise Conflict(f"Pesan masih {target.status}: hanya pesan terkirim yang bisa "
                           "diedit")
        if target.revoked_at is not None:
            raise Conflict("Pesan sudah ditarik")
        if utc_now() - target.sent_at > EDIT_WINDOW:
            raise Conflict("Batas waktu edit (15 menit setelah terkirim) sudah lewat")
        return await self._act_on(target, models.EDIT, body.text)

    async def _act_on(self, target: Message, action: str, text: str | None) -> MessageOut:
        """Queue an edit or revoke behind the device's other sends: it goes out in order,
        paced, and survives restarts like a message."""
        now = utc_now()
        message = Message(
            id=uuid.uuid4(), user_id=self.user.id, device_id=target.device_id,
            direction=models.OUTBOUND, attempts=0, chat=target.chat, peer=target.peer,
            type=action, text=text, status=models.QUEUED, wa_message_id=new_message_id(),
            body={"targetId": str(target.id), "targetWaMessageId": target.wa_message_id},
            created_at=now, send_at=now)
        await self.messages.add(message)
        return to_out(message)
