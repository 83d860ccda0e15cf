"""Broker outputs against the machine's real NATS (JetStream) and RabbitMQ: every event, from
inbound messages sent over HTTP to the sandbox, arrives at the broker, in each device's
order, duplicates only with the same message id; also when the broker goes away midway and
comes back, and when the publishing API process is killed midway (SIGKILL). The operator
sees each output's state in GET /api/admin/outputs."""

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.admin.test_api import make_admin
from tests.outputs.brokers import (
    AMQP_URL,
    NATS_URL,
    AmqpQueue,
    Arrived,
    NatsServer,
    TcpProxy,
    nats_delete_stream,
    nats_received,
    require_brokers,
    unique_name,
)
from tests.support import Api, Deployment, WapizProcess, db_rows, unique_phone, wait_until

EVENTS = int(os.environ.get("WAPIZ_TEST_OUTPUT_EVENTS", "1000"))  # inbound, half to each device
ARRIVE_TIMEOUT_S = 120.0


@pytest.fixture(autouse=True)
def _brokers() -> None:
    require_brokers()


@pytest.fixture
def nats_stream() -> Iterator[tuple[str, str]]:
    """A stream name and subject prefix of the test's own, on the machine's NATS."""
    stream, prefix = unique_name("stream"), unique_name("p")
    yield stream, prefix
    asyncio.run(nats_delete_stream(NATS_URL, stream))


@pytest.fixture
def amqp_queue() -> Iterator[AmqpQueue]:
    """An exchange and subject prefix of the test's own, and a queue bound to them."""
    queue = AmqpQueue(unique_name("exchange"), unique_name("p"))
    asyncio.run(queue.declare())
    yield queue
    asyncio.run(queue.delete())


class Traffic:
    """Two users with a linked sandbox device each, and inbound messages sent to them over HTTP."""

    def __init__(self, api: Api, deployment: Deployment) -> None:
        self.api = api
        self.deployment = deployment
        self.devices = []  # (token, device): two accounts, a device each
        for _ in range(2):
            token, _ = api.register()
            self.devices.append((token, api.linked_device(token)))
        self.admin, _ = make_admin(api, deployment)
        self.sent = 0

    def inbound(self, count: int) -> None:
        for _ in range(count):
            token, device = self.devices[self.sent % len(self.devices)]
            response = self.api.http.post(
                f"/api/sandbox/devices/{device['id']}/inbound", headers=self.api.auth(token),
                json={"from": unique_phone(), "text": f"pesan {self.sent}"})
            assert response.status_code == 202, response.text
            self.sent += 1

    def events(self) -> dict[str, tuple[uuid.UUID, int, str]]:
        """Every event recorded (once the runner stored every inbound message): id →
        (device, seq, the subject it is published under, without the prefix)."""
        url = self.deployment.database_url
        wait_until(lambda: db_rows(url, "SELECT count(*) FROM webhook_events WHERE type = "
                                        "'message.received'")[0][0] >= self.sent, 60)
        rows = db_rows(url, "SELECT e.id, e.device_id, e.seq, e.type, d.user_id, d.device_id "
                            "FROM webhook_events e JOIN devices d ON d.id = e.device_id")
        return {event_id: (uuid.UUID(str(device)), seq,
                           f"{uuid.UUID(str(user))}.{uuid.UUID(str(public))}.{event_type}")
                for event_id, device, seq, event_type, user, public in rows}

    def output(self, name: str) -> dict:
        response = self.api.http.get("/api/admin/outputs", headers=self.api.auth(self.admin))
        assert response.status_code == 200, response.text
        [output] = [o for o in response.json()["items"] if o["name"] == name]
        return output

    def wait_output(self, name: str, predicate: Callable[[dict], bool],
                    timeout: float = 60) -> dict:
        def matching() -> dict | None:
            output = self.output(name)
            return output if predicate(output) else None

        return wait_until(matching, timeout, interval=0.2)


def assert_all_arrived(arrived: list[Arrived], events: dict[str, tuple[uuid.UUID, int, str]],
                       prefix: str) -> None:
    """Every event, under its subject; a repeat only with the same id and body; each device's
    events (first copies) in the order they happened."""
    ids = [message.message_id for message in arrived]
    assert set(ids) == set(events), (len(set(ids)), len(events), len(set(ids) - set(events)))
    first: dict[str, Arrived] = {}
    last_seq: dict[uuid.UUID, int] = {}
    for message in arrived:
        device, seq, subject = events[message.message_id]
        assert message.subject == f"{prefix}.{subject}"
        if message.message_id in first:
            assert message.body == first[message.message_id].body
            continue
        first[message.message_id] = message
        assert seq > last_seq.get(device, 0), f"device {device}: {seq} after {last_seq[device]}"
        last_seq[device] = seq


def _until_all(read: Callable[[], list[Arrived]], expected: int) -> list[Arrived]:
    arrived = read()
    assert len({message.message_id for message in arrived}) >= expected, len(arrived)
    return arrived


def _start(deployment: Deployment, **outputs: str) -> tuple[WapizProcess, Api]:
    server = deployment.api(**outputs)
    deployment.runner("runner-1")
    return server, Api(server.url)


@pytest.mark.timeout(600)
def test_nats_output_survives_the_broker_stopping_midway(
        migrated: Deployment, nats_stream: tuple[str, str], tmp_path: Path) -> None:
    stream, prefix = nats_stream
    broker = NatsServer(tmp_path)  # our own, to stop: the machine's is not ours
    broker.start()
    try:
        _, api = _start(migrated, events_nats_url=broker.url, events_nats_stream=stream,
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
        arrived = _until_all(lambda: asyncio.run(nats_received(
            broker.url, stream, prefix, len(events), ARRIVE_TIMEOUT_S)), len(events))
        assert_all_arrived(arrived, events, prefix)
    finally:
        broker.stop()


@pytest.mark.timeout(600)
def test_amqp_output_survives_the_broker_going_away_midway(
        migrated: Deployment, amqp_queue: AmqpQueue) -> None:
    proxy = TcpProxy(5672)  # in front of the machine's RabbitMQ, which is not ours to stop
    proxy.start()
    try:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
        _, api = _start(migrated, events_amqp_url=url,
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
        arrived = _until_all(lambda: asyncio.run(amqp_queue.received(
            len(events), ARRIVE_TIMEOUT_S)), len(events))
        assert_all_arrived(arrived, events, amqp_queue.prefix)
    finally:
        proxy.cut()


@pytest.mark.timeout(600)
def test_outputs_survive_the_publishing_process_killed_midway(
        migrated: Deployment, nats_stream: tuple[str, str], amqp_queue: AmqpQueue) -> None:
    stream, prefix = nats_stream[0], amqp_queue.prefix  # the queue is bound to this prefix
    outputs = {"events_nats_url": NATS_URL, "events_nats_stream": stream,
               "events_amqp_url": AMQP_URL, "events_amqp_exchange": amqp_queue.exchange,
               "events_prefix": prefix}
    publisher, api = _start(migrated, **outputs)
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
    arrived = _until_all(lambda: asyncio.run(nats_received(
        NATS_URL, stream, prefix, len(events), ARRIVE_TIMEOUT_S)), len(events))
    assert_all_arrived(arrived, events, prefix)
    arrived = _until_all(lambda: asyncio.run(amqp_queue.received(
        len(events), ARRIVE_TIMEOUT_S)), len(events))
    assert_all_arrived(arrived, events, prefix)
