"""The event payload model (webhooks/events.py) posts what the HTTP schema's `to_out` posted
before it: the bodies in payloads_before_the_event_model.jsonl were written by the code
before the model, for the same rows, and must stay byte-for-byte the same. And a message's
event data is what the API shows of it."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wapiz.messages.models import Message, MessageStatus
from wapiz.messages.views import to_out
from wapiz.webhooks.events import MESSAGE_UPDATED, event_body, message_data

BEFORE = Path(__file__).with_name("payloads_before_the_event_model.jsonl")
T = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=UTC)
# The device: its public `deviceId`, which the bodies carry, and its `id`, which rows hold.
DEVICE_PUBLIC_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")
DEVICE_ID = uuid.UUID("44444444-4444-4444-8444-444444444444")
USER = uuid.UUID("22222222-2222-4222-8222-222222222222")
MEDIA = uuid.UUID("33333333-3333-4333-8333-333333333333")
FILE = {"mimetype": "audio/ogg", "fileName": None, "size": 10, "sha256": "ab" * 32, "seconds": 4}
SENDER = {"sender": {"jid": "6281111111110@s.whatsapp.net", "phone": "6281111111110",
                     "lid": "1234@lid"},
          "pushName": "Budi", "fromMe": False, "timestamp": "2026-11-25T09:59:58+00:00"}


def rows() -> list[Message]:
    def m(n: int, **kw: Any) -> Message:
        base: dict[str, Any] = dict(
            id=uuid.UUID(int=n), user_id=USER, device_id=DEVICE_ID, direction="outbound",
            chat="6281111111110@s.whatsapp.net", peer="6281111111110", type="text", body={},
            text=None, status=MessageStatus.QUEUED, wa_message_id="3EB0AA", error=None,
            attempts=0, batch_id=None, media_id=None, created_at=T, send_at=T, sent_at=None,
            delivered_at=None, read_at=None, edited_at=None, revoked_at=None)
        return Message(**{**base, **kw})

    inbound: dict[str, Any] = dict(direction="inbound", status=MessageStatus.RECEIVED,
                                   send_at=None)
    first, poll = str(uuid.UUID(int=1)), str(uuid.UUID(int=4))
    return [
        m(1, text='Halo ✓ "kutip"',
          body={"mentions": ["6281@s.whatsapp.net"], "quotedWaMessageId": "3EB0Q"}),
        m(2, status=MessageStatus.READ, sent_at=T, delivered_at=T, read_at=T, type="location",
          body={"location": {"latitude": -6.2, "longitude": 106.8, "name": "Monas",
                             "address": None}}),
        m(3, type="contact",
          body={"contact": {"displayName": "Siti", "vcard": "BEGIN:VCARD\nEND:VCARD"}}),
        m(4, type="poll",
          body={"poll": {"name": "Makan?", "options": ["Nasi", "Mie"], "selectableCount": 1}}),
        m(5, type="reaction", body={"reaction": {"messageId": first, "emoji": "👍"},
                                    "targetWaMessageId": "3EB0T"}),
        m(6, type="poll_vote", body={"vote": {"options": ["Mie"], "pollId": poll},
                                     "targetWaMessageId": "3EB0P", "targetSender": None}),
        m(7, type="audio", media_id=MEDIA,
          body={"ptt": True, "media": FILE, "batchPacing": [15000, 45000]}),
        m(8, type="edit", text="baru", status=MessageStatus.FAILED, error="unknown: x",
          body={"targetId": first, "targetWaMessageId": "3EB0T"}),
        m(9, **inbound, type="image", text="Foto", media_id=MEDIA,
          body={**SENDER, "quotedWaMessageId": "3EB0Q", "media": FILE}),
        m(10, **inbound, type="poll_vote",
          body={**SENDER, "targetWaMessageId": "3EB0P",
                "vote": {"options": [], "pollId": None, "optionDigests": ["cd" * 32]}}),
        m(11, **inbound, type="reaction", peer=None, edited_at=T, revoked_at=T,
          body={**SENDER, "reaction": {"targetWaMessageId": "3EB0T", "emoji": ""}}),
        m(12, **inbound, type="poll", chat="120363000000000001@g.us",
          body={**SENDER, "poll": {"name": "?", "options": ["A"], "selectableCount": 0}}),
    ]


def test_webhook_bodies_are_byte_for_byte_those_before_the_model() -> None:
    before = BEFORE.read_text(encoding="utf-8").splitlines()
    now = [event_body(MESSAGE_UPDATED, message_data(row, DEVICE_PUBLIC_ID,
                                                   base_url="https://gw.example"), T)
           for row in rows()]
    assert len(before) == len(now) == 12
    for old, new in zip(before, now, strict=True):
        assert new == old


def test_a_message_event_carries_what_the_api_shows() -> None:
    for row in rows():
        shown: dict[str, Any] = to_out(row, DEVICE_PUBLIC_ID, "scheduled").model_dump(
            mode="json", by_alias=True)
        data = message_data(row, DEVICE_PUBLIC_ID, "scheduled").to_json()
        assert json.dumps(data) == json.dumps(shown)
        assert data["deviceId"] == str(DEVICE_PUBLIC_ID)
