"""Any API node answers any request, on PostgreSQL with two `wapiz api` processes: what
needs the live session reaches the runner holding the device through the database, whichever
node is asked; with no runner holding the device the answer is a 503 with Retry-After, at
once, or moments after its holder is lost; and the webhook dispatchers of both nodes deliver
every event once, in each device's order."""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import PG_ENV, Api, Deployment, db_rows, unique_phone, wait_until
from tests.webhooks.receiver import running_receiver

pytestmark = pytest.mark.timeout(300)

RUNNER = {"lease_ttl_seconds": "4", "runner_poll_seconds": "0.5"}
PLANS = '{"free": 3}'
INBOUND_EACH = 25


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    if not os.environ.get(PG_ENV):
        pytest.skip(f"several API nodes share one PostgreSQL database: set {PG_ENV}")
    deployment = Deployment("postgresql", tmp_path)
    try:
        yield deployment
    finally:
        deployment.close()


def _status(api: Api, token: str, device_id: str) -> str:
    return str(api.status(token, device_id)["status"])


def test_either_node_reaches_the_owning_runner_or_says_503(deployment: Deployment) -> None:
    deployment.migrate()
    apis = [Api(deployment.api(plan_limits=PLANS).url) for _ in range(2)]
    runner = deployment.runner("owner", **RUNNER)
    token, _ = apis[0].register()
    auth = Api.auth(token)
    phones = [unique_phone(), unique_phone()]
    linked = [apis[0].linked_device(token, phone) for phone in phones]
    pairing = apis[1].create_device(token)
    wait_until(lambda: _status(apis[1], token, pairing["id"]) == "connected", 30)

    for node, api in enumerate(apis):
        code = api.http.post(f"/api/devices/{pairing['id']}/pair", headers=auth,
                             json={"phone": unique_phone()})
        assert code.status_code == 200 and "-" in code.json()["code"], code.text
        check = api.http.post(f"/api/devices/{linked[0]['id']}/check", headers=auth,
                              json={"phones": [phones[1], "6281999999999"]})
        assert check.status_code == 200, check.text
        assert [r["onWhatsapp"] for r in check.json()["results"]] == [True, False]
        group = api.http.post(f"/api/devices/{linked[0]['id']}/groups", headers=auth,
                              json={"subject": f"node {node}", "participants": [phones[1]]})
        assert group.status_code == 201, group.text
        listed = api.http.get(f"/api/devices/{linked[1]['id']}/groups", headers=auth)
        assert f"node {node}" in [g["subject"] for g in listed.json()["items"]], listed.text
    # Every request was answered and read: none is left behind.
    assert db_rows(deployment.database_url, "SELECT COUNT(*) FROM device_requests") == [(0,)]

    # Both nodes' dispatchers at work on one burst: each event once, each device in order.
    with running_receiver() as receiver:
        for device in linked:
            hooked = apis[0].http.patch(f"/api/devices/{device['id']}/webhook", headers=auth,
                                        json={"webhookUrl": receiver.url,
                                              "events": ["message.received"]})
            assert hooked.status_code == 200, hooked.text
        injected: dict[str, list[str]] = {device["deviceId"]: [] for device in linked}
        for index in range(INBOUND_EACH):
            for device in linked:
                sent = apis[index % 2].http.post(
                    f"/api/sandbox/devices/{device['id']}/inbound", headers=auth,
                    json={"from": "6281999000222", "text": f"m{index}"})
                assert sent.status_code == 202, sent.text
                injected[device["deviceId"]].append(sent.json()["waMessageId"])
        wait_until(lambda: len(receiver.events("message.received")) >= 2 * INBOUND_EACH, 60)
        time.sleep(1.5)  # a repeat would come now
        with receiver.lock:
            ids = [r.headers["webhook-id"] for r in receiver.received]
        assert len(ids) == len(set(ids)) == 2 * INBOUND_EACH
        for device_id, wa_ids in injected.items():
            arrived = [e["data"]["waMessageId"] for e in receiver.events("message.received")
                       if e["data"]["deviceId"] == device_id]
            assert arrived == wa_ids

    # No runner: either node says so at once.
    runner.stop()
    for api in apis:
        started = time.monotonic()
        answer = api.http.post(f"/api/devices/{linked[0]['id']}/check", headers=auth,
                               json={"phones": [phones[1]]})
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "runner_unavailable"
        assert int(answer.headers["Retry-After"]) > 0
        assert time.monotonic() - started < 2

    # A holder lost mid-request (killed here; to the API a runner cut off is the same: a
    # lease nobody renews), and no other runner: a 503 soon after its lease lapses, not
    # after the request's whole wait (40 s for a number check).
    second = deployment.runner("second", **RUNNER)
    wait_until(lambda: _status(apis[0], token, linked[0]["id"]) == "logged_in", 30)
    os.killpg(second.pid, signal.SIGKILL)
    started = time.monotonic()
    answer = apis[1].http.post(f"/api/devices/{linked[0]['id']}/check", headers=auth,
                               json={"phones": [phones[1]]}, timeout=60)
    waited = time.monotonic() - started
    assert answer.status_code == 503 and answer.json()["code"] == "runner_unavailable", \
        answer.text
    assert waited < float(RUNNER["lease_ttl_seconds"]) + 3 + 3, waited
    for api in apis:
        api.close()
