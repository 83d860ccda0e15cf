"""The gateway's `OutboundMessage` as a WhatsApp message, built with neonize's helpers.

Media builders upload the file through the live session, so `send` runs these on a Go
reading thread (see gocalls) and never on the event loop.
"""

from collections.abc import Callable
from typing import TypeAlias

from neonize.client import NewClient
from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa
from neonize.utils.enum import VoteType

from wapiz.engines.base import EngineError, OutboundMessage
from wapiz.kit.jids import GROUP_SERVER, PHONE_SERVER, phone_jid


def to_jid(text: str) -> neonize.JID:
    """`628…@s.whatsapp.net`, `…@g.us`, `…@lid` (a device suffix `:3` is kept)."""
    user, _, server = text.partition("@")
    user, _, device = user.partition(":")
    return neonize.JID(User=user, Server=server or PHONE_SERVER, RawAgent=0,
                       Device=int(device or 0), Integrator=0, IsEmpty=False)


def quoted_stub(chat: str, sender: str | None, message_id: str) -> neonize.Message:
    """What neonize's builders need to quote (or vote in) a message: its id, chat and
    sender. Every required field is set, as neonize serialises it for Go."""
    chat_jid = to_jid(chat)
    empty = neonize.JID(User="", Server="", RawAgent=0, Device=0, Integrator=0, IsEmpty=True)
    source = neonize.MessageSource(
        Chat=chat_jid, Sender=to_jid(sender) if sender else chat_jid, IsFromMe=sender is None,
        IsGroup=chat_jid.Server == GROUP_SERVER, SenderAlt=empty, RecipientAlt=empty,
        BroadcastListOwner=empty,
    )
    info = neonize.MessageInfo(MessageSource=source, ID=message_id, ServerID=0, Type="",
                               Pushname="", Timestamp=0, Category="", Multicast=False,
                               MediaType="", Edit="")
    return neonize.Message(Info=info, Message=wa.Message(conversation=""))


Quoted: TypeAlias = neonize.Message | None
Builder: TypeAlias = Callable[[NewClient, OutboundMessage, Quoted], wa.Message]


def _text(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    if not message.mentions and quoted is None:
        return wa.Message(conversation=message.text or "")
    context = wa.ContextInfo(mentionedJID=list(message.mentions))
    if quoted is not None:
        context.stanzaID = quoted.Info.ID
        context.participant = phone_jid(quoted.Info.MessageSource.Sender.User)
        context.quotedMessage.CopyFrom(quoted.Message)
    return wa.Message(extendedTextMessage=wa.ExtendedTextMessage(
        text=message.text or "", contextInfo=context))


def _image(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    return client.build_image_message(message.media or b"", caption=message.text, quoted=quoted)


def _video(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    return client.build_video_message(message.media or b"", caption=message.text, quoted=quoted)


def _audio(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    return client.build_audio_message(message.media or b"", ptt=message.ptt, quoted=quoted)


def _document(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    return client.build_document_message(
        message.media or b"", caption=message.text, filename=message.file_name,
        title=message.file_name, mimetype=message.mimetype, quoted=quoted)


def _sticker(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    return client.build_sticker_message(message.media or b"", quoted=quoted)


def _location(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    place = message.location or {}
    return wa.Message(locationMessage=wa.LocationMessage(
        degreesLatitude=float(place["latitude"] or 0),
        degreesLongitude=float(place["longitude"] or 0),
        name=str(place.get("name") or ""), address=str(place.get("address") or "")))


def _contact(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    card = message.contact or {}
    return wa.Message(contactMessage=wa.ContactMessage(
        displayName=card.get("displayName", ""), vcard=card.get("vcard", "")))


def _reaction(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    sender = message.target_sender or message.to
    return client.build_reaction(to_jid(message.to), to_jid(sender), message.target_id or "",
                                 message.reaction or "")


def _poll(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    # The engine interface carries the API's dict (values typed object) until its content is
    # typed dataclasses.
    poll = message.poll or {}
    single = int(poll.get("selectableCount", 1) or 1) == 1  # type: ignore[call-overload]
    return client.build_poll_vote_creation(
        str(poll.get("name", "")), [str(option) for option in poll.get("options", [])],  # type: ignore[attr-defined]
        VoteType.SINGLE if single else VoteType.MULTIPLE, quoted=quoted)


def _poll_vote(client: NewClient, message: OutboundMessage, quoted: Quoted) -> wa.Message:
    poll = quoted_stub(message.to, message.target_sender, message.target_id or "")
    return client.build_poll_vote(poll.Info, list(message.vote))


# One builder per message type: a new type is one function and one line here.
BUILDERS: dict[str, Builder] = {
    "text": _text, "image": _image, "video": _video, "audio": _audio, "document": _document,
    "sticker": _sticker, "location": _location, "contact": _contact, "reaction": _reaction,
    "poll": _poll, "poll_vote": _poll_vote,
}


def build(client: NewClient, message: OutboundMessage) -> wa.Message:
    builder = BUILDERS.get(message.type)
    if builder is None:
        raise EngineError("unsupported", f"cannot send a {message.type} message")
    quoted = (quoted_stub(message.to, message.quoted_sender, message.quoted_id)
              if message.quoted_id else None)
    return builder(client, message, quoted)
