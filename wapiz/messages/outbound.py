"""A stored message as the engine sends it: the one place its body becomes typed content
(engines/content.py). The runner sends queued messages through it, and the sandbox's phone
its simulated ones."""

from wapiz.engines.base import EngineError, OutboundMessage
from wapiz.engines.content import (
    MEDIA_KINDS,
    Content,
    Edit,
    File,
    MessageRef,
    PollVote,
    Reaction,
    Revoke,
    Text,
)
from wapiz.messages.body import MessageBody


def content_of(message_type: str, text: str | None, body: MessageBody, *,
               data: bytes | None = None, mimetype: str | None = None,
               file_name: str | None = None) -> Content:
    """What a message of this type carries; a file's bytes and description come with it."""
    target = MessageRef(body.target_wa_message_id or "", body.target_sender)
    carried: Content | None = None
    match message_type:
        case "text":
            carried = Text(text or "", body.link_preview, body.story_style)
        case kind if kind in MEDIA_KINDS:
            carried = File(kind, data or b"", mimetype, file_name, caption=text, ptt=body.ptt)
        case "location":
            carried = body.location
        case "contact":
            carried = body.contact
        case "poll":
            carried = body.poll
        case "reaction" if body.reaction is not None:
            carried = Reaction(target, body.reaction.emoji or "")
        case "poll_vote" if body.vote is not None:
            carried = PollVote(target, body.vote.options)
        case "edit":
            carried = Edit(target, text or "")
        case "revoke":
            carried = Revoke(target)
    if carried is None:
        raise EngineError("unsupported", f"cannot send a {message_type} message")
    return carried


def outbound_message(to: str, message_type: str, text: str | None, body: MessageBody, *,
                     wa_message_id: str | None = None, data: bytes | None = None,
                     mimetype: str | None = None, file_name: str | None = None
                     ) -> OutboundMessage:
    quoted = body.quoted_wa_message_id
    return OutboundMessage(
        to=to, id=wa_message_id, mentions=body.mentions, forwarded=body.forwarded,
        content=content_of(message_type, text, body, data=data, mimetype=mimetype,
                           file_name=file_name),
        quoted=MessageRef(quoted) if quoted else None)
