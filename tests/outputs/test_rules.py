"""The outputs' rules without a broker: how far a group's confirmations move each device's
cursor, where an event is published, and how an output's URL is shown."""

import uuid

from wapiz.outputs.configured import OutputConfig
from wapiz.workers.outputs.queue import PendingEvent
from wapiz.workers.outputs.worker import confirmed_cursors

A, B = uuid.uuid4(), uuid.uuid4()


def _event(seq: int, device: uuid.UUID) -> PendingEvent:
    return PendingEvent(seq, f"msg_{seq}", device, uuid.uuid4(), uuid.uuid4(), "x", "{}")


def test_a_device_cursor_stops_before_its_first_unconfirmed_event() -> None:
    events = [_event(1, A), _event(2, B), _event(3, A), _event(4, B), _event(5, A)]
    failed = TimeoutError("no ack")
    # A: 1 confirmed, 3 not, 5 confirmed (must wait for 3); B: 2 and 4 confirmed.
    cursors, count = confirmed_cursors(events, [None, None, failed, None, None])
    assert cursors == {A: 1, B: 4} and count == 3
    assert confirmed_cursors(events, [failed] * 5) == ({}, 0)
    assert confirmed_cursors(events, [None] * 5) == ({A: 5, B: 4}, 5)


def test_subjects_and_shown_urls() -> None:
    user, device = uuid.uuid4(), uuid.uuid4()
    nats = OutputConfig("nats", "nats", "nats://u:rahasia@127.0.0.1:4222", "WAPIZ", "wapiz")
    assert nats.subject(user, device, "message.received") == (
        f"wapiz.{user}.{device}.message.received")
    assert nats.target == "nats://u:***@127.0.0.1:4222"
    token = OutputConfig("nats", "nats", "nats://s3cr3t@127.0.0.1:4222", "WAPIZ", "wapiz")
    assert token.target == "nats://***@127.0.0.1:4222"
    plain = OutputConfig("amqp", "amqp", "amqp://127.0.0.1:5672/", "wapiz.events", "wapiz")
    assert plain.target == "amqp://127.0.0.1:5672/"
