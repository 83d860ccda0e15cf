"""A message row as the API (and its webhooks) show it."""

import uuid
from types import SimpleNamespace
from typing import Any

from wapiz.engines.content import Contact, Location, Poll
from wapiz.messages import models
from wapiz.messages.body import MessageBody, ReactionBody, VoteBody
from wapiz.messages.models import Message
from wapiz.messages.schemas import MediaOut, MessageOut


class InsertedRow(SimpleNamespace):
    """A message's columns as just inserted, read like a loaded row: an ORM object is
    costly to build on the hottest path (each accepted send) and nothing else needs one."""


Shown = Message | InsertedRow


def media_out(message: Shown, body: MessageBody, base_url: str = "") -> MediaOut | None:
    described = body.media
    if described is None or message.media_id is None:
        return None
    return MediaOut(mimetype=described.mimetype, file_name=described.file_name,
                    size=described.size, sha256=described.sha256, seconds=described.seconds,
                    url=f"{base_url}/api/messages/{message.id}/media")


def _shown(part: Location | Contact | Poll | ReactionBody | VoteBody | None
           ) -> dict[str, Any] | None:
    return None if part is None else part.to_json()


def to_out(message: Shown, waiting: str | None = None, base_url: str = "") -> MessageOut:
    """`base_url` makes the file's URL absolute (for webhook receivers)."""
    outbound = message.direction == models.OUTBOUND
    body = MessageBody.from_json(message.body)
    received = body.received
    sender = received.sender if received else None
    return MessageOut(
        id=message.id, device_id=message.device_id, direction=message.direction,
        to=(message.peer or message.chat) if outbound else None,
        sender=None if outbound else message.peer, sender_jid=sender.jid if sender else None,
        sender_lid=sender.lid if sender else None,
        push_name=received.push_name if received else None,
        chat=message.chat, type=message.type, text=message.text,
        media=media_out(message, body, base_url), ptt=True if body.ptt else None,
        target_id=uuid.UUID(body.target_id) if body.target_id else None,
        quoted_wa_message_id=body.quoted_wa_message_id,
        status=message.status, waiting=waiting,
        wa_message_id=message.wa_message_id, error=message.error,
        created_at=message.created_at, timestamp=received.timestamp if received else None,
        send_at=message.send_at if outbound else None, sent_at=message.sent_at,
        delivered_at=message.delivered_at, read_at=message.read_at,
        edited_at=message.edited_at, revoked_at=message.revoked_at,
        location=_shown(body.location), contact=_shown(body.contact),
        reaction=_shown(body.reaction), poll=_shown(body.poll), vote=_shown(body.vote),
    )
