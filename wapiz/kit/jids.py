"""WhatsApp ids (JIDs): `user@server`, where the server says what the user part names."""

import re

PHONE_SERVER = "s.whatsapp.net"  # 6281234567890@s.whatsapp.net: a phone number
GROUP_SERVER = "g.us"  # 120363…@g.us: a group
LID_SERVER = "lid"  # 1234…@lid: a person's anonymous id (LID)
STATUS_BROADCAST = "status@broadcast"  # where a status (story) is posted

# A group's id: newer ones are digits; older ones the creator's number, a dash and a time.
GROUP_ID = re.compile(r"^\d{5,32}(-\d{5,16})?@g\.us$")
LID = re.compile(r"^\d{1,32}@lid$")


def phone_jid(phone: str) -> str:
    """The JID of a phone number (digits only)."""
    return f"{phone}@{PHONE_SERVER}"
