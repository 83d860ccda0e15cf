"""The simulated phone's actions on a user's device: scan its QR code, or unlink it.

The phone is not part of the gateway: it talks to the (simulated) network, so each of its
actions is a unit of work of its own, committed at once so the runner sees it, and the
request holds no transaction while it waits for the runner's answer.
"""

from dataclasses import replace

from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.reader import ALREADY_LINKED, DeviceReader
from wapiz.devices.status import DeviceStatus, SessionView, current_status
from wapiz.engines.base import new_message_id
from wapiz.engines.events import phone_of
from wapiz.engines.sandbox.engine import outbound_payload
from wapiz.engines.sandbox.network import NOT_LINKED, SandboxPhone, SandboxStore
from wapiz.engines.sandbox.people import SandboxPeople
from wapiz.kit.errors import Conflict, InvalidInput, NotFound
from wapiz.kit.jids import phone_jid
from wapiz.kit.text import Text
from wapiz.messages import media
from wapiz.messages.accept import take_in_file
from wapiz.messages.models import MEDIA_TYPES
from wapiz.messages.outbound import outbound_message
from wapiz.messages.recipients import InvalidRecipient, recipient
from wapiz.messages.repository import MessageRepository
from wapiz.sandbox.schemas import InboundIn

CONFIRM_WAIT_S = 10.0


def _logged_in(row: SessionView | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return status if status.logged_in else None


def _logged_out(row: SessionView | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return None if status.logged_in else status


class SandboxPhoneService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices
        self.database = devices.database

    async def link(
        self, raw_id: str, phone: str, pair_code: str | None = None
    ) -> tuple[str, DeviceStatus]:
        """Scan the QR code the device shows now, or enter the pairing code it asked for;
        returns the JID and the status: logged in once the runner confirms, or as it
        stands when the wait runs out."""
        if pair_code is not None:
            device = await self.devices.get(raw_id)
            async with self.database.session_scope() as network:
                jid = await SandboxPhone(network).enter_code(str(device.id), pair_code, phone)
        else:
            shown = await self.devices.qr_or_status(raw_id)
            if isinstance(shown, DeviceStatus):
                raise Conflict(ALREADY_LINKED, code="device_already_linked")
            async with self.database.session_scope() as network:
                jid = await SandboxPhone(network).scan(shown.code, phone)
        confirmed = await self.devices.wait_for(raw_id, _logged_in, CONFIRM_WAIT_S)
        return jid, confirmed or await self._status_now(raw_id)

    async def inject(self, raw_id: str, body: InboundIn) -> str:
        """Have someone send the device a message; returns the id it arrives with."""
        view = await self.devices.view(raw_id)
        own_phone = phone_of(view.jid) if view is not None else None
        if not current_status(view, utc_now()).logged_in or own_phone is None:
            raise Conflict(NOT_LINKED, code="device_not_linked")
        try:
            sender = recipient(body.sender, self.devices.settings.default_country_code)
        except InvalidRecipient as exc:
            raise InvalidInput(exc.text, code="invalid_phone") from None
        if sender.phone is None:
            raise InvalidInput(Text("`from` harus nomor telepon", "`from` must be a phone number"),
                               code="invalid_phone")
        target_id = None
        about = body.reaction or body.vote  # the message a reaction or a vote is about
        if about is not None:
            async with self.database.session_scope() as db:
                messages = MessageRepository.for_caller(db, self.devices.user)
                target = await messages.get(about.message_id)
            if target is None or target.wa_message_id is None:
                raise InvalidInput(Text("Pesan {id} tidak ditemukan", "Message {id} not found")
                                   .format(id=about.message_id), code="message_not_found")
            target_id = target.wa_message_id
        file, mimetype = None, None
        if body.type in MEDIA_TYPES:
            file = await take_in_file(body, None, self.devices.settings)
            mimetype = media.mimetype_of(body.type, file, body.mimetype)
        own_chat = phone_jid(own_phone)
        message = outbound_message(
            own_chat, body.type, body.text,
            replace(body.content(), target_wa_message_id=target_id),
            data=file.data if file else None, mimetype=mimetype,
            file_name=body.file_name or (file.file_name if file else None))
        message_id = new_message_id()
        async with self.database.session_scope() as db:
            await SandboxStore(db).carry(message_id, sender.chat, own_chat,
                                         outbound_payload(message))
        return message_id

    async def call(self, raw_id: str, caller: str, is_video: bool) -> str:
        """Ring the device from `caller`'s phone; the call's id."""
        device = await self.devices.get(raw_id)
        if not current_status(await self.devices.view(raw_id), utc_now()).logged_in:
            raise Conflict(NOT_LINKED, code="device_not_linked")
        async with self.database.session_scope() as network:
            return await SandboxPeople(network).ring(str(device.id), caller, is_video)

    async def unlink(self, raw_id: str) -> DeviceStatus:
        device = await self.devices.get(raw_id)
        async with self.database.session_scope() as network:
            await SandboxPhone(network).remove_linked_device(str(device.id))
        confirmed = await self.devices.wait_for(raw_id, _logged_out, CONFIRM_WAIT_S)
        return confirmed or await self._status_now(raw_id)

    async def _status_now(self, raw_id: str) -> DeviceStatus:
        return current_status(await self.devices.view(raw_id), utc_now())


async def sandbox_picture(database: Database, picture_id: str) -> bytes:
    """A sandbox number's profile picture, by the id in its URL."""
    async with database.session_scope() as network:
        picture = await SandboxPeople(network).picture(picture_id)
    if picture is None:
        raise NotFound(Text("Foto tidak ditemukan", "Picture not found"),
                       code="picture_not_found")
    return picture
