"""Who a message goes to, as people write it: `0812…`, `+62 812-…`, `62812…`, or a group.

Indonesian habits first: a number starting with 0 is read in the default country
(`WAPIZ_DEFAULT_COUNTRY_CODE`, 62). Every form becomes the WhatsApp id of the number.
"""

import functools
from dataclasses import dataclass

from wapiz.kit.jids import GROUP_ID, GROUP_SERVER, STATUS_BROADCAST, phone_jid
from wapiz.kit.phones import phone_digits
from wapiz.kit.text import Text


class InvalidRecipient(ValueError):
    """Not someone a message can go to; `text` says why, in both languages."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


NOT_A_GROUP = Text("{raw} bukan id grup WhatsApp (…@g.us)",
                   "{raw} is not a WhatsApp group id (…@g.us)")
NOT_A_PHONE = Text("{raw} bukan nomor telepon yang valid (mis. 081234567890 atau 6281234567890)",
                   "{raw} is not a valid phone number (e.g. 081234567890 or 6281234567890)")


@dataclass(frozen=True)
class Recipient:
    chat: str  # 6281234567890@s.whatsapp.net, or 120363…@g.us
    phone: str | None  # digits, for a person


@functools.lru_cache(maxsize=65536)  # parsing a number costs more than the rest of a send
def recipient(raw: str, default_country_code: str) -> Recipient:
    text = raw.strip()
    if text == STATUS_BROADCAST:  # the device's status (a story)
        return Recipient(chat=text, phone=None)
    if text.endswith("@" + GROUP_SERVER):
        if not GROUP_ID.match(text):
            raise InvalidRecipient(NOT_A_GROUP.format(raw=repr(raw)))
        return Recipient(chat=text, phone=None)
    phone = phone_digits(text, default_country_code)
    if phone is None:
        raise InvalidRecipient(NOT_A_PHONE.format(raw=repr(raw)))
    return Recipient(chat=phone_jid(phone), phone=phone)

