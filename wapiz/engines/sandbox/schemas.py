from pydantic import Field

from wapiz.phones import PhoneNumber
from wapiz.schemas import ApiInput, ApiModel


class LinkIn(ApiInput):
    phone: PhoneNumber
    code: str | None = Field(
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
