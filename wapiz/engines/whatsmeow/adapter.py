"""neonize's events in, the gateway's events out: the only place that reads neonize's types.

Pure functions of the event protobufs (the tests feed real ones through them). Looking up a
LID's phone number, and decrypting a poll vote, need the live session's store, so they come
in as functions (`resolve_lid`, `decrypt_vote`).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa
from neonize.proto.waHistorySync import WAWebProtobufsHistorySync_pb2 as history
from neonize.proto.waWeb import WAWebProtobufsWeb_pb2 as web

from wapiz.engines import events
from wapiz.engines.content import Contact, LinkPreview, Location, Poll
from wapiz.engines.events import (
    Disconnected,
    HistoryChat,
    HistorySync,
    InboundMessage,
    LoggedIn,
    LoggedOut,
    Media,
    Party,
    Receipt,
    SessionEvent,
)
from wapiz.kit.jids import LID_SERVER, PHONE_SERVER

LidResolver = Callable[[str], str | None]
VoteDecrypter = Callable[[neonize.Message], list[bytes]]
STREAM_REPLACED_PAUSE_S = 60.0

log = logging.getLogger(__name__)

# Go's words for a failed dial, most specific first (a refused proxy dial also names the
# proxy), mapped to the kind of failure /status reports.
_FAILURE_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("connection refused",), events.CONNECTION_REFUSED),
    (("i/o timeout", "deadline exceeded", "timed out", "timeout"), events.TIMEOUT),
    (("no such host", "server misbehaving", "lookup "), events.DNS_FAILED),
    (("network is unreachable", "no route to host", "host is unreachable"),
     events.NETWORK_UNREACHABLE),
    (("proxyconnect", "socks", "proxy"), events.PROXY_ERROR),
    (("connection reset", "eof", "broken pipe", "ended at once"), events.CONNECTION_CLOSED),
)


def failure_kind(error: str, through_proxy: bool) -> str:
    """The kind of a failed connect, from the Go library's error text (see events.py). Through
    a proxy, an answer that is not WhatsApp's handshake is the proxy's doing (or that of
    whatever listens where it points)."""
    lowered = error.lower()
    for words, kind in _FAILURE_WORDS:
        if any(word in lowered for word in words):
            return kind
    return events.PROXY_ERROR if through_proxy else events.HANDSHAKE_FAILED


_REASON = neonize.ConnectFailureReason
LOGOUT_REASONS = {
    _REASON.LOGGED_OUT: events.REMOVED_FROM_PHONE,
    _REASON.MAIN_DEVICE_GONE: events.MAIN_DEVICE_GONE,
    _REASON.UNKNOWN_LOGOUT: events.LOGGED_OUT,
}
RECEIPT_STATUS = {
    neonize.Receipt.DELIVERED: "delivered",
    neonize.Receipt.READ: "read",
    neonize.Receipt.PLAYED: "played",
}
BAN_REASONS = {
    neonize.TemporaryBan.SEND_TO_TOO_MANY_PEOPLE: "sent to too many people",
    neonize.TemporaryBan.BLOCKED_BY_USERS: "blocked by too many users",
    neonize.TemporaryBan.CREATED_TOO_MANY_GROUPS: "created too many groups",
    neonize.TemporaryBan.SENT_TOO_MANY_SAME_MESSAGE: "sent the same message too often",
    neonize.TemporaryBan.BROADCAST_LIST: "broadcast list abuse",
}


def jid_text(jid: neonize.JID, with_device: bool = False) -> str:
    """`User@Server` (`User:Device@Server` when asked and not the primary device)."""
    if not jid.User and not jid.Server:
        return ""
    user = f"{jid.User}:{jid.Device}" if with_device and jid.Device else jid.User
    return f"{user}@{jid.Server}"


def party(jid: neonize.JID, alt: neonize.JID | None, resolve_lid: LidResolver) -> Party:
    """Someone named by phone number or LID, with both filled in wherever known."""
    text = jid_text(jid)
    alt_text = jid_text(alt) if alt is not None and alt.User else ""
    if jid.Server == LID_SERVER:
        phone = alt.User if alt_text and alt is not None and alt.Server == PHONE_SERVER else None
        return Party(jid=text, phone=phone or resolve_lid(text), lid=text)
    if jid.Server == PHONE_SERVER:
        lid = alt_text if alt is not None and alt.Server == LID_SERVER else None
        return Party(jid=text, phone=jid.User, lid=lid)
    return Party(jid=text)


# --- session events ----------------------------------------------------------------------


def logged_out(event: neonize.LoggedOut) -> LoggedOut:
    return LoggedOut(LOGOUT_REASONS.get(event.Reason, events.LOGGED_OUT),
                     detail=_REASON.Name(event.Reason).lower())


def temporary_ban(event: neonize.TemporaryBan, now: datetime) -> Disconnected:
    seconds = max(0, event.Expire)
    why = BAN_REASONS.get(event.Code, "unknown")
    return Disconnected(events.TEMPORARY_BAN,
                        detail=f"{why}; banned for {seconds} s from {now:%Y-%m-%dT%H:%M:%SZ}",
                        retry_after=float(seconds))


def connect_failure(event: neonize.ConnectFailure) -> SessionEvent:
    if event.Reason in LOGOUT_REASONS:
        return LoggedOut(LOGOUT_REASONS[event.Reason], detail=event.Message or None)
    if event.Reason == _REASON.TEMP_BANNED:
        return Disconnected(events.TEMPORARY_BAN, detail=event.Message or None)
    if event.Reason == _REASON.CLIENT_OUTDATED:
        return Disconnected(events.CLIENT_OUTDATED, detail=event.Message or None)
    detail = _REASON.Name(event.Reason).lower() + (f": {event.Message}" if event.Message else "")
    return Disconnected(events.CONNECT_FAILED, detail=detail)


def keepalive_timeout(event: neonize.KeepAliveTimeout) -> Disconnected:
    last = datetime.fromtimestamp(event.LastSuccess, UTC) if event.LastSuccess > 0 else None
    since = f" since {last:%Y-%m-%dT%H:%M:%SZ}" if last else ""
    # whatsmeow keeps trying, and reconnects by itself if they keep failing.
    return Disconnected(events.KEEPALIVE_TIMEOUT,
                        detail=f"{event.ErrorCount} keep-alive(s) unanswered{since}",
                        reconnect=False)


def stream_replaced() -> Disconnected:
    # Another client connected with these keys; coming straight back would throw it out
    # and start a tug of war.
    return Disconnected(events.STREAM_REPLACED,
                        detail="another client connected with this device's keys",
                        retry_after=STREAM_REPLACED_PAUSE_S)


def pair_status(event: neonize.PairStatus) -> SessionEvent | None:
    if event.Status == neonize.PairStatus.SUCCESS and event.ID.User:
        return LoggedIn(jid_text(event.ID, with_device=True))
    if event.Status == neonize.PairStatus.ERROR:
        return Disconnected(events.PAIRING_FAILED, detail=event.Error or None)
    return None


# --- messages ----------------------------------------------------------------------------


def _timestamp(seconds: int) -> datetime:
    # whatsmeow sends Unix seconds; some builds send milliseconds.
    if seconds > 10**11:
        seconds //= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _media(message: wa.Message, part: object) -> Media:
    sha = getattr(part, "fileSHA256", b"")
    return Media(
        mimetype=getattr(part, "mimetype", "") or "application/octet-stream",
        ref=message.SerializeToString(),
        file_name=getattr(part, "fileName", None) or None,
        size=getattr(part, "fileLength", None) or None,
        sha256=sha.hex() if sha else None,
        seconds=getattr(part, "seconds", None) or None,
    )


def _context(part: object) -> tuple[str | None, tuple[str, ...]]:
    context = getattr(part, "contextInfo", None)
    if context is None:
        return None, ()
    return context.stanzaID or None, tuple(context.mentionedJID)


@dataclass(frozen=True, slots=True)
class Carried:
    """What a WhatsApp message carries: the `InboundMessage` fields of its type."""

    type: str
    text: str | None = None
    media: Media | None = None
    ptt: bool = False
    location: Location | None = None
    contact: Contact | None = None
    target_id: str | None = None
    reaction: str | None = None
    poll: Poll | None = None
    vote: tuple[str, ...] = ()
    quoted_id: str | None = None
    mentions: tuple[str, ...] = ()
    link_preview: LinkPreview | None = None


UNKNOWN = Carried("unknown")
FILE_FIELDS = (("imageMessage", "image"), ("videoMessage", "video"), ("audioMessage", "audio"),
               ("documentMessage", "document"), ("stickerMessage", "sticker"),
               ("ptvMessage", "video"))


def _protocol(protocol: wa.ProtocolMessage) -> Carried:
    if protocol.type == wa.ProtocolMessage.REVOKE:
        return Carried("revoke", target_id=protocol.key.ID)
    if protocol.type == wa.ProtocolMessage.MESSAGE_EDIT:
        edited = content(protocol.editedMessage)
        return Carried("edit", target_id=protocol.key.ID, text=edited.text)
    return UNKNOWN


def _file(message: wa.Message) -> Carried | None:
    for field, kind in FILE_FIELDS:
        if message.HasField(field):
            part = getattr(message, field)
            quoted, mentions = _context(part)
            return Carried(kind, text=getattr(part, "caption", None) or None,
                           media=_media(message, part), ptt=bool(getattr(part, "PTT", False)),
                           quoted_id=quoted, mentions=mentions)
    return None


def _location(message: wa.Message) -> Carried | None:
    for field in ("locationMessage", "liveLocationMessage"):
        if message.HasField(field):
            part = getattr(message, field)
            quoted, _ = _context(part)
            return Carried("location", quoted_id=quoted, location=Location(
                part.degreesLatitude, part.degreesLongitude,
                getattr(part, "name", "") or None, getattr(part, "address", "") or None))
    return None


def _poll(message: wa.Message) -> Carried | None:
    for field in ("pollCreationMessage", "pollCreationMessageV2", "pollCreationMessageV3"):
        if message.HasField(field):
            part = getattr(message, field)
            return Carried("poll", poll=Poll(
                part.name, tuple(option.optionName for option in part.options),
                part.selectableOptionsCount))
    return None


def content(message: wa.Message) -> Carried:
    """The `InboundMessage` fields a WhatsApp message fills: its type and what goes with it."""
    if message.HasField("protocolMessage"):
        return _protocol(message.protocolMessage)
    if message.conversation:
        return Carried("text", text=message.conversation)
    if message.HasField("extendedTextMessage"):
        part = message.extendedTextMessage
        quoted, mentions = _context(part)
        preview = (LinkPreview(part.matchedText, part.title or None, part.description or None)
                   if part.matchedText else None)
        return Carried("text", text=part.text, quoted_id=quoted, mentions=mentions,
                       link_preview=preview)
    if message.HasField("documentWithCaptionMessage"):
        return content(message.documentWithCaptionMessage.message)
    if message.HasField("contactMessage"):
        card = message.contactMessage
        return Carried("contact", contact=Contact(card.displayName, card.vcard))
    if message.HasField("reactionMessage"):
        part = message.reactionMessage
        return Carried("reaction", target_id=part.key.ID, reaction=part.text)
    if message.HasField("pollUpdateMessage"):
        return Carried("poll_vote", target_id=message.pollUpdateMessage.pollCreationMessageKey.ID)
    return _file(message) or _location(message) or _poll(message) or UNKNOWN


def forwarded(message: wa.Message) -> bool:
    """Whether the message's content says it was forwarded (its ContextInfo)."""
    for _, part in message.ListFields():
        if (hasattr(part, "DESCRIPTOR") and "contextInfo" in part.DESCRIPTOR.fields_by_name
                and part.HasField("contextInfo") and part.contextInfo.isForwarded):
            return True
    return False


def inbound_message(event: neonize.Message, resolve_lid: LidResolver,
                    decrypt_vote: VoteDecrypter | None = None) -> InboundMessage:
    info = event.Info
    source = info.MessageSource
    carried = content(event.Message)
    if carried.type == "poll_vote" and decrypt_vote is not None:
        try:
            carried = replace(carried,
                              vote=tuple(option.hex() for option in decrypt_vote(event)))
        except Exception as exc:  # the poll's key is unknown here: the vote is kept, unread
            log.warning("could not decrypt a poll vote (%s)", exc)
    # In a one-to-one chat the chat is the other person, whose other id is in the "Alt" field.
    chat_alt = None if source.IsGroup else (
        source.RecipientAlt if source.IsFromMe else source.SenderAlt)
    return InboundMessage(
        id=info.ID,
        chat=party(source.Chat, chat_alt, resolve_lid),
        sender=party(source.Sender, source.SenderAlt, resolve_lid),
        from_me=source.IsFromMe,
        timestamp=_timestamp(info.Timestamp),
        push_name=info.Pushname or None,
        type=carried.type, text=carried.text, media=carried.media, ptt=carried.ptt,
        location=carried.location, contact=carried.contact, target_id=carried.target_id,
        reaction=carried.reaction, poll=carried.poll, vote=carried.vote,
        quoted_id=carried.quoted_id, mentions=carried.mentions,
        link_preview=carried.link_preview, forwarded=forwarded(event.Message),
    )


def receipt(event: neonize.Receipt, resolve_lid: LidResolver) -> Receipt | None:
    status = RECEIPT_STATUS.get(event.Type)
    if status is None:  # retries, server errors, our own devices' receipts
        return None
    source = event.MessageSource
    return Receipt(
        chat=party(source.Chat, None, resolve_lid),
        sender=party(source.Sender, source.SenderAlt, resolve_lid),
        message_ids=tuple(event.MessageIDs),
        status=status,
        timestamp=_timestamp(event.Timestamp),
    )


# --- history sync ------------------------------------------------------------------------

# The parts of a history sync that hold conversations (the others: statuses, push names).
CONVERSATION_SYNCS = (history.HistorySync.INITIAL_BOOTSTRAP, history.HistorySync.RECENT,
                      history.HistorySync.FULL, history.HistorySync.ON_DEMAND)
# WhatsApp's "muted for ever" (whatsmeow reads a negative end as for ever; in this uint64
# field it arrives as the largest values).
MUTED_FOREVER = datetime.max.replace(tzinfo=UTC)


def party_of(jid: str, resolve_lid: LidResolver) -> Party:
    """Someone named by a WhatsApp id in text (history sync names people so)."""
    user, _, server = jid.partition("@")
    user = user.split(":", 1)[0]
    if server == PHONE_SERVER:
        return Party(jid=f"{user}@{server}", phone=user)
    if server == LID_SERVER:
        return Party(jid=jid, phone=resolve_lid(jid), lid=jid)
    return Party(jid=jid)


def history_message(info: web.WebMessageInfo, me: str | None,
                    resolve_lid: LidResolver) -> InboundMessage:
    """A message of a history sync, as if it had just come in."""
    key = info.key
    chat = party_of(key.remoteJID, resolve_lid)
    if key.fromMe:
        sender = party_of(me, resolve_lid) if me else Party(jid="")
    else:
        sender = party_of(key.participant or info.participant or key.remoteJID, resolve_lid)
    carried = content(info.message)
    return InboundMessage(
        id=key.ID, chat=chat, sender=sender, from_me=key.fromMe,
        timestamp=_timestamp(info.messageTimestamp), push_name=info.pushName or None,
        type=carried.type, text=carried.text, media=carried.media, ptt=carried.ptt,
        location=carried.location, contact=carried.contact, target_id=carried.target_id,
        reaction=carried.reaction, poll=carried.poll, vote=carried.vote,
        quoted_id=carried.quoted_id, mentions=carried.mentions)


def _muted_until(end_ms: int) -> datetime | None:
    if not end_ms:
        return None
    try:
        return datetime.fromtimestamp(end_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return MUTED_FOREVER


def history_sync(event: neonize.HistorySync, me: str | None,
                 resolve_lid: LidResolver) -> HistorySync | None:
    """The conversations of one part of a history sync (None: a part without any)."""
    data = event.Data
    if data.syncType not in CONVERSATION_SYNCS or not data.conversations:
        return None
    chats = []
    for conversation in data.conversations:
        if not conversation.ID or conversation.ID.endswith("@broadcast"):
            continue  # statuses and broadcast lists are no chats
        messages = tuple(sorted(
            (history_message(item.message, me, resolve_lid) for item in conversation.messages
             if item.HasField("message") and item.message.key.ID),
            key=lambda message: message.timestamp))
        chats.append(HistoryChat(
            chat=party_of(conversation.ID, resolve_lid).jid,
            name=conversation.name or conversation.displayName or None,
            archived=conversation.archived, pinned=conversation.pinned > 0,
            muted_until=_muted_until(conversation.muteEndTime),
            unread_count=conversation.unreadCount, messages=messages))
    return HistorySync(tuple(chats)) if chats else None
