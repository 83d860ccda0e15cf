"""The NATS output while the broker stops midway and comes back: every event arrives."""

import asyncio
from pathlib import Path

import pytest

from tests.outputs.brokers import NatsServer, nats_received
from tests.outputs.scenario import (
    ARRIVE_TIMEOUT_S,
    EVENTS,
    Traffic,
    assert_all_arrived,
    start_api,
    until_all,
)
from tests.support import Deployment


@pytest.mark.timeout(600)
def test_nats_output_survives_the_broker_stopping_midway(
        migrated: Deployment, nats_stream: tuple[str, str], tmp_path: Path) -> None:
    stream, prefix = nats_stream
    broker = NatsServer(tmp_path)  # our own, to stop: the machine's is not ours
    broker.start()
    try:
        _, api = start_api(migrated, events_nats_url=broker.url, events_nats_stream=stream,
                             events_prefix=prefix)
        traffic = Traffic(api, migrated)
        traffic.inbound(EVENTS // 2)
        broker.stop()
        traffic.inbound(EVENTS // 2)
        down = traffic.wait_output("nats", lambda o: o["state"] == "down" and o["backlog"] > 0)
        assert down["kind"] == "nats" and down["target"] == broker.url
        assert down["destination"] == stream and down["lastError"]
        assert down["oldestUnpublishedAgeSeconds"] >= 0
        broker.start()
        events = traffic.events()
        drained = traffic.wait_output("nats", lambda o: o["backlog"] == 0, ARRIVE_TIMEOUT_S)
        assert drained["state"] == "connected" and drained["published"] >= len(events)
        assert drained["oldestUnpublishedAt"] is None
        arrived = until_all(lambda: asyncio.run(nats_received(
            broker.url, stream, prefix, len(events), ARRIVE_TIMEOUT_S)), len(events))
        assert_all_arrived(arrived, events, prefix)
    finally:
        broker.stop()


