"""The message body's one mapping to and from the stored JSON: every shape the gateway has
written reads back and is written again exactly, so old rows and new ones are alike."""

from datetime import UTC, datetime
from typing import Any

import pytest

from wapiz.engines.content import Location, Poll
from wapiz.messages.body import FileDescription, MessageBody, ReactionBody, VoteBody

SENDER = {"sender": {"jid": "6281111111110@s.whatsapp.net", "phone": "6281111111110",
                     "lid": None},
          "pushName": None, "fromMe": False, "timestamp": "2026-11-25T10:00:00+00:00"}
FILE = {"mimetype": "audio/ogg", "fileName": None, "size": 10, "sha256": None, "seconds": 4}

# Bodies as the code before the typed model wrote them (messages/accept.py, bulk.py,
# service.py; the runner's inbound storage).
STORED: list[dict[str, Any]] = [
    {},
    {"mentions": ["6281111111110@s.whatsapp.net"], "quotedWaMessageId": "3EB0Q"},
    {"location": {"latitude": -6.2, "longitude": 106.8, "name": "Monas", "address": None}},
    {"contact": {"displayName": "Siti", "vcard": "BEGIN:VCARD\nEND:VCARD"}},
    {"poll": {"name": "Makan?", "options": ["Nasi", "Mie"], "selectableCount": 1}},
    {"reaction": {"messageId": "0b0c…", "emoji": "👍"}, "targetWaMessageId": "3EB0T"},
    {"vote": {"options": ["Mie"], "pollId": "0b0c…"}, "targetWaMessageId": "3EB0P",
     "targetSender": None},
    {"vote": {"options": [], "pollId": "0b0c…"}, "targetWaMessageId": "3EB0P",
     "targetSender": "6281111111110@s.whatsapp.net"},
    {"ptt": True, "media": FILE},
    {"media": FILE, "batchPacing": [15000, 45000]},
    {"targetId": "0b0c…", "targetWaMessageId": "3EB0T"},
    {**SENDER, "poll": {"name": "?", "options": ["A"], "selectableCount": 0}},
    {**SENDER, "reaction": {"targetWaMessageId": "3EB0T", "emoji": ""}},
    {**SENDER, "reaction": {"targetWaMessageId": None, "emoji": None}},
    {**SENDER, "targetWaMessageId": "3EB0T", "targetId": "0b0c…"},
    {**SENDER, "targetWaMessageId": "3EB0P",
     "vote": {"options": [], "pollId": None, "optionDigests": ["ab" * 32]}},
    {**SENDER, "quotedWaMessageId": "3EB0Q", "mentions": ["6281@s.whatsapp.net"],
     "media": FILE, "ptt": True},
]


@pytest.mark.parametrize("stored", STORED)
def test_every_stored_shape_reads_back_and_is_written_the_same(stored: dict[str, Any]
                                                                ) -> None:
    assert MessageBody.from_json(stored).to_json() == stored


def test_the_typed_fields_say_what_the_keys_said() -> None:
    inbound = MessageBody.from_json({**SENDER, "location": STORED[2]["location"],
                                     "media": FILE, "ptt": True})
    assert inbound.received is not None and inbound.received.sender.phone == "6281111111110"
    assert inbound.received.timestamp == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert inbound.location == Location(-6.2, 106.8, name="Monas")
    assert inbound.media == FileDescription("audio/ogg", size=10, seconds=4) and inbound.ptt
    batch = MessageBody.from_json(STORED[9])
    assert batch.batch_pacing == (15000, 45000) and batch.received is None
    vote = MessageBody.from_json(STORED[6])
    assert vote.vote == VoteBody(("Mie",), "0b0c…") and vote.target_sender is None
    assert MessageBody.from_json(STORED[5]).reaction == ReactionBody("👍", message_id="0b0c…")
    assert MessageBody.from_json(STORED[4]).poll == Poll("Makan?", ("Nasi", "Mie"), 1)
    assert MessageBody.from_json(None) == MessageBody()
