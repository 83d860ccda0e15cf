"""The event catalogue as documented: every type named in wapiz/webhooks/events.py has one
example body in docs/api.md and on the docs site's Events page (both languages); each is
valid JSON with `type`, `timestamp` and `data`, whose `data` names its device; and the
example's `data` has exactly the shape (keys, nested keys, JSON types) of the data the code
builds for its type."""

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wapiz.engines.groups import MEMBER, SUPERADMIN, GroupInfo, GroupSettings, Participant, Person
from wapiz.kit.schemas import format_timestamp
from wapiz.messages import models
from wapiz.messages.body import ReactionBody
from wapiz.webhooks import events
from wapiz.webhooks.events import (
    CallData,
    ChatData,
    ContactData,
    DeviceStatusData,
    EventData,
    GroupJoinedData,
    GroupParticipantsData,
    GroupUpdatedData,
    MessageChange,
    MessageChangeData,
    MessageData,
    PresenceData,
    WebhookTestData,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
SOURCES = [DOCS / "api.md", DOCS / "site" / "id" / "events.md",
           DOCS / "site" / "en" / "events.md"]
CATALOGUE = {value for name, value in vars(events).items() if name.isupper()
             and isinstance(value, str) and re.fullmatch(r"[a-z]+\.[a-z]+", value)}
FENCE = re.compile(r"^[ \t]*```json\n(.*?)^[ \t]*```", re.M | re.S)


def _examples(source: Path) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for block in FENCE.findall(source.read_text(encoding="utf-8")):
        named = re.search(r'^\s*\{\s*"type":\s*"([a-z]+\.[a-z]+)"', block)
        if named is None or named.group(1) not in CATALOGUE:
            continue  # not an event (other examples may elide with …)
        body = json.loads(block)  # every event's example is valid JSON
        if isinstance(body, dict):
            assert body["type"] not in found, f"{source.name}: {body['type']} shown twice"
            found[body["type"]] = body
    return found


MOMENT = datetime(2026, 12, 3, 8, 15, 30, tzinfo=UTC)
SITI = Person("6281234567890", "123456789012345@lid")


def _message(**shown: Any) -> MessageData:
    """An inbound text message; `shown` sets what an example shows besides."""
    fields: dict[str, Any] = dict(
        id=uuid.uuid4(), device_public_id=uuid.uuid4(), direction=models.INBOUND, to=None,
        sender="6281234567890", sender_jid="6281234567890@s.whatsapp.net", sender_lid=None,
        push_name="Siti", chat="6281234567890@s.whatsapp.net", type="text", text="Halo",
        location=None, contact=None, reaction=None, poll=None, vote=None, media=None,
        ptt=None, target_id=None, quoted_wa_message_id=None, status="received",
        waiting=None, wa_message_id="3EB0C431D2A7F1B2C3D4", error=None, created_at=MOMENT,
        timestamp=MOMENT, send_at=None, sent_at=None, delivered_at=None, read_at=None,
        edited_at=None, revoked_at=None)
    return MessageData(**{**fields, **shown})


def _group() -> GroupInfo:
    return GroupInfo("120363025246125888@g.us", "Tim Gudang", "Stok dan pengiriman", SITI,
                     MOMENT, announce=False, locked=False, join_approval=False,
                     participants=(Participant(SITI, SUPERADMIN),
                                   Participant(Person("6289999999999"), MEMBER)))


def _written() -> dict[str, EventData]:
    """Each type's data as the code builds it, with what its documented example shows
    filled in (a `null` there is None here, so that nested shapes are compared too)."""
    device = uuid.uuid4()
    outbound = _message(direction=models.OUTBOUND, to="6281234567890", sender=None,
                        sender_jid=None, push_name=None, timestamp=None, status="delivered",
                        send_at=MOMENT, sent_at=MOMENT, delivered_at=MOMENT)
    reaction = _message(type="reaction", text=None, reaction=ReactionBody(
        "👍", target_wa_message_id="3EB0A1B2C3D4E5F6A7B8").to_json())

    def change(event_type: str, message: MessageData, **changed: Any) -> MessageChangeData:
        return MessageChangeData(event_type, message, MessageChange(
            uuid.uuid4(), "6281234567890", False, MOMENT, **changed))

    return {
        events.MESSAGE_RECEIVED: _message(),
        events.MESSAGE_UPDATED: outbound,
        events.MESSAGE_EDITED: change(events.MESSAGE_EDITED, _message(edited_at=MOMENT),
                                      previous_text="Hai"),
        events.MESSAGE_REVOKED: change(events.MESSAGE_REVOKED, _message(revoked_at=MOMENT)),
        events.MESSAGE_REACTION: change(events.MESSAGE_REACTION, reaction, emoji="👍",
                                        target_id=uuid.uuid4(),
                                        target_wa_message_id="3EB0A1B2C3D4E5F6A7B8"),
        events.CHAT_UPDATED: ChatData(device, "6281234567890@s.whatsapp.net", False, True,
                                      MOMENT, 2, None),
        events.CONTACT_UPDATED: ContactData(device, "6281234567890",
                                            "6281234567890@s.whatsapp.net", SITI.lid, None,
                                            "Siti"),
        events.GROUP_JOINED: GroupJoinedData(device, _group(), "add", SITI),
        events.GROUP_UPDATED: GroupUpdatedData(device, _group().id,
                                               GroupSettings(subject="Tim Gudang Pusat"), SITI,
                                               MOMENT),
        events.GROUP_PARTICIPANTS: GroupParticipantsData(device, _group().id, "join",
                                                         (Person("6285511223344"),), SITI,
                                                         MOMENT),
        events.PRESENCE_UPDATED: PresenceData(device, "6281234567890",
                                              "6281234567890@s.whatsapp.net",
                                              "6281234567890@s.whatsapp.net", "typing", None),
        events.CALL_RECEIVED: CallData(device, "C0F1E2D3B4A5968778695A4B3C2D1E0F",
                                       "6281234567890", "6281234567890@s.whatsapp.net",
                                       is_video=False, is_group=False, at=MOMENT,
                                       rejected=False),
        events.DEVICE_STATUS: DeviceStatusData(uuid.uuid4(), device, "logged_in", None, None,
                                               "6289999999999:12@s.whatsapp.net"),
        events.WEBHOOK_TEST: WebhookTestData(uuid.uuid4(), device, "Webhook WAPIZ berfungsi"),
    }


def _shape(value: Any) -> Any:
    """What a JSON value is made of: an object's keys with their shapes (recursively), a
    list's first item's, else the JSON type (so a `null` is told from an object)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.parent.name + "/" +
                         source.name)
def test_every_type_has_one_valid_example(source: Path) -> None:
    found = _examples(source)
    assert set(found) == CATALOGUE, f"missing: {sorted(CATALOGUE - set(found))}"
    for event_type, body in found.items():
        assert set(body) == {"type", "timestamp", "data"}, event_type
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])
        data = body["data"]
        assert isinstance(data, dict) and "deviceId" in data, event_type
        uuid.UUID(data["deviceId"])


def test_every_example_has_the_shape_the_code_writes() -> None:
    """Each documented `data` has exactly the keys (nested ones too) and JSON types of the
    data the code builds for its type, and every time in it is written as the code writes
    times: the catalogue cannot drift from `wapiz/webhooks/events.py` unnoticed."""
    written = _written()
    assert set(written) == CATALOGUE
    for event_type, body in _examples(SOURCES[0]).items():
        data = written[event_type].to_json()
        assert _shape(body["data"]) == _shape(data), event_type
        for text in _strings(body["data"]):
            if re.match(r"\d{4}-\d\d-\d\dT", text):
                assert format_timestamp(datetime.fromisoformat(text)) == text, (event_type, text)


def test_group_updated_names_every_setting_it_can_change() -> None:
    """`changes` names only what changed, so its example shows one: the description names
    them all."""
    every = GroupSettings("s", "d", announce=True, locked=True, join_approval=True,
                          picture="1").to_json()
    line = next(line for line in SOURCES[0].read_text(encoding="utf-8").splitlines()
                if line.startswith(f"- `{events.GROUP_UPDATED}` — "))
    assert {key for key in every if f"`{key}`" not in line} == set()


def test_the_pages_show_the_same_examples() -> None:
    api, indonesian, english = (_examples(source) for source in SOURCES)
    assert api == indonesian == english
