"""Webhooks end to end over HTTP: a real server, the sandbox, and a receiver on loopback
that checks every delivery with the Standard Webhooks library."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.messages.parties import Party, linked_party, send, unique_phone
from tests.support import Api, Deployment, WapizProcess, wait_until
from tests.webhooks.receiver import Receiver, running_receiver

RETRIES = [0.3, 0.3, 0.5]  # seconds: a short schedule, spent in about a second


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(webhook_allow_private="true", webhook_timeout_seconds="1",
                                   webhook_retry_schedule=json.dumps(RETRIES))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def pair(api: Api) -> tuple[Party, Party]:
    return linked_party(api, unique_phone()), linked_party(api, unique_phone())


@pytest.fixture
def bob(api: Api) -> Party:
    return linked_party(api, unique_phone())


def hook(api: Api, party: Party, **body: object) -> dict:
    answer = api.http.patch(f"/api/devices/{party.device['id']}/webhook", json=body,
                            headers=api.auth(party.token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def deliveries(api: Api, party: Party, **params: object) -> list[dict]:
    answer = api.http.get(f"/api/devices/{party.device['id']}/webhook/deliveries",
                          params=params, headers=api.auth(party.token))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def inject(api: Api, party: Party, text: str, sender: str = "6281300000000") -> None:
    answer = api.http.post(f"/api/sandbox/devices/{party.device['id']}/inbound",
                           json={"from": sender, "text": text}, headers=api.auth(party.token))
    assert answer.status_code == 202, answer.text


def test_events_arrive_signed_and_in_order(api: Api, pair: tuple[Party, Party],
                                           receiver: Receiver) -> None:
    alice, bob = pair
    settings = hook(api, bob, webhookUrl=receiver.url)
    assert settings["ok"] is True and settings["webhookUrl"] == receiver.url
    assert settings["secret"].startswith("whsec_") and settings["enabled"] is True
    assert settings["events"] is None
    got = api.http.get(f"/api/devices/{bob.device['id']}/webhook",
                       headers=api.auth(bob.token)).json()
    assert got["secret"] == settings["secret"]
    hook(api, alice, webhookUrl=receiver.url)
    alice_secret = api.http.get(f"/api/devices/{alice.device['id']}/webhook",
                                headers=api.auth(alice.token)).json()["secret"]
    assert alice_secret != settings["secret"]  # each device its own

    for n in range(5):
        send(api, alice, to=bob.phone, text=f"pesan {n}")
    received = wait_until(lambda: len(e := receiver.events("message.received")) == 5 and e,
                          timeout=20)
    # Bob's device: in the order they happened, with the sender both ways.
    assert [e["data"]["text"] for e in received] == [f"pesan {n}" for n in range(5)]
    first = received[0]["data"]
    assert first["from"] == alice.phone and first["fromJid"] == f"{alice.phone}@s.whatsapp.net"
    assert first["deviceId"] == bob.device["deviceId"] and first["direction"] == "inbound"
    # Alice's device hears of her messages' progress.
    wait_until(lambda: len(receiver.events("message.updated")) >= 10, timeout=20)
    statuses = {e["data"]["status"] for e in receiver.events("message.updated")}
    assert {"sent", "delivered"} <= statuses

    # Every delivery verifies with the device's secret, unchanged.
    by_device = {bob.device["deviceId"]: settings["secret"],
                 alice.device["deviceId"]: alice_secret}
    for item in list(receiver.received):
        event = item.verified_by(by_device[item.event["data"]["deviceId"]])
        assert set(event) == {"type", "timestamp", "data"}
        assert item.headers["webhook-id"].startswith("msg_")

    # The phone removes the device: its status goes out too.
    api.http.post(f"/api/sandbox/devices/{bob.device['id']}/unlink",
                  headers=api.auth(bob.token))
    status = wait_until(lambda: receiver.events("device.status"), timeout=15)
    assert status[-1]["data"]["status"] == "logged_out"
    assert status[-1]["data"]["reason"] == "removed_from_phone"

    logged = deliveries(api, bob)
    assert all(d["status"] == "succeeded" and d["log"][0]["statusCode"] == 200 for d in logged)
    assert logged[0]["type"] == "device.status"  # newest first


def test_a_receiver_down_for_a_while_gets_everything(
        api: Api, bob: Party, receiver: Receiver) -> None:
    hook(api, bob, webhookUrl=receiver.url, events=["message.received"])
    receiver.answer = lambda _: (503, {}, b"maintenance")
    for n in range(10):
        inject(api, bob, f"saat mati {n}")
    wait_until(lambda: len({r.headers["webhook-id"] for r in receiver.received}) >= 10,
               timeout=20)
    receiver.answer = lambda _: (200, {}, b"ok")
    ok_ids = wait_until(lambda: len(s := {d["eventId"] for d in deliveries(api, bob)
                                          if d["status"] == "succeeded"}) == 10 and s,
                        timeout=30)
    texts = {r.event["data"]["text"] for r in receiver.received}
    assert texts == {f"saat mati {n}" for n in range(10)}
    # Duplicates, when any, carry the same webhook-id (the receiver's idempotency key).
    assert {r.headers["webhook-id"] for r in receiver.received} == ok_ids
    retried = [d for d in deliveries(api, bob) if d["attempts"] > 1]
    assert retried and retried[0]["log"][0]["statusCode"] == 503
    assert retried[0]["log"][0]["responseBody"] == "maintenance"


def test_failures_are_logged_and_can_be_sent_again(
        api: Api, bob: Party, receiver: Receiver) -> None:
    hook(api, bob, webhookUrl=receiver.url)
    long_answer = b"x" * 5000
    receiver.answer = lambda _: (500, {}, long_answer)
    inject(api, bob, "gagal terus")
    [failed] = wait_until(lambda: deliveries(api, bob, status="failed"), timeout=20)
    assert failed["attempts"] == len(RETRIES) + 1 and failed["lastStatusCode"] == 500
    assert len(failed["log"]) == len(RETRIES) + 1
    assert all(a["responseBody"] == "x" * 2048 and a["durationMs"] >= 0 for a in failed["log"])

    receiver.answer = lambda _: (200, {}, b"ok")
    again = api.http.post(f"/api/devices/{bob.device['id']}/webhook/deliveries/"
                          f"{failed['id']}/redeliver", headers=api.auth(bob.token))
    assert again.status_code == 202 and again.json()["status"] == "pending"
    wait_until(lambda: deliveries(api, bob)[0]["status"] == "succeeded", timeout=15)
    one = api.http.get(f"/api/devices/{bob.device['id']}/webhook/deliveries/{failed['id']}",
                       headers=api.auth(bob.token)).json()
    assert one["payload"]["data"]["text"] == "gagal terus"
    assert one["log"][-1]["statusCode"] == 200

    # Many failures at once, recovered in one call.
    receiver.answer = lambda _: (500, {}, b"")
    for n in range(3):
        inject(api, bob, f"gagal {n}")
    wait_until(lambda: len(deliveries(api, bob, status="failed")) == 3, timeout=20)
    receiver.answer = lambda _: (200, {}, b"ok")
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    recovered = api.http.post(f"/api/devices/{bob.device['id']}/webhook/recover",
                              json={"since": since}, headers=api.auth(bob.token))
    assert recovered.status_code == 202 and recovered.json()["recovered"] == 3
    wait_until(lambda: not deliveries(api, bob, status="failed")
               and not deliveries(api, bob, status="pending"), timeout=15)


def test_redirects_timeouts_and_gone(
        api: Api, bob: Party, receiver: Receiver) -> None:
    hook(api, bob, webhookUrl=receiver.url, events=["message.received"])
    receiver.answer = lambda _: (302, {"Location": receiver.url + "/lain"}, b"")
    inject(api, bob, "dialihkan")
    [moved] = wait_until(lambda: deliveries(api, bob, status="failed"), timeout=20)
    assert moved["log"][0]["error"] == "redirect (HTTP 302) not followed"
    assert all(r.headers.get("webhook-id") == moved["eventId"] for r in receiver.received)

    receiver.answer = lambda _: (200, {}, b"ok")
    receiver.delay_s = 1.5  # longer than WAPIZ_WEBHOOK_TIMEOUT_SECONDS
    inject(api, bob, "lambat")
    slow = wait_until(lambda: [d for d in deliveries(api, bob) if d["log"]
                               and d["log"][0]["error"] and "within" in d["log"][0]["error"]],
                      timeout=20)
    assert slow[0]["log"][0]["error"] == "no answer within 1s"
    receiver.delay_s = 0

    receiver.answer = lambda _: (410, {}, b"gone")
    inject(api, bob, "sudah tidak ada")
    settings = wait_until(lambda: not (s := api.http.get(
        f"/api/devices/{bob.device['id']}/webhook", headers=api.auth(bob.token)).json()
    )["enabled"] and s, timeout=20)
    assert "410" in settings["disabledReason"]
    before = len(receiver.received)
    inject(api, bob, "tidak terkirim")
    test = api.http.post(f"/api/devices/{bob.device['id']}/webhook/test",
                         headers=api.auth(bob.token))
    assert test.status_code == 409
    assert len(receiver.received) == before
    # Turned on again, the endpoint gets new events.
    receiver.answer = lambda _: (200, {}, b"ok")
    assert hook(api, bob, enabled=True)["enabled"] is True
    inject(api, bob, "kembali")
    wait_until(lambda: any(e["data"]["text"] == "kembali"
                           for e in receiver.events("message.received")), timeout=15)


def test_secret_rotation_signs_with_both_for_a_day(
        api: Api, bob: Party, receiver: Receiver) -> None:
    old = hook(api, bob, webhookUrl=receiver.url)["secret"]
    rotated = api.http.post(f"/api/devices/{bob.device['id']}/webhook/secret",
                            headers=api.auth(bob.token)).json()
    new = rotated["secret"]
    assert new != old and rotated["previousSecretExpiresAt"]
    test = api.http.post(f"/api/devices/{bob.device['id']}/webhook/test",
                         headers=api.auth(bob.token))
    assert test.status_code == 202
    [got] = wait_until(lambda: [r for r in receiver.received
                                if r.event["type"] == "webhook.test"], timeout=15)
    assert got.headers["webhook-id"] == test.json()["eventId"]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert got.verified_by(old) == got.verified_by(new)


def test_the_event_filter(api: Api, pair: tuple[Party, Party], receiver: Receiver) -> None:
    alice, bob = pair
    settings = hook(api, alice, webhookUrl=receiver.url, events=["message.updated"])
    assert settings["events"] == ["message.updated"]
    inject(api, alice, "tidak diminta")
    send(api, alice, to=bob.phone, text="diminta")
    wait_until(lambda: receiver.events("message.updated"), timeout=15)
    assert receiver.events("message.received") == []
    everything = hook(api, alice, events=None)
    assert everything["events"] is None and everything["webhookUrl"] == receiver.url
    bad = api.http.patch(f"/api/devices/{alice.device['id']}/webhook",
                         json={"events": ["message.deleted"]}, headers=api.auth(alice.token))
    assert bad.status_code == 422


def test_webhooks_of_others_are_out_of_reach(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    for method, path in (("get", "webhook"), ("post", "webhook/secret"),
                         ("post", "webhook/test"), ("get", "webhook/deliveries")):
        answer = api.http.request(method.upper(), f"/api/devices/{bob.device['id']}/{path}",
                                  headers=api.auth(alice.token))
        assert answer.status_code == 404, (path, answer.text)
