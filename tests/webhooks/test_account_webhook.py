"""The account's webhook end to end over HTTP: every device's events, each naming its
device, in order; its own secret, deliveries and redelivery; beside a device's webhook."""

import json
from collections.abc import Iterator

import pytest

from tests.support import Api, Deployment, WapizProcess, unique_phone, wait_until
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(webhook_allow_private="true", webhook_timeout_seconds="1",
                                   webhook_retry_schedule=json.dumps([0.3, 0.3]),
                                   plan_limits=json.dumps({"free": 3}))


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    with running_receiver() as account, running_receiver() as device:
        yield account, device


def inject(api: Api, token: str, device: dict, text: str) -> None:
    answer = api.http.post(f"/api/sandbox/devices/{device['id']}/inbound",
                           json={"from": "6281300000000", "text": text}, headers=api.auth(token))
    assert answer.status_code == 202, answer.text


def test_every_device_s_events_in_order_beside_a_device_webhook(
        api: Api, receivers: tuple[Receiver, Receiver]) -> None:
    account_receiver, device_receiver = receivers
    token, _ = api.register()
    first = api.linked_device(token, unique_phone())
    second = api.linked_device(token, unique_phone())
    account = api.http.patch("/api/webhook", headers=api.auth(token), json={
        "webhookUrl": account_receiver.url, "events": ["message.received"]})
    assert account.status_code == 200, account.text
    settings = account.json()
    assert settings["webhookUrl"] == account_receiver.url
    assert settings["secret"].startswith("whsec_") and settings["events"] == ["message.received"]
    assert api.http.get("/api/webhook", headers=api.auth(token)).json() == settings
    device_hook = api.http.patch(f"/api/devices/{first['id']}/webhook", headers=api.auth(token),
                                 json={"webhookUrl": device_receiver.url,
                                       "events": ["message.received"]}).json()
    assert device_hook["secret"] != settings["secret"]

    for n in range(4):
        inject(api, token, first, f"satu {n}")
        inject(api, token, second, f"dua {n}")
    received = wait_until(lambda: len(e := account_receiver.events("message.received")) == 8
                          and e, timeout=30)
    by_device: dict[str, list[str]] = {}
    for event in received:
        by_device.setdefault(event["data"]["deviceId"], []).append(event["data"]["text"])
    # Each device's events in the order they happened, each naming its device.
    assert by_device == {first["deviceId"]: [f"satu {n}" for n in range(4)],
                         second["deviceId"]: [f"dua {n}" for n in range(4)]}
    for item in list(account_receiver.received):
        item.verified_by(settings["secret"])
    # The device's own webhook got its device's events, as before.
    device_events = wait_until(
        lambda: len(e := device_receiver.events("message.received")) == 4 and e, timeout=20)
    assert [e["data"]["text"] for e in device_events] == [f"satu {n}" for n in range(4)]
    for item in list(device_receiver.received):
        item.verified_by(device_hook["secret"])

    # Each webhook lists its own deliveries.
    listed = api.http.get("/api/webhook/deliveries", headers=api.auth(token)).json()["items"]
    assert len(listed) == 8 and all(d["status"] == "succeeded" for d in listed)
    of_device = api.http.get(f"/api/devices/{first['id']}/webhook/deliveries",
                             headers=api.auth(token)).json()["items"]
    assert len(of_device) == 4
    assert not {d["id"] for d in of_device} & {d["id"] for d in listed}

    # Replay: the same event again, with the same webhook-id.
    oldest = listed[-1]
    one = api.http.get(f"/api/webhook/deliveries/{oldest['id']}", headers=api.auth(token))
    assert one.status_code == 200 and one.json()["payload"]["data"]["text"] == "satu 0"
    again = api.http.post(f"/api/webhook/deliveries/{oldest['id']}/redeliver",
                          headers=api.auth(token))
    assert again.status_code == 202, again.text
    wait_until(lambda: [r for r in account_receiver.received
                        if r.headers["webhook-id"] == oldest["eventId"]][1:], timeout=20)
    # A device's delivery is not the account's, and the other way round.
    assert api.http.get(f"/api/webhook/deliveries/{of_device[0]['id']}",
                        headers=api.auth(token)).status_code == 404
    assert api.http.get(f"/api/devices/{first['id']}/webhook/deliveries/{oldest['id']}",
                        headers=api.auth(token)).status_code == 404

    # The test event: the account's, naming no device.
    tested = api.http.post("/api/webhook/test", headers=api.auth(token))
    assert tested.status_code == 202, tested.text
    test = wait_until(lambda: account_receiver.events("webhook.test"), timeout=20)[0]
    assert test["data"]["deviceId"] is None and test["data"]["message"]
    recovered = api.http.post("/api/webhook/recover", headers=api.auth(token),
                              json={"since": "2020-01-01T00:00:00Z"})
    assert recovered.status_code == 202 and recovered.json()["recovered"] == 0

    # Another account: a webhook of its own, nothing of this one's.
    other, _ = api.register()
    theirs = api.http.get("/api/webhook", headers=api.auth(other)).json()
    assert theirs["webhookUrl"] is None and theirs["secret"] != settings["secret"]
    assert api.http.get(f"/api/webhook/deliveries/{oldest['id']}",
                        headers=api.auth(other)).status_code == 404
    assert api.http.get("/api/webhook/deliveries",
                        headers=api.auth(other)).json()["items"] == []


def test_refusals(api: Api) -> None:
    token, _ = api.register()
    assert api.http.get("/api/webhook").status_code == 401
    not_set = api.http.post("/api/webhook/test", headers=api.auth(token))
    assert not_set.status_code == 409 and not_set.json()["code"] == "webhook_not_set"
    for body in ({"webhookUrl": "ftp://example.com/x"}, {"events": ["message.nope"]},
                 {"enabled": "yes"}):
        bad = api.http.patch("/api/webhook", json=body, headers=api.auth(token))
        assert bad.status_code == 422, (body, bad.text)
    # Nothing to redeliver to yet; then no such delivery.
    assert api.http.post("/api/webhook/deliveries/nope/redeliver",
                         headers=api.auth(token)).status_code == 409
    api.http.patch("/api/webhook", json={"webhookUrl": "http://127.0.0.1:9/hook"},
                   headers=api.auth(token))
    missing = api.http.post("/api/webhook/deliveries/nope/redeliver", headers=api.auth(token))
    assert missing.status_code == 404 and missing.json()["code"] == "delivery_not_found"
    # A key limited to one device does not reach every device's events.
    device = api.create_device(token)
    key = api.http.post("/api/keys", headers=api.auth(token),
                        json={"name": "satu", "deviceId": device["deviceId"]})
    assert key.status_code == 201, key.text
    limited = api.http.get("/api/webhook", headers=api.auth(key.json()["key"]))
    assert limited.status_code == 403 and limited.json()["code"] == "key_limited_to_device"
