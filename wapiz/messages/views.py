"""A message row as the API (and its webhooks) show it."""

import uuid
from types import SimpleNamespace

from wapiz.messages import models
from wapiz.messages.models import Message
from wapiz.messages.schemas import MediaOut, MessageOut


class InsertedRow(SimpleNamespace):
    """A message's columns as just inserted, read like a loaded row: an ORM object is
    costly to build on the hottest path (each accepted send) and nothing else needs one."""


Shown = Message | InsertedRow


def media_out(message: Shown, base_url: str = "") -> MediaOut | None:
    described = (message.body or {}).get("media")
    if not described or message.media_id is None:
        return None
    return MediaOut(**described, url=f"{base_url}/api/messages/{message.id}/media")


def to_out(message: Shown, waiting: str | None = None, base_url: str = "") -> MessageOut:
    """`base_url` makes the file's URL absolute (for webhook receivers)."""
    outbound = message.direction == models.OUTBOUND
    body = message.body or {}
    target = body.get("targetId")
    sender = body.get("sender") or {}
    # The column is a str, the field a Literal (pydantic checks it): until statuses are enums.
    return MessageOut(
        id=message.id, device_id=message.device_id, direction=message.direction,  # type: ignore[arg-type]
        to=(message.peer or message.chat) if outbound else None,
        sender=None if outbound else message.peer, sender_jid=sender.get("jid"),
        sender_lid=sender.get("lid"), push_name=body.get("pushName"),
        chat=message.chat, type=message.type, text=message.text,
        media=media_out(message, base_url), ptt=body.get("ptt"),
        target_id=uuid.UUID(target) if target else None,
        quoted_wa_message_id=body.get("quotedWaMessageId"),
        status=message.status, waiting=waiting,
        wa_message_id=message.wa_message_id, error=message.error,
        created_at=message.created_at, timestamp=body.get("timestamp"),
        send_at=message.send_at if outbound else None, sent_at=message.sent_at,
        delivered_at=message.delivered_at, read_at=message.read_at,
        edited_at=message.edited_at, revoked_at=message.revoked_at,
        **{name: body.get(name) for name in ("location", "contact", "reaction", "poll",
                                             "vote")},
    )
