"""Phone numbers as people type them, made into the digits WhatsApp uses."""

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

from wapiz.kit.jids import PHONE_SERVER
from wapiz.kit.text import Text
from wapiz.kit.validation import invalid

INVALID_PHONE = Text("Nomor telepon harus nomor internasional yang valid, mis. 6281234567890",
                     "phone must be a valid international number, e.g. 6281234567890")


SEPARATORS = re.compile(r"[\s\-().]")


def phone_digits(raw: str, default_country_code: str | None = None) -> str | None:
    """A phone number as people write it → the digits WhatsApp uses, or None if it is not a
    valid number. `+62 812-3456-7890` and `6281234567890` are international; with a default
    country (WAPIZ_DEFAULT_COUNTRY_CODE), `0812…` is a national number, `0062…` an
    international one, and a WhatsApp id `6281…@s.whatsapp.net` names its number."""
    text = raw.strip()
    if default_country_code is not None and text.endswith("@" + PHONE_SERVER):
        text = text.rsplit("@", 1)[0].split(":", 1)[0]
    digits = SEPARATORS.sub("", text)
    if digits.startswith("+"):
        candidate = digits
    elif default_country_code is None:
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif digits.startswith("0"):
        candidate = f"+{default_country_code}{digits[1:]}"
    else:
        candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def _international_phone(raw: str) -> str:
    digits = phone_digits(raw)
    if digits is None:
        raise invalid("invalid_phone", INVALID_PHONE)
    return digits


PhoneNumber = Annotated[
    str,
    AfterValidator(_international_phone),
    Field(description="International number (digits; + and spaces allowed).",
          examples=["6281234567890"]),
]
