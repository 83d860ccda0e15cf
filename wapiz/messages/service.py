"""Message rules: accepting a send into the durable queue, idempotency, listing, cancelling.
Never commits (the request does): the 202 goes out only once the row is committed."""

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.devices.repository import DeviceRepository, parse_uuid
from wapiz.devices.status import current_status
from wapiz.engines.base import new_message_id
from wapiz.errors import BadRequest, Conflict, NotFound, WapizError
from wapiz.messages import models
from wapiz.messages.models import Message
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageFilter, MessageRepository
from wapiz.messages.schemas import MessageIn, MessageOut
from wapiz.schemas import ApiInput

MESSAGE_NOT_FOUND = "Pesan tidak ditemukan"
DEVICE_NOT_LOGGED_IN = "device_not_logged_in"
SCHEDULED = "scheduled"


class InvalidInput(WapizError):
    status_code = 422


def due_at(send_at: datetime | None, now: datetime) -> datetime:
    """When a message falls due: its schedule, or now (a time in the past is now)."""
    return max(send_at, now) if send_at else now


def request_hash(body: ApiInput) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_out(message: Message, waiting: str | None = None) -> MessageOut:
    outbound = message.direction == models.OUTBOUND
    body = message.body or {}
    return MessageOut(
        id=message.id, device_id=message.device_id, direction=message.direction,  # type: ignore[arg-type]
        to=(message.peer or message.chat) if outbound else None,
        sender=None if outbound else message.peer, chat=message.chat, type=message.type,
        text=message.text, status=message.status, waiting=waiting,
        wa_message_id=message.wa_message_id, error=message.error,
        created_at=message.created_at, send_at=message.send_at if outbound else None,
        sent_at=message.sent_at, delivered_at=message.delivered_at, read_at=message.read_at,
        **{name: body.get(name) for name in ("location", "contact", "reaction", "poll")},
    )


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

    async def send(self, body: MessageIn, idempotency_key: str | None) -> MessageOut:
        """Queue a message; with an idempotency key, a retry gets the first answer back."""
        fingerprint = request_hash(body)
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
        if body.quoted_message_id is not None:
            content["quotedWaMessageId"] = await self._target_wa_id(body.quoted_message_id)
        if body.mentions:
            try:
                content["mentions"] = [recipient(m, self.settings.default_country_code).chat
                                       for m in body.mentions]
            except InvalidRecipient as exc:
                raise InvalidInput(f"mentions: {exc}") from None
        now = utc_now()
        message = Message(
            id=uuid.uuid4(), user_id=self.user.id, device_id=device.device_id,
            direction=models.OUTBOUND, attempts=0,
            chat=to.chat, peer=to.phone, type=body.type, body=content,
            # The WhatsApp id is chosen now: a resend after a crash carries the same one.
            text=body.text, status=models.QUEUED, wa_message_id=new_message_id(),
            idempotency_key=idempotency_key, request_hash=fingerprint, created_at=now,
            send_at=due_at(body.send_at, now),
        )
        if not await self.messages.add(message):  # a concurrent retry got there first
            earlier = await self.messages.by_idempotency_key(idempotency_key or "")
            if earlier is None:
                raise Conflict("Permintaan yang sama sedang diproses, coba lagi")
            return self._replay(earlier, fingerprint)
        waiting = SCHEDULED if message.send_at and message.send_at > now else (
            None if logged_in else DEVICE_NOT_LOGGED_IN)
        return to_out(message, waiting)

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
        message_id = parse_uuid(raw_id)
        message = await self.messages.get(message_id) if message_id else None
        if message is None:
            raise NotFound(MESSAGE_NOT_FOUND)
        return to_out(message)

    async def page(self, where: MessageFilter, cursor: str | None, limit: int
                   ) -> tuple[list[MessageOut], str | None]:
        after = decode_cursor(cursor) if cursor else None
        rows = await self.messages.page(where, after, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return [to_out(row) for row in rows], (encode_cursor(rows[-1]) if more else None)

    async def cancel(self, raw_id: str) -> MessageOut:
        """Cancel a message still in the queue."""
        message_id = parse_uuid(raw_id)
        if message_id is None:
            raise NotFound(MESSAGE_NOT_FOUND)
        if not await self.messages.cancel_queued(message_id):
            message = await self.messages.get(message_id)
            if message is None:
                raise NotFound(MESSAGE_NOT_FOUND)
            raise Conflict(f"Pesan sudah {message.status}, tidak bisa dibatalkan")
        return await self.get(raw_id)
