"""What the whatsmeow engine builds for WhatsApp, as neonize's real protobufs: a forwarded
message carries ContextInfo.isForwarded, whatever its kind."""

from typing import Any

from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

from wapiz.engines.base import OutboundMessage
from wapiz.engines.content import Contact, Location, Text
from wapiz.engines.whatsmeow import outbound

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
