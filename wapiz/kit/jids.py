"""WhatsApp ids (JIDs): `user@server`, where the server says what the user part names."""

PHONE_SERVER = "s.whatsapp.net"  # 6281234567890@s.whatsapp.net: a phone number
GROUP_SERVER = "g.us"  # 120363…@g.us: a group
LID_SERVER = "lid"  # 1234…@lid: a person's anonymous id (LID)
STATUS_BROADCAST = "status@broadcast"  # where a status (story) is posted


def phone_jid(phone: str) -> str:
    """The JID of a phone number (digits only)."""
    return f"{phone}@{PHONE_SERVER}"
