from typing import Literal

from pydantic import Field

from wapiz.kit.phones import PhoneNumber
from wapiz.kit.schemas import ApiInput


class PresenceIn(ApiInput):
    presence: Literal["available", "unavailable"] = Field(
        description="available: shown online to contacts; unavailable: offline.")


class ChatPresenceIn(ApiInput):
    state: Literal["typing", "recording", "paused"] = Field(
        description='typing: "typing…"; recording: "recording audio…"; paused: neither.')


class SubscribeIn(ApiInput):
    phone: PhoneNumber = Field(description="Whose presence to hear of (presence.updated).")
