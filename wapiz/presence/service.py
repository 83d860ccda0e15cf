"""Presence, asked of the device's live session (devices.live.ask_live)."""

from wapiz.devices.live import ask_live
from wapiz.devices.reader import DeviceReader
from wapiz.devices.requests import CHAT_PRESENCE, SET_PRESENCE, SUBSCRIBE_PRESENCE
from wapiz.engines.base import ChatState
from wapiz.kit.errors import InvalidInput
from wapiz.messages.recipients import InvalidRecipient, recipient


class PresenceService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices

    async def set_presence(self, raw_id: str, available: bool) -> None:
        await ask_live(self.devices, raw_id, SET_PRESENCE, {"available": available})

    async def chat_presence(self, raw_id: str, raw_chat: str, state: ChatState) -> None:
        """`raw_chat`: a phone number as people write it, or a chat's WhatsApp id."""
        try:
            chat = recipient(raw_chat, self.devices.settings.default_country_code).chat
        except InvalidRecipient as exc:
            raise InvalidInput(exc.text, code="invalid_recipient") from None
        await ask_live(self.devices, raw_id, CHAT_PRESENCE, {"chat": chat, "state": state})

    async def subscribe(self, raw_id: str, phone: str) -> None:
        await ask_live(self.devices, raw_id, SUBSCRIBE_PRESENCE, {"phone": phone})
