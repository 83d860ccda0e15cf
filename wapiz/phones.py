"""Phone numbers as people type them, made into the digits WhatsApp uses."""

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field


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


PhoneNumber = Annotated[
    str,
    AfterValidator(normalize_phone),
    Field(description="International number (digits; + and spaces allowed).",
          examples=["6281234567890"]),
]
