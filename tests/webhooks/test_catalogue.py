"""The event catalogue as documented: every type named in wapiz/webhooks/events.py has one
example body in docs/api.md and on the docs site's Events page (both languages); each is
valid JSON with `type`, `timestamp` and `data`, whose `data` names its device; and the
examples of the types WAPIZ writes today have exactly the keys their data models write."""

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wapiz.messages import models
from wapiz.webhooks import events
from wapiz.webhooks.events import (
    DeviceStatusData,
    MessageChange,
    MessageChangeData,
    MessageData,
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


def _message() -> MessageData:
    now = datetime.now(UTC)
    return MessageData(
        id=uuid.uuid4(), device_public_id=uuid.uuid4(), direction=models.INBOUND, to=None,
        sender=None, sender_jid=None, sender_lid=None, push_name=None, chat="c", type="text",
        text=None, location=None, contact=None, reaction=None, poll=None, vote=None,
        media=None, ptt=None, target_id=None, quoted_wa_message_id=None, status="received",
        waiting=None, wa_message_id=None, error=None, created_at=now, timestamp=None,
        send_at=None, sent_at=None, delivered_at=None, read_at=None, edited_at=None,
        revoked_at=None)


def _written() -> dict[str, set[str]]:
    """The keys of `data` as WAPIZ writes each type it writes today."""
    message = _message()
    change = MessageChange(uuid.uuid4(), None, False, None)
    keys = {events.MESSAGE_RECEIVED: set(message.to_json()),
            events.MESSAGE_UPDATED: set(message.to_json()),
            events.DEVICE_STATUS: set(DeviceStatusData(uuid.uuid4(), uuid.uuid4(), "connected",
                                                       None, None, None).to_json()),
            events.WEBHOOK_TEST: set(WebhookTestData(uuid.uuid4(), uuid.uuid4(), "x").to_json())}
    for changed in (events.MESSAGE_EDITED, events.MESSAGE_REVOKED, events.MESSAGE_REACTION):
        keys[changed] = set(MessageChangeData(changed, message, change).to_json())
    return keys


def _change_keys(event_type: str) -> set[str]:
    return set(MessageChange(uuid.uuid4(), None, False, None).to_json(event_type))


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.parent.name + "/" +
                         source.name)
def test_every_type_has_one_valid_example(source: Path) -> None:
    found = _examples(source)
    assert set(found) == CATALOGUE, f"missing: {sorted(CATALOGUE - set(found))}"
    written = _written()
    for event_type, body in found.items():
        assert set(body) == {"type", "timestamp", "data"}, event_type
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["timestamp"])
        data = body["data"]
        assert isinstance(data, dict) and "deviceId" in data, event_type
        uuid.UUID(data["deviceId"])
        if event_type in written:
            assert set(data) == written[event_type], event_type
        if "change" in data:
            assert set(data["change"]) == _change_keys(event_type), event_type


def test_the_pages_show_the_same_examples() -> None:
    api, indonesian, english = (_examples(source) for source in SOURCES)
    assert api == indonesian == english
