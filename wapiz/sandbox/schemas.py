from typing import Annotated

from pydantic import Field

from wapiz.kit.phones import PhoneNumber
from wapiz.kit.schemas import ApiInput, ApiModel, text
from wapiz.messages.schemas import MessageContent

PairingCode = Annotated[str, text(max_length=32)]
Sender = Annotated[str, text(min_length=3, max_length=64)]


class LinkIn(ApiInput):
    phone: PhoneNumber
    code: PairingCode | None = Field(
        None,
        description="A pairing code from POST /api/devices/:id/pair: enter it on this phone "
        "instead of scanning the QR code.",
        examples=["ABCD-EFGH"],
    )


class LinkOut(ApiModel):
    ok: bool = True
    jid: str = Field(description="The WhatsApp id the device links as.")
    connected: bool
    logged_in: bool
    status: str


class InboundIn(MessageContent):
    """A message to the device from any number, shaped like a send (`from` for `to`)."""

    sender: Sender = Field(alias="from", examples=["081234567890"],
                           description="Who it comes from.")


class InboundOut(ApiModel):
    ok: bool = True
    wa_message_id: str = Field(description="The id it arrives with.")


class CallIn(ApiInput):
    sender: PhoneNumber = Field(alias="from", description="Who calls.")
    is_video: bool = Field(False, description="A video call.")


class CallOut(ApiModel):
    ok: bool = True
    call_id: str = Field(description="The call's id, as call.received names it.")
