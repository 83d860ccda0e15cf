"""What the broker output tests share (a file each, so xdist spreads them): two accounts'
sandbox devices and inbound messages sent to them over HTTP, and the check that every event
arrived at the broker in each device's order, repeats only under the same message id. The
operator sees each output's state in GET /api/admin/outputs."""

import os
import uuid
from collections.abc import Callable

from tests.admin.test_api import make_admin
from tests.outputs.brokers import (
    Arrived,
)
from tests.support import Api, Deployment, WapizProcess, db_rows, unique_phone, wait_until

EVENTS = int(os.environ.get("WAPIZ_TEST_OUTPUT_EVENTS", "1000"))  # inbound, half to each device
ARRIVE_TIMEOUT_S = 120.0


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


def until_all(read: Callable[[], list[Arrived]], expected: int) -> list[Arrived]:
    arrived = read()
    assert len({message.message_id for message in arrived}) >= expected, len(arrived)
    return arrived


def start_api(deployment: Deployment, **outputs: str) -> tuple[WapizProcess, Api]:
    server = deployment.api(**outputs)
    deployment.runner("runner-1")
    return server, Api(server.url)


