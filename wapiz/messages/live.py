"""What only a device's live session can do for a message: mark an inbound message read
(the sender sees blue ticks), and download an inbound file the first time it is asked for
(kept afterwards). The request goes to the runner through the database, as in
devices/live.py, and each read here is a short session of its own: no transaction is held
while the runner works.
"""

import uuid

from sqlalchemy import update

from wapiz.accounts.principal import Principal
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.devices.repository import DeviceRepository, parse_uuid
from wapiz.devices.requests import DOWNLOAD_MEDIA, MARK_READ, RequestFailed, ask_session
from wapiz.devices.status import current_status
from wapiz.errors import BadGateway, Conflict, NotFound
from wapiz.messages import models
from wapiz.messages.models import Media, Message
from wapiz.messages.repository import MessageRepository
from wapiz.messages.schemas import MessageOut
from wapiz.messages.service import MESSAGE_NOT_FOUND
from wapiz.messages.views import to_out

SESSION_WAIT_S = 40.0  # longer than the engine's limit on one call (30 s)
NO_FILE = "Pesan ini tidak membawa file"


class LiveMessages:
    def __init__(self, database: Database, user: Principal) -> None:
        self.database = database
        self.user = user

    async def _load(self, raw_id: str) -> tuple[Message, Media | None]:
        message_id = parse_uuid(raw_id)
        async with self.database.session_scope() as db:
            messages = MessageRepository(db, self.user.id)
            message = await messages.get(message_id) if message_id else None
            if message is None:
                raise NotFound(MESSAGE_NOT_FOUND)
            file = await messages.media(message.media_id) if message.media_id else None
        return message, file

    async def _logged_in_device(self, message: Message) -> uuid.UUID:
        """The key of the device the message belongs to, which must be logged in."""
        async with self.database.session_scope() as db:
            device = await MessageRepository(db, self.user.id).device(message.device_id)
            if device is None:
                raise NotFound(DEVICE_NOT_FOUND)
            _, view = await DeviceRepository(db, self.user.id).session_view(device.id)
        if not current_status(view, utc_now()).logged_in:
            raise Conflict("Device belum terhubung ke WhatsApp")
        return device.id

    async def mark_read(self, raw_id: str) -> MessageOut:
        message, _ = await self._load(raw_id)
        if message.direction != models.INBOUND:
            raise Conflict("Hanya pesan masuk yang bisa ditandai dibaca")
        if message.read_at is None:
            device = await self._logged_in_device(message)
            sender = (message.body or {}).get("sender", {}).get("jid") or message.chat
            try:
                await ask_session(self.database, device, MARK_READ, {
                    "chat": message.chat, "sender": sender, "ids": [message.wa_message_id]},
                    SESSION_WAIT_S)
            except RequestFailed as failure:
                raise BadGateway(f"WhatsApp menolak tanda dibaca: {failure}") from None
            async with self.database.session_scope() as db:
                await db.execute(update(Message).where(Message.id == message.id)
                                 .values(read_at=utc_now()))
            message, _ = await self._load(raw_id)
        return to_out(message)

    async def file(self, raw_id: str) -> Media:
        """The message's file with its bytes; an inbound one is downloaded through the
        device's session the first time."""
        message, file = await self._load(raw_id)
        if file is None:
            raise NotFound(NO_FILE)
        if file.data is not None:
            return file
        if file.ref is None:
            raise NotFound("File ini tidak tersedia lagi")
        device = await self._logged_in_device(message)
        try:
            await ask_session(self.database, device, DOWNLOAD_MEDIA,
                              {"mediaId": str(file.id)}, SESSION_WAIT_S)
        except RequestFailed as failure:
            raise BadGateway(f"File tidak bisa diunduh dari WhatsApp: {failure}") from None
        _, file = await self._load(raw_id)
        if file is None or file.data is None:
            raise BadGateway("File tidak bisa diunduh dari WhatsApp")
        return file
