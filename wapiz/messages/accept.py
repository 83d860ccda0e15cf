"""Accepting a send into the device's durable queue: its file, its recipient, what it refers
to, idempotency, and the row the intake commits before the 202 (messages/intake.py).

This is the hottest write path, so what rarely changes is read from this process's memory:
which of the user's devices a `deviceId` names (a device deleted since is caught by the
insert itself) and the device's status (at most `WAPIZ_STATUS_CACHE_SECONDS` old). A text
send to a known device asks the database nothing before its row is written.
"""

import contextlib
import hashlib
import json
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.upsert import column_values
from wapiz.devices.reader import DEVICE_NOT_FOUND, NOT_LOGGED_IN, DeviceReader, StatusCache
from wapiz.engines.base import new_message_id
from wapiz.engines.content import StoryStyle
from wapiz.kit.cache import TTLCache
from wapiz.kit.errors import Conflict, InvalidInput, NotFound, WapizError
from wapiz.kit.schemas import ApiInput
from wapiz.kit.text import Text
from wapiz.messages import links, media, models
from wapiz.messages.body import MessageBody, VoteBody
from wapiz.messages.intake import Intake, Send
from wapiz.messages.links import first_link
from wapiz.messages.media import IncomingFile
from wapiz.messages.models import Media, Message, MessageStatus
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageRepository
from wapiz.messages.schemas import MessageContent, MessageIn, MessageOut, Vote
from wapiz.messages.store import MediaStore, MediaStoreDown, unavailable
from wapiz.messages.views import to_out

DEVICE_NOT_LOGGED_IN = "device_not_logged_in"
SCHEDULED = "scheduled"
# Which device a deviceId names never changes; only deletion ends it, and the insert checks
# that.
DEVICE_IDS_CACHE_S = 60.0
IDEMPOTENCY_KEY_REUSED = Text("Idempotency-Key sudah dipakai untuk permintaan yang berbeda",
                              "The Idempotency-Key was already used for a different request")


# (user, the device's public `deviceId`) → the device's `id`.
DeviceIdCache = TTLCache[tuple[uuid.UUID, uuid.UUID], uuid.UUID]


def due_at(send_at: datetime | None, now: datetime) -> datetime:
    """When a message falls due: its schedule, or now (a time in the past is now)."""
    return max(send_at, now) if send_at else now


def request_hash(body: ApiInput, upload: IncomingFile | None = None) -> str:
    """What identifies a request, for idempotency: its fields, a file by its digest."""
    fields = body.model_dump(mode="json", exclude={"media", "file"})
    # Under the name the field had when stored hashes were made: a retry still matches.
    if "device_public_id" in fields:
        fields["device_id"] = fields.pop("device_public_id")
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


async def file_row(body: MessageContent, incoming: IncomingFile, user_id: uuid.UUID,
                   device_id: uuid.UUID, store: MediaStore) -> Media:
    """A send's file as stored (the queue holds the bytes: on the row, or in the store's
    bucket, written now), its type checked against the message's. 503 if the store is
    down: nothing was written."""
    mimetype = media.mimetype_of(body.type, incoming, body.mimetype)
    file = media.stored_file(incoming, mimetype, body.file_name, id=uuid.uuid4(),
                             user_id=user_id, device_id=device_id, created_at=utc_now())
    try:
        await store.put(file, incoming.data)
    except MediaStoreDown:
        raise unavailable() from None
    return file


async def forget_object(store: MediaStore, file: dict[str, Any] | Media | None) -> None:
    """The object of a file whose row was never stored (a send refused after its file was
    written); a store that fails here leaves it behind, logged."""
    key = file.object_key if isinstance(file, Media) else (file or {}).get("object_key")
    if key is not None:
        with contextlib.suppress(MediaStoreDown):
            await store.delete([key])


def replay(earlier: Message, body: MessageIn, fingerprint: str | None) -> MessageOut:
    """The first answer to a request sent again under the same idempotency key (the same
    request: so to the same `deviceId`)."""
    if earlier.request_hash != fingerprint:
        raise InvalidInput(IDEMPOTENCY_KEY_REUSED, code="idempotency_key_reused")
    return to_out(earlier, body.device_public_id)


class SendService:
    def __init__(self, database: Database, settings: Settings, user: Principal,
                 statuses: StatusCache, device_ids: DeviceIdCache, intake: Intake,
                 store: MediaStore) -> None:
        self.database = database
        self.store = store
        self.settings = settings
        self.user = user
        self.statuses = statuses
        self.device_ids = device_ids
        self.intake = intake

    async def send(self, body: MessageIn, idempotency_key: str | None,
                   upload: IncomingFile | None = None, *,
                   story_style: StoryStyle | None = None) -> MessageOut:
        """Queue a message; with an idempotency key, a retry gets the first answer back.
        `story_style`: a text status's look (stories/)."""
        fingerprint = request_hash(body, upload) if idempotency_key is not None else None
        try:
            send, waiting = await self._prepare(body, idempotency_key, fingerprint, upload,
                                                story_style)
        except WapizError:
            # A retry of a send accepted before gets its answer, whatever changed since (a
            # URL that no longer works, a device now offline or deleted).
            earlier = await self._earlier(idempotency_key)
            if earlier is None:
                raise
            return replay(earlier, body, fingerprint)
        try:
            accepted = await self.intake.accept(send)
        except Exception:
            await forget_object(self.store, send.file)
            raise
        if isinstance(accepted, Message):  # sent before under the same key
            await forget_object(self.store, send.file)
            return replay(accepted, body, fingerprint)
        return to_out(accepted, body.device_public_id, waiting)

    async def _prepare(self, body: MessageIn, idempotency_key: str | None,
                       fingerprint: str | None, upload: IncomingFile | None,
                       story_style: StoryStyle | None = None) -> tuple[Send, str | None]:
        """The send's rows, checked; and why it will wait in the queue, if it will."""
        incoming, preview = None, None
        if body.type in models.MEDIA_TYPES:
            # Before anything else: a slow URL holds nothing up.
            incoming = await take_in_file(body, upload, self.settings)
        if body.link_preview:
            link = first_link(body.text)
            assert link is not None  # MessageIn checked it
            preview = await links.preview(link, self.settings)
        device_id = await self.device_ids.get_or_load(
            (self.user.id, body.device_public_id),
            lambda: self._device_id(body.device_public_id))
        try:
            to = recipient(body.to, self.settings.default_country_code)
        except InvalidRecipient as exc:
            raise InvalidInput(exc.text, code="invalid_recipient") from None
        status = await DeviceReader(self.database, self.settings, self.user,
                                    self.statuses).status_of(device_id)
        if not body.queue and not status.logged_in:
            raise Conflict(NOT_LOGGED_IN, code="device_not_logged_in")
        content = await self._content(body, device_id, to.chat)
        if preview is not None:
            content = replace(content, link_preview=preview)
        if story_style is not None:
            content = replace(content, story_style=story_style)
        file = None
        if incoming is not None:
            file = await file_row(body, incoming, self.user.id, device_id, self.store)
            content = replace(content, media=file.describe())
        now = utc_now()
        send_at = due_at(body.send_at, now)
        row = outbound_row(
            id=uuid.uuid4(), user_id=self.user.id, device_id=device_id, chat=to.chat,
            peer=to.phone, type=body.type, body=content.to_json(), text=body.text, created_at=now,
            send_at=send_at, media_id=file.id if file else None,
            idempotency_key=idempotency_key, request_hash=fingerprint)
        waiting = SCHEDULED if send_at > now else (
            None if status.logged_in else DEVICE_NOT_LOGGED_IN)
        return Send(row, column_values(file) if file else None), waiting

    async def _device_id(self, public_id: uuid.UUID) -> uuid.UUID:
        async with self.database.session_scope() as session:
            messages = MessageRepository.for_caller(session, self.user)
            device = await messages.device(public_id)
        if device is None:  # raised, so not remembered: a device made a moment later works
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        return device.id

    async def _earlier(self, idempotency_key: str | None) -> Message | None:
        if idempotency_key is None:
            return None
        async with self.database.session_scope() as session:
            return await MessageRepository.for_caller(session, self.user).by_idempotency_key(
                idempotency_key)

    async def _content(self, body: MessageIn, device_id: uuid.UUID, chat: str
                       ) -> MessageBody:
        """What the message carries; the messages it refers to are looked up (one short
        read, only when it refers to any)."""
        content = body.content()
        if body.reaction is not None or body.vote is not None or body.quoted_message_id:
            async with self.database.session_scope() as session:
                messages = MessageRepository.for_caller(session, self.user)
                if body.reaction is not None:
                    content = replace(content, target_wa_message_id=await _target_wa_id(
                        messages, body.reaction.message_id))
                if body.vote is not None:
                    content = await _vote(messages, body.vote, device_id, chat)
                if body.quoted_message_id is not None:
                    content = replace(content, quoted_wa_message_id=await _target_wa_id(
                        messages, body.quoted_message_id))
        if body.mentions:
            try:
                content = replace(content, mentions=tuple(
                    recipient(m, self.settings.default_country_code).chat
                    for m in body.mentions))
            except InvalidRecipient as exc:
                raise InvalidInput(Text(f"mentions: {exc.text.id}", f"mentions: {exc.text.en}"),
                                   code="invalid_recipient") from None

        return content


# Every column of a message, so each row of a group insert binds the same parameters.
_EVERY_COLUMN = dict.fromkeys(column.key for column in Message.__table__.columns)


def outbound_row(**values: Any) -> dict[str, Any]:
    """A queued outbound message's columns: the WhatsApp id is chosen now, so a resend after
    a crash carries the same one."""
    return {**_EVERY_COLUMN, "direction": models.OUTBOUND, "status": MessageStatus.QUEUED,
            "attempts": 0, "wa_message_id": new_message_id(), **values}


async def _target_wa_id(messages: MessageRepository, message_id: uuid.UUID) -> str:
    target = await messages.get(message_id)
    if target is None or target.wa_message_id is None:
        raise InvalidInput(Text("Pesan {id} tidak ditemukan, atau belum terkirim",
                            "Message {id} not found, or not sent yet").format(id=message_id),
                       code="message_not_found")
    return target.wa_message_id


async def _vote(messages: MessageRepository, vote: Vote, device_id: uuid.UUID,
                chat: str) -> MessageBody:
    """A vote's body: the poll it is in (one of this device's chats) and the options."""
    poll = await messages.get(vote.message_id)
    if poll is None or poll.type != "poll" or poll.device_id != device_id:
        raise InvalidInput(Text("Pesan {id} bukan polling di chat device ini",
                                "Message {id} is not a poll in this device's chats")
                           .format(id=vote.message_id), code="poll_not_found")
    if poll.chat != chat:
        raise InvalidInput(Text("Suara dikirim ke chat polling itu, {chat}",
                                "A vote goes to the poll's chat, {chat}").format(chat=poll.chat),
                           code="vote_wrong_chat")
    stored = MessageBody.from_json(poll.body)
    offered = stored.poll.options if stored.poll else ()
    unknown = [option for option in vote.options if option not in offered]
    if unknown:
        raise InvalidInput(Text("Polling tidak punya pilihan {options}",
                                "The poll has no option {options}")
                           .format(options=", ".join(map(repr, unknown))),
                           code="vote_unknown_option")
    sender = stored.received.sender.jid if stored.received else None
    return MessageBody(vote=VoteBody(tuple(vote.options), str(poll.id)),
                       target_wa_message_id=poll.wa_message_id,
                       target_sender=sender if poll.direction == models.INBOUND else None)
