"""The RabbitMQ output while the broker goes away midway (a proxy cut): every event arrives."""

import asyncio

import pytest

from tests.outputs.brokers import AmqpQueue, TcpProxy
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
def test_amqp_output_survives_the_broker_going_away_midway(
        migrated: Deployment, amqp_queue: AmqpQueue) -> None:
    proxy = TcpProxy(5672)  # in front of the machine's RabbitMQ, which is not ours to stop
    proxy.start()
    try:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
        _, api = start_api(migrated, events_amqp_url=url,
                             events_amqp_exchange=amqp_queue.exchange,
                             events_prefix=amqp_queue.prefix)
        traffic = Traffic(api, migrated)
        traffic.inbound(EVENTS // 2)
        proxy.cut()
        traffic.inbound(EVENTS // 2)
        down = traffic.wait_output("amqp", lambda o: o["state"] == "down" and o["backlog"] > 0)
        assert down["target"] == f"amqp://guest:***@127.0.0.1:{proxy.port}/"
        assert "guest:guest" not in str(down)
        proxy.restore()
        events = traffic.events()
        drained = traffic.wait_output("amqp", lambda o: o["backlog"] == 0, ARRIVE_TIMEOUT_S)
        assert drained["state"] == "connected" and drained["published"] >= len(events)
        arrived = until_all(lambda: asyncio.run(amqp_queue.received(
            len(events), ARRIVE_TIMEOUT_S)), len(events))
        assert_all_arrived(arrived, events, amqp_queue.prefix)
    finally:
        proxy.cut()


