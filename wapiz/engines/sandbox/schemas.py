from typing import Annotated

import phonenumbers
from pydantic import Field, field_validator

from wapiz.schemas import ApiInput, ApiModel

PhoneDigits = Annotated[
    str, Field(description="International number, digits only.", examples=["6281234567890"])
]


def normalize_phone(raw: str) -> str:
    """`+62 812-3456-7890` or `6281234567890` → `6281234567890`, if it is a valid number."""
    candidate = raw.strip()
    if not candidate.startswith("+"):
        candidate = "+" + candidate
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValueError("phone must be a valid international number, e.g. 6281234567890")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


class LinkIn(ApiInput):
    phone: PhoneDigits

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, phone: str) -> str:
        return normalize_phone(phone)


class LinkOut(ApiModel):
    ok: bool = True
    jid: str = Field(description="The WhatsApp id the device links as.")
    connected: bool
    logged_in: bool
    status: str
