"""Phone numbers as people type them, made into the digits WhatsApp uses."""

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

from wapiz.kit.text import Text
from wapiz.kit.validation import invalid

INVALID_PHONE = Text("Nomor telepon harus nomor internasional yang valid, mis. 6281234567890",
                     "phone must be a valid international number, e.g. 6281234567890")


def valid_digits(international: str) -> str | None:
    """`+62 812-3456-7890` → `6281234567890` if it is a valid number, else None."""
    try:
        number = phonenumbers.parse(international, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def normalize_phone(raw: str) -> str:
    """`+62 812-3456-7890` or `6281234567890` → `6281234567890`, if it is a valid number."""
    candidate = raw.strip()
    digits = valid_digits(candidate if candidate.startswith("+") else "+" + candidate)
    if digits is None:
        raise invalid("invalid_phone", INVALID_PHONE)
    return digits


PhoneNumber = Annotated[
    str,
    AfterValidator(normalize_phone),
    Field(description="International number (digits; + and spaces allowed).",
          examples=["6281234567890"]),
]
