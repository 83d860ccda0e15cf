"""Both outputs while the publishing API process is killed midway (SIGKILL)."""

import asyncio

import pytest

from tests.outputs.brokers import AMQP_URL, NATS_URL, AmqpQueue, nats_received
from tests.outputs.scenario import (
    ARRIVE_TIMEOUT_S,
    EVENTS,
    Traffic,
    assert_all_arrived,
    start_api,
    until_all,
)
from tests.support import Api, Deployment


@pytest.mark.timeout(600)
def test_outputs_survive_the_publishing_process_killed_midway(
        migrated: Deployment, nats_stream: tuple[str, str], amqp_queue: AmqpQueue) -> None:
    stream, prefix = nats_stream[0], amqp_queue.prefix  # the queue is bound to this prefix
    outputs = {"events_nats_url": NATS_URL, "events_nats_stream": stream,
               "events_amqp_url": AMQP_URL, "events_amqp_exchange": amqp_queue.exchange,
               "events_prefix": prefix}
    publisher, api = start_api(migrated, **outputs)
    traffic = Traffic(api, migrated)
    holder = traffic.wait_output("nats", lambda o: o["state"] == "connected")
    assert f":{publisher.pid}:" in holder["publisher"]
    other = migrated.api(**outputs)  # waits to take over
    api2 = Api(other.url)
    traffic.api = api2
    traffic.inbound(EVENTS // 2)
    publisher.process.kill()  # SIGKILL, in the middle of publishing
    publisher.wait(10)
    traffic.inbound(EVENTS // 2)
    events = traffic.events()
    for name in ("nats", "amqp"):
        taken = traffic.wait_output(name, lambda o: o["backlog"] == 0, ARRIVE_TIMEOUT_S)
        assert f":{other.pid}:" in taken["publisher"] and taken["state"] == "connected"
    arrived = until_all(lambda: asyncio.run(nats_received(
        NATS_URL, stream, prefix, len(events), ARRIVE_TIMEOUT_S)), len(events))
    assert_all_arrived(arrived, events, prefix)
    arrived = until_all(lambda: asyncio.run(amqp_queue.received(
        len(events), ARRIVE_TIMEOUT_S)), len(events))
    assert_all_arrived(arrived, events, prefix)
