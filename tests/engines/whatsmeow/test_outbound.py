"""What the whatsmeow engine builds for WhatsApp, as neonize's real protobufs: a forwarded
message carries ContextInfo.isForwarded, whatever its kind; a link preview is an
ExtendedTextMessage with matchedText, title and description; and both are read back from
an inbound message."""

from typing import Any

from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

from tests.engines.whatsmeow.test_adapter import message_event
from wapiz.engines.base import OutboundMessage
from wapiz.engines.content import Contact, LinkPreview, Location, StoryStyle, Text
from wapiz.engines.whatsmeow import adapter, outbound

TO = "6281234567890@s.whatsapp.net"
NO_CLIENT: Any = None  # texts, places and contacts are built without the Go client


def test_a_forwarded_text_is_an_extended_text_marked_forwarded() -> None:
    built = outbound.build(NO_CLIENT, OutboundMessage(TO, Text("Jadwal rapat"),
                                                      forwarded=True))
    assert not built.conversation
    assert built.extendedTextMessage.text == "Jadwal rapat"
    assert built.extendedTextMessage.contextInfo.isForwarded is True
    assert built.extendedTextMessage.contextInfo.forwardingScore == 1
    # Sent again through the wire format, the mark is still there.
    assert wa.Message.FromString(built.SerializeToString()).extendedTextMessage.contextInfo \
        .isForwarded


def test_a_text_not_forwarded_stays_plain() -> None:
    built = outbound.build(NO_CLIENT, OutboundMessage(TO, Text("Halo")))
    assert built.conversation == "Halo" and not built.HasField("extendedTextMessage")


def test_places_contacts_and_files_are_marked_in_their_own_context() -> None:
    place = outbound.build(NO_CLIENT, OutboundMessage(
        TO, Location(-6.1754, 106.8272, "Monas", None), forwarded=True))
    assert place.locationMessage.contextInfo.isForwarded is True
    card = outbound.build(NO_CLIENT, OutboundMessage(
        TO, Contact("Siti", "BEGIN:VCARD\nFN:Siti\nEND:VCARD"), forwarded=True))
    assert card.contactMessage.contextInfo.isForwarded is True
    # A file as neonize builds it (an uploaded image's message), then marked.
    image = wa.Message(imageMessage=wa.ImageMessage(caption="Denah", mimetype="image/png"))
    marked = outbound.mark_forwarded(image)
    assert marked.imageMessage.contextInfo.isForwarded is True
    assert marked.imageMessage.caption == "Denah"


def test_a_link_preview_is_an_extended_text_with_what_wapiz_fetched() -> None:
    preview = LinkPreview("https://toko.example/kue", "Toko Sari", "Kue basah setiap hari")
    built = outbound.build(NO_CLIENT, OutboundMessage(
        TO, Text("Pesan di https://toko.example/kue", preview)))
    extended = built.extendedTextMessage
    assert extended.text == "Pesan di https://toko.example/kue"
    assert extended.matchedText == "https://toko.example/kue"
    assert (extended.title, extended.description) == ("Toko Sari", "Kue basah setiap hari")
    assert extended.previewType == wa.ExtendedTextMessage.PreviewType.NONE
    assert not extended.HasField("contextInfo")


def test_an_inbound_preview_and_forward_mark_are_read_back() -> None:
    """What another phone sends (the same protobufs) comes in with both."""
    sent = outbound.mark_forwarded(outbound.build(NO_CLIENT, OutboundMessage(
        TO, Text("Lihat https://a.example", LinkPreview("https://a.example", "A", None)))))
    event = message_event(sent)
    arrived = adapter.inbound_message(event, {}.get)
    assert arrived.type == "text" and arrived.text == "Lihat https://a.example"
    assert arrived.link_preview == LinkPreview("https://a.example", "A", None)
    assert arrived.forwarded is True
    plain = adapter.inbound_message(message_event(wa.Message(conversation="Halo")), {}.get)
    assert plain.link_preview is None and plain.forwarded is False


def test_a_text_status_carries_its_background_and_font() -> None:
    built = outbound.build(NO_CLIENT, OutboundMessage(
        "status@broadcast", Text("Buka sampai jam 9", style=StoryStyle(0xFF25D366, 7))))
    extended = built.extendedTextMessage
    assert extended.text == "Buka sampai jam 9"
    assert extended.backgroundArgb == 0xFF25D366
    assert extended.font == wa.ExtendedTextMessage.FontType.MORNINGBREEZE_REGULAR
