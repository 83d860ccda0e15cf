"""What only a device's live session can do for a message: mark an inbound message read
(the sender sees blue ticks), and download an inbound file the first time it is asked for
(kept afterwards). The request goes to the runner through the database, as in
devices/live.py, and each read here is a short session of its own: no transaction is held
while the runner works.
"""

import uuid
from typing import Any

from wapiz.accounts.principal import Principal
from wapiz.chats.rows import counts_as_unread, read_one
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.reader import DEVICE_NOT_FOUND, NOT_LOGGED_IN
from wapiz.devices.repository import DeviceRepository
from wapiz.devices.requests import DOWNLOAD_MEDIA, MARK_READ, RequestFailed, ask_session
from wapiz.devices.status import current_status
from wapiz.kit.errors import (
    BadGateway,
    Conflict,
    Gone,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from wapiz.kit.ids import parse_uuid
from wapiz.kit.text import Text
from wapiz.messages import models
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Media, Message
from wapiz.messages.repository import MessageRepository
from wapiz.messages.schemas import MessageOut
from wapiz.messages.service import MESSAGE_NOT_FOUND
from wapiz.messages.store import (
    MEDIA_STORE_UNAVAILABLE,
    MediaStore,
    MediaStoreDown,
    unavailable,
)
from wapiz.messages.views import to_out

NO_FILE = Text("Pesan ini tidak membawa file", "This message carries no file")
FILE_UNAVAILABLE = Text("File ini tidak tersedia lagi", "This file is no longer available")
RETRY_AFTER_S = 2


class LiveMessages:
    def __init__(self, database: Database, settings: Settings, user: Principal,
                 store: MediaStore) -> None:
        self.database = database
        self.store = store
        self.settings = settings
        self.user = user
        # Longer than the engine's own limit on one call: its answer must still reach us.
        self.wait_s = settings.engine_call_timeout_seconds + 10

    async def _ask(self, device: uuid.UUID, kind: str, payload: dict[str, Any],
                   refused: Text) -> None:
        try:
            await ask_session(self.database, device, kind, payload, self.wait_s)
        except RequestFailed as failure:
            if failure.reason == MEDIA_STORE_UNAVAILABLE:  # its details stay in the log
                raise unavailable() from None
            if failure.reason == "not_connected":  # dropped, or moving to another runner
                raise ServiceUnavailable(Text("Device sedang tidak terhubung, coba lagi",
                                              "The device is not connected right now; "
                                              "try again"),
                                         retry_after=RETRY_AFTER_S,
                                         code="device_not_connected") from None
            raise BadGateway(refused.format(reason=failure)) from None

    async def _load(self, raw_id: str) -> tuple[Message, uuid.UUID, Media | None]:
        """The user's message, its device's public `deviceId`, and its file."""
        message_id = parse_uuid(raw_id)
        async with self.database.session_scope() as db:
            messages = MessageRepository.for_caller(db, self.user)
            shown = await messages.get_shown(message_id) if message_id else None
            if shown is None:
                raise NotFound(MESSAGE_NOT_FOUND, code="message_not_found")
            message, device_public_id = shown
            file = await messages.media(message.media_id) if message.media_id else None
        return message, device_public_id, file

    async def _check_logged_in(self, message: Message) -> None:
        """The device the message belongs to must be there, and logged in."""
        async with self.database.session_scope() as db:
            devices = DeviceRepository.for_caller(db, self.user)
            found, view = await devices.session_view(message.device_id)
        if not found:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        if not current_status(view, utc_now()).logged_in:
            raise Conflict(NOT_LOGGED_IN, code="device_not_logged_in")

    async def mark_read(self, raw_id: str) -> MessageOut:
        message, device_public_id, _ = await self._load(raw_id)
        if message.direction != models.INBOUND:
            raise Conflict(Text("Hanya pesan masuk yang bisa ditandai dibaca",
                                "Only incoming messages can be marked read"),
                           code="not_incoming")
        if message.read_at is None:
            await self._check_logged_in(message)
            received = MessageBody.from_json(message.body).received
            sender = received.sender.jid if received else message.chat
            await self._ask(message.device_id, MARK_READ, {
                "chat": message.chat, "sender": sender, "ids": [message.wa_message_id]},
                Text("WhatsApp menolak tanda dibaca: {reason}",
                 "WhatsApp refused the read mark: {reason}"))
            async with self.database.session_scope() as db:
                messages = MessageRepository.for_caller(db, self.user)
                await messages.mark_read(message.id, utc_now())
                if counts_as_unread(message.type, bool(received and received.from_me)):
                    await read_one(db, message.device_id, message.chat)
            message, device_public_id, _ = await self._load(raw_id)
        return to_out(message, device_public_id)

    async def file(self, raw_id: str) -> tuple[Media, bytes]:
        """The message's file and its bytes; an inbound one is downloaded through the
        device's session the first time. Gone once retention dropped its bytes."""
        message, _, file = await self._load(raw_id)
        if file is None:
            raise NotFound(NO_FILE, code="no_file")
        if not file.has_bytes:
            await self._download(message, file)
            _, _, file = await self._load(raw_id)
            if file is None or not file.has_bytes:
                raise BadGateway(Text("File tidak bisa diunduh dari WhatsApp",
                                      "The file could not be downloaded from WhatsApp"),
                                 code="download_failed")
        data = await self._read(file)
        if data is None:  # its object went meanwhile (retention)
            raise NotFound(FILE_UNAVAILABLE, code="file_unavailable")
        return file, data

    async def _read(self, file: Media) -> bytes | None:
        try:
            return await self.store.get(file)
        except MediaStoreDown:
            raise unavailable() from None

    async def _download(self, message: Message, file: Media) -> None:
        """Ask the device's session to fetch an inbound file and keep it."""
        if file.bytes_dropped_at is not None:
            days = self.settings.media_retention_days
            # 0 (kept for ever) now may follow a drop under an earlier setting.
            raise Gone(Text("File sudah dihapus (lebih dari {days} hari)",
                            "The file was deleted (older than {days} days)").format(days=days)
                       if days else Text("File sudah dihapus", "The file was deleted"),
                       code="file_deleted")
        if file.ref is None:
            raise NotFound(FILE_UNAVAILABLE, code="file_unavailable")
        if file.size is not None and file.size > self.settings.media_max_bytes:
            raise PayloadTooLarge(Text("File lebih besar dari batas {limit} byte "
                                       "(WAPIZ_MEDIA_MAX_BYTES)",
                                       "The file is larger than the limit of {limit} bytes "
                                       "(WAPIZ_MEDIA_MAX_BYTES)")
                                  .format(limit=self.settings.media_max_bytes),
                                  code="file_too_large")
        await self._check_logged_in(message)
        await self._ask(message.device_id, DOWNLOAD_MEDIA, {"mediaId": str(file.id)},
                        Text("File tidak bisa diunduh dari WhatsApp: {reason}",
                             "The file could not be downloaded from WhatsApp: {reason}"))
