"""neonize's real event protobufs through the adapter: the gateway's events come out."""

import hashlib
from datetime import UTC, datetime

import pytest
from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waCommon import WACommon_pb2 as common
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

from tests.engines.whatsmeow.fakego import jid
from wapiz.engines import events
from wapiz.engines.content import Contact, Location, Poll
from wapiz.engines.events import Disconnected, LoggedIn, LoggedOut, Party
from wapiz.engines.whatsmeow import adapter

NO_LIDS = {}.get


def message_event(content: wa.Message, *, sender: neonize.JID | None = None,
                  sender_alt: neonize.JID | None = None, chat: neonize.JID | None = None,
                  group: bool = False) -> neonize.Message:
    sender = sender or jid("6281234567890")
    source = neonize.MessageSource(
        Chat=chat or sender, Sender=sender, IsFromMe=False, IsGroup=group,
        SenderAlt=sender_alt or neonize.JID(), RecipientAlt=neonize.JID(),
        BroadcastListOwner=neonize.JID(),
    )
    info = neonize.MessageInfo(MessageSource=source, ID="3EB0ABC", ServerID=0, Type="text",
                               Pushname="Budi", Timestamp=1764070000, Category="",
                               Multicast=False, MediaType="", Edit="")
    return neonize.Message(Info=info, Message=content)


def test_a_text_message_from_a_phone_number() -> None:
    got = adapter.inbound_message(message_event(wa.Message(conversation="Halo")), NO_LIDS)
    assert got.type == "text" and got.text == "Halo" and got.id == "3EB0ABC"
    assert got.sender == Party(jid="6281234567890@s.whatsapp.net", phone="6281234567890")
    assert got.chat == got.sender and got.push_name == "Budi" and not got.from_me
    assert got.timestamp == datetime.fromtimestamp(1764070000, UTC)


def test_a_lid_sender_keeps_both_ids() -> None:
    lid = jid("123456789012345", "lid")
    # The phone number comes with the message…
    got = adapter.inbound_message(
        message_event(wa.Message(conversation="x"), sender=lid, sender_alt=jid("6281111111110")),
        NO_LIDS)
    assert got.sender == Party(jid="123456789012345@lid", phone="6281111111110",
                               lid="123456789012345@lid")
    assert got.chat.phone == "6281111111110"
    # …or from the session's store…
    asked: list[str] = []

    def store(lid_text: str) -> str | None:
        asked.append(lid_text)
        return "6282222222220"

    got = adapter.inbound_message(message_event(wa.Message(conversation="x"), sender=lid), store)
    assert got.sender.phone == "6282222222220" and asked[0] == "123456789012345@lid"
    # …or stays unknown, the LID kept.
    got = adapter.inbound_message(message_event(wa.Message(conversation="x"), sender=lid),
                                  NO_LIDS)
    assert got.sender == Party(jid="123456789012345@lid", phone=None, lid="123456789012345@lid")


def test_media_carries_its_description_and_a_download_ref() -> None:
    image = wa.Message(imageMessage=wa.ImageMessage(
        mimetype="image/jpeg", caption="Foto", fileLength=2048, fileSHA256=b"\x01\x02"))
    got = adapter.inbound_message(message_event(image), NO_LIDS)
    assert got.type == "image" and got.text == "Foto"
    assert got.media is not None and got.media.mimetype == "image/jpeg"
    assert got.media.size == 2048 and got.media.sha256 == "0102"
    assert wa.Message.FromString(got.media.ref) == image  # what download() is given back

    voice = wa.Message(audioMessage=wa.AudioMessage(mimetype="audio/ogg", PTT=True, seconds=4))
    got = adapter.inbound_message(message_event(voice), NO_LIDS)
    assert got.type == "audio" and got.ptt and got.media is not None and got.media.seconds == 4

    document = wa.Message(documentMessage=wa.DocumentMessage(
        mimetype="application/pdf", fileName="invoice.pdf", caption="Tagihan"))
    got = adapter.inbound_message(message_event(document), NO_LIDS)
    assert got.type == "document" and got.media is not None
    assert got.media.file_name == "invoice.pdf" and got.text == "Tagihan"


def test_every_other_message_type() -> None:
    def read(content: wa.Message) -> dict[str, object]:
        got = adapter.inbound_message(message_event(content), NO_LIDS)
        return {k: v for k, v in vars(got).items() if v not in (None, (), False)}

    reply = read(wa.Message(extendedTextMessage=wa.ExtendedTextMessage(
        text="Setuju @6281", contextInfo=wa.ContextInfo(
            stanzaID="3EB0QUOTED", mentionedJID=["6281111111110@s.whatsapp.net"]))))
    assert reply["type"] == "text" and reply["quoted_id"] == "3EB0QUOTED"
    assert reply["mentions"] == ("6281111111110@s.whatsapp.net",)

    place = read(wa.Message(locationMessage=wa.LocationMessage(
        degreesLatitude=-6.2, degreesLongitude=106.8, name="Monas")))
    assert place["type"] == "location"
    assert place["location"] == Location(latitude=-6.2, longitude=106.8, name="Monas")

    card = read(wa.Message(contactMessage=wa.ContactMessage(displayName="Siti",
                                                            vcard="BEGIN:VCARD…")))
    assert card["contact"] == Contact(display_name="Siti", vcard="BEGIN:VCARD…")

    key = common.MessageKey(ID="3EB0TARGET", fromMe=True)
    reaction = read(wa.Message(reactionMessage=wa.ReactionMessage(key=key, text="👍")))
    assert reaction == {**reaction, "type": "reaction", "target_id": "3EB0TARGET",
                        "reaction": "👍"}

    poll = read(wa.Message(pollCreationMessageV3=wa.PollCreationMessage(
        name="Makan?", options=[wa.PollCreationMessage.Option(optionName=o) for o in "AB"],
        selectableOptionsCount=1)))
    assert poll["poll"] == Poll(name="Makan?", options=("A", "B"), selectable_count=1)

    revoke = read(wa.Message(protocolMessage=wa.ProtocolMessage(
        type=wa.ProtocolMessage.REVOKE, key=key)))
    assert revoke["type"] == "revoke" and revoke["target_id"] == "3EB0TARGET"

    edit = read(wa.Message(protocolMessage=wa.ProtocolMessage(
        type=wa.ProtocolMessage.MESSAGE_EDIT, key=key,
        editedMessage=wa.Message(conversation="diperbaiki"))))
    assert edit["type"] == "edit" and edit["text"] == "diperbaiki"

    vote = read(wa.Message(pollUpdateMessage=wa.PollUpdateMessage(pollCreationMessageKey=key)))
    assert vote["type"] == "poll_vote" and vote["target_id"] == "3EB0TARGET"

    assert read(wa.Message())["type"] == "unknown"


def test_a_poll_vote_is_decrypted_through_the_session() -> None:
    key = common.MessageKey(ID="3EB0POLL", fromMe=True)
    event = message_event(wa.Message(pollUpdateMessage=wa.PollUpdateMessage(
        pollCreationMessageKey=key)))
    chosen = [hashlib.sha256(b"Mie").digest()]
    got = adapter.inbound_message(event, NO_LIDS, lambda vote: chosen)
    assert got.type == "poll_vote" and got.target_id == "3EB0POLL"
    assert got.vote == (hashlib.sha256(b"Mie").hexdigest(),)

    def no_key(vote: object) -> list[bytes]:
        raise RuntimeError("no poll secret in the store")

    # Without the poll's key the vote still arrives, its choice unknown.
    unread = adapter.inbound_message(event, NO_LIDS, no_key)
    assert unread.type == "poll_vote" and unread.vote == ()


def test_receipts() -> None:
    source = neonize.MessageSource(Chat=jid("6281234567890"), Sender=jid("6281234567890"),
                                   IsFromMe=False, IsGroup=False, SenderAlt=neonize.JID(),
                                   RecipientAlt=neonize.JID(), BroadcastListOwner=neonize.JID())
    read = neonize.Receipt(MessageSource=source, MessageIDs=["A", "B"], Timestamp=1764070000,
                           Type=neonize.Receipt.READ)
    got = adapter.receipt(read, NO_LIDS)
    assert got is not None and got.status == "read" and got.message_ids == ("A", "B")
    assert got.chat.phone == "6281234567890"
    retry = neonize.Receipt(MessageSource=source, MessageIDs=["A"], Timestamp=1,
                            Type=neonize.Receipt.RETRY)
    assert adapter.receipt(retry, NO_LIDS) is None


def test_session_events_get_their_own_reasons() -> None:
    reason = neonize.ConnectFailureReason
    assert adapter.logged_out(neonize.LoggedOut(OnConnect=False, Reason=reason.LOGGED_OUT)) \
        == LoggedOut(events.REMOVED_FROM_PHONE, detail="logged_out")
    assert adapter.logged_out(
        neonize.LoggedOut(OnConnect=True, Reason=reason.MAIN_DEVICE_GONE)
    ).reason == events.MAIN_DEVICE_GONE

    ban = adapter.temporary_ban(
        neonize.TemporaryBan(Code=neonize.TemporaryBan.SENT_TOO_MANY_SAME_MESSAGE, Expire=3600),
        datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    assert ban == Disconnected(
        events.TEMPORARY_BAN, retry_after=3600.0,
        detail="sent the same message too often; banned for 3600 s from 2026-11-25T12:00:00Z")

    def failure(code: int, message: str = "") -> object:
        return adapter.connect_failure(
            neonize.ConnectFailure(Reason=code, Message=message, Raw=neonize.Node()))

    assert failure(reason.LOGGED_OUT) == LoggedOut(events.REMOVED_FROM_PHONE)
    assert failure(reason.TEMP_BANNED).reason == events.TEMPORARY_BAN  # type: ignore[attr-defined]
    assert failure(reason.SERVICE_UNAVAILABLE, "try later") == Disconnected(
        events.CONNECT_FAILED, detail="service_unavailable: try later")

    timeout = adapter.keepalive_timeout(neonize.KeepAliveTimeout(ErrorCount=3,
                                                                 LastSuccess=1764070000))
    assert timeout.reason == events.KEEPALIVE_TIMEOUT
    assert timeout.detail == "3 keep-alive(s) unanswered since 2025-11-25T11:26:40Z"

    paired = neonize.PairStatus(ID=jid("6281234567890", device=12), BusinessName="",
                                Platform="", Status=neonize.PairStatus.SUCCESS)
    assert adapter.pair_status(paired) == LoggedIn("6281234567890:12@s.whatsapp.net")
    refused = neonize.PairStatus(ID=neonize.JID(), BusinessName="", Platform="",
                                 Status=neonize.PairStatus.ERROR, Error="bad code")
    assert adapter.pair_status(refused) == Disconnected(events.PAIRING_FAILED, detail="bad code")


GO_DIAL = 'failed to dial whatsapp web websocket: failed to WebSocket dial: failed to send ' \
    'handshake request: Get "https://web.whatsapp.com/ws/chat": '


@pytest.mark.parametrize(("error", "through_proxy", "kind"), [
    (GO_DIAL + "socks connect tcp 127.0.0.1:1->web.whatsapp.com:443: dial tcp 127.0.0.1:1: "
     "connect: connection refused", True, "connection_refused"),
    (GO_DIAL + "proxyconnect tcp: dial tcp 127.0.0.1:1: connect: connection refused", True,
     "connection_refused"),
    (GO_DIAL + "socks connect tcp 127.0.0.1:9->web.whatsapp.com:443: read tcp "
     "127.0.0.1:5->127.0.0.1:9: read: connection reset by peer", True, "proxy_error"),
    (GO_DIAL + 'malformed HTTP status code "internal-db-7"', True, "proxy_error"),
    (GO_DIAL + "dial tcp: lookup proxy.invalid on 10.0.0.53:53: no such host", True,
     "dns_failed"),
    (GO_DIAL + "dial tcp 157.240.1.1:443: i/o timeout", False, "timeout"),
    (GO_DIAL + "dial tcp 157.240.1.1:443: connect: network is unreachable", False,
     "network_unreachable"),
    ("expected handshake response status code 101 but got 403", False, "handshake_failed"),
])
def test_a_failed_connect_is_reported_by_its_kind(error: str, through_proxy: bool,
                                                   kind: str) -> None:
    assert adapter.failure_kind(error, through_proxy) == kind
