"""The gateway's `OutboundMessage` as a WhatsApp message, built with neonize's helpers.

Media builders upload the file through the live session, so `send` runs these on a Go
reading thread (see gocalls) and never on the event loop.
"""

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


def build(client: NewClient, message: OutboundMessage) -> wa.Message:
    quoted = (quoted_stub(message.to, message.quoted_sender, message.quoted_id)
              if message.quoted_id else None)
    media = message.media or b""
    match message.type:
        case "text":
            context = wa.ContextInfo(mentionedJID=list(message.mentions))
            if quoted is not None:
                context.stanzaID = quoted.Info.ID
                context.participant = phone_jid(quoted.Info.MessageSource.Sender.User)
                context.quotedMessage.CopyFrom(quoted.Message)
            if not message.mentions and quoted is None:
                return wa.Message(conversation=message.text or "")
            return wa.Message(extendedTextMessage=wa.ExtendedTextMessage(
                text=message.text or "", contextInfo=context))
        case "image":
            return client.build_image_message(media, caption=message.text, quoted=quoted)
        case "video":
            return client.build_video_message(media, caption=message.text, quoted=quoted)
        case "audio":
            return client.build_audio_message(media, ptt=message.ptt, quoted=quoted)
        case "document":
            return client.build_document_message(
                media, caption=message.text, filename=message.file_name,
                title=message.file_name, mimetype=message.mimetype, quoted=quoted)
        case "sticker":
            return client.build_sticker_message(media, quoted=quoted)
        case "location":
            place = message.location or {}
            return wa.Message(locationMessage=wa.LocationMessage(
                degreesLatitude=float(place["latitude"] or 0),
                degreesLongitude=float(place["longitude"] or 0),
                name=str(place.get("name") or ""), address=str(place.get("address") or "")))
        case "contact":
            card = message.contact or {}
            return wa.Message(contactMessage=wa.ContactMessage(
                displayName=card.get("displayName", ""), vcard=card.get("vcard", "")))
        case "reaction":
            sender = message.target_sender or message.to
            return client.build_reaction(to_jid(message.to), to_jid(sender),
                                         message.target_id or "", message.reaction or "")
        case "poll":
            # The engine interface carries the API's dict (values typed object) until its
            # content is typed dataclasses.
            poll = message.poll or {}
            single = int(poll.get("selectableCount", 1) or 1) == 1  # type: ignore[call-overload]
            return client.build_poll_vote_creation(
                str(poll.get("name", "")), [str(option) for option in poll.get("options", [])],  # type: ignore[attr-defined]
                VoteType.SINGLE if single else VoteType.MULTIPLE, quoted=quoted)
        case "poll_vote":
            poll = quoted_stub(message.to, message.target_sender, message.target_id or "")
            return client.build_poll_vote(poll.Info, list(message.vote))
    raise EngineError("unsupported", f"cannot send a {message.type} message")
