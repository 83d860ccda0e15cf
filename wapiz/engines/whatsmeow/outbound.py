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
from wapiz.engines.content import Contact, File, Location, Poll, PollVote, Reaction, Text
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
FileBuilder: TypeAlias = Callable[[NewClient, File, Quoted], wa.Message]


def _text(text: Text, mentions: tuple[str, ...], quoted: Quoted) -> wa.Message:
    if not mentions and quoted is None and text.preview is None and text.style is None:
        return wa.Message(conversation=text.text)
    extended = wa.ExtendedTextMessage(text=text.text)
    if text.style is not None:  # a text status: its background and font
        if text.style.background_argb is not None:
            extended.backgroundArgb = text.style.background_argb
        if text.style.font is not None:
            extended.font = text.style.font
    if mentions or quoted is not None:
        context = extended.contextInfo
        context.mentionedJID.extend(mentions)
        if quoted is not None:
            context.stanzaID = quoted.Info.ID
            context.participant = phone_jid(quoted.Info.MessageSource.Sender.User)
            context.quotedMessage.CopyFrom(quoted.Message)
    if text.preview is not None:
        # What WhatsApp shows under the text; WAPIZ fetched it (messages/links.py), so the
        # Go library fetches nothing (neonize's own link_preview would, from anywhere).
        preview = text.preview
        extended.matchedText = preview.url
        extended.title = preview.title or ""
        extended.description = preview.description or ""
        extended.previewType = wa.ExtendedTextMessage.PreviewType.NONE
    return wa.Message(extendedTextMessage=extended)


def _image(client: NewClient, file: File, quoted: Quoted) -> wa.Message:
    return client.build_image_message(file.data, caption=file.caption, quoted=quoted)


def _video(client: NewClient, file: File, quoted: Quoted) -> wa.Message:
    return client.build_video_message(file.data, caption=file.caption, quoted=quoted)


def _audio(client: NewClient, file: File, quoted: Quoted) -> wa.Message:
    return client.build_audio_message(file.data, ptt=file.ptt, quoted=quoted)


def _document(client: NewClient, file: File, quoted: Quoted) -> wa.Message:
    return client.build_document_message(
        file.data, caption=file.caption, filename=file.file_name, title=file.file_name,
        mimetype=file.mimetype, quoted=quoted)


def _sticker(client: NewClient, file: File, quoted: Quoted) -> wa.Message:
    return client.build_sticker_message(file.data, quoted=quoted)


# One builder per kind of file: a new kind is one function and one line here.
FILE_BUILDERS: dict[str, FileBuilder] = {
    "image": _image, "video": _video, "audio": _audio, "document": _document,
    "sticker": _sticker,
}


def build(client: NewClient, message: OutboundMessage) -> wa.Message:
    """The WhatsApp message for any content but an edit or a revoke (the client sends those
    by calls of their own), marked forwarded when it is."""
    built = _build(client, message)
    return mark_forwarded(built) if message.forwarded else built


def mark_forwarded(built: wa.Message) -> wa.Message:
    """The message with its ContextInfo's `isForwarded` set (what WhatsApp shows as
    "Forwarded"): a plain text becomes an extended one, which has a ContextInfo."""
    if built.HasField("conversation"):
        built = wa.Message(extendedTextMessage=wa.ExtendedTextMessage(text=built.conversation))
    for _, carried in built.ListFields():
        if hasattr(carried, "DESCRIPTOR") and "contextInfo" in carried.DESCRIPTOR.fields_by_name:
            carried.contextInfo.isForwarded = True
            carried.contextInfo.forwardingScore = max(carried.contextInfo.forwardingScore, 1)
    return built


def _build(client: NewClient, message: OutboundMessage) -> wa.Message:
    quoted = (quoted_stub(message.to, message.quoted.sender, message.quoted.id)
              if message.quoted else None)
    match message.content:
        case Text() as text:
            return _text(text, message.mentions, quoted)
        case File() as file if file.kind in FILE_BUILDERS:
            return FILE_BUILDERS[file.kind](client, file, quoted)
        case Location() as place:
            return wa.Message(locationMessage=wa.LocationMessage(
                degreesLatitude=place.latitude, degreesLongitude=place.longitude,
                name=place.name or "", address=place.address or ""))
        case Contact() as card:
            return wa.Message(contactMessage=wa.ContactMessage(
                displayName=card.display_name, vcard=card.vcard))
        case Reaction(target=target, emoji=emoji):
            return client.build_reaction(to_jid(message.to), to_jid(target.sender or message.to),
                                         target.id, emoji)
        case Poll() as poll:
            return client.build_poll_vote_creation(
                poll.name, list(poll.options),
                VoteType.SINGLE if poll.selectable_count <= 1 else VoteType.MULTIPLE,
                quoted=quoted)
        case PollVote(poll=poll_ref, options=options):
            stub = quoted_stub(message.to, poll_ref.sender, poll_ref.id)
            return client.build_poll_vote(stub.Info, list(options))
    raise EngineError("unsupported", f"cannot send a {message.type} message")
