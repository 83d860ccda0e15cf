"""The event streams over HTTP against a real server (SQLite and PostgreSQL): what a client
sees, whose events, filters, and resuming from any point without gap or duplicate."""

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.events.streams import Event, frames, socket, sse, ws_url
from tests.messages.parties import Party, linked_party, unique_phone
from tests.support import Api, Deployment, WapizProcess, db_rows


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(plan_limits=json.dumps({"free": 3}))


@pytest.fixture
def alice(api: Api) -> Party:
    return linked_party(api, unique_phone())


def inject(api: Api, party: Party, text: str, device: dict | None = None) -> None:
    target = device or party.device
    answer = api.http.post(f"/api/sandbox/devices/{target['id']}/inbound",
                           json={"from": "6281300000000", "text": text},
                           headers=api.auth(party.token))
    assert answer.status_code == 202, answer.text


def device_key(deployment: Deployment, device: dict) -> str:
    """A device's `id` as its rows hold it (SQLite: 32 hex digits)."""
    return device["id"].replace("-", "") if deployment.backend == "sqlite" else device["id"]


def table(deployment: Deployment, device: dict, after: str | None = None,
          kind: str = "message.received") -> list[tuple[str, str]]:
    """The device's events of a type as stored after the event `after`, in order: (id, body)."""
    rows = db_rows(deployment.database_url,
                   "SELECT id, body, type FROM webhook_events WHERE device_id = :device "
                   "ORDER BY seq", device=device_key(deployment, device))
    start = [row[0] for row in rows].index(after) + 1 if after else 0
    return [(row[0], row[1]) for row in rows[start:] if row[2] == kind]


def newest_event(deployment: Deployment, device: dict) -> str:
    rows = db_rows(deployment.database_url,
                   "SELECT id FROM webhook_events WHERE device_id = :device ORDER BY seq DESC "
                   "LIMIT 1", device=device_key(deployment, device))
    return str(rows[0][0])


def test_an_event_arrives_with_its_webhook_id_type_and_body(
        api: Api, alice: Party, shared_deployment: Deployment) -> None:
    with sse(api, alice.token, type="message.received") as events:
        threading.Timer(0.5, inject, (api, alice, "halo")).start()
        event = next(events)
    [(stored_id, body)] = table(shared_deployment, alice.device)[-1:]
    assert event.id == stored_id and event.type == "message.received"
    assert event.data["data"]["text"] == "halo"
    assert event.data["data"]["deviceId"] == alice.device["deviceId"]
    assert event.data == json.loads(body)


def test_filters_tenants_and_a_device_key_see_only_their_events(
        api: Api, alice: Party, shared_deployment: Deployment) -> None:
    second = api.linked_device(alice.token)
    bob = linked_party(api, unique_phone())
    key = api.http.post("/api/keys", json={"name": "satu", "deviceId": second["deviceId"]},
                        headers=api.auth(alice.token))
    assert key.status_code == 201, key.text
    start = {name: newest_event(shared_deployment, device)
             for name, device in (("a1", alice.device), ("a2", second), ("b", bob.device))}

    def burst() -> None:
        for n in range(3):
            inject(api, alice, f"satu {n}")
            inject(api, alice, f"dua {n}", second)
            inject(api, bob, f"bob {n}")

    burst()
    seen: dict[str, list[Event]] = {}
    for name, token, params in (
            ("alice", alice.token, {}),
            ("first", alice.token, {"deviceId": alice.device["deviceId"]}),
            ("both", alice.token, {"deviceId": [alice.device["deviceId"], second["deviceId"]],
                                   "type": "message.received"}),
            ("key", key.json()["key"], {"type": ["message.received", "device.status"]}),
            ("bob", bob.token, {"type": "message.received"})):
        # From before the burst: the stored events, read back as a resume reads them.
        # (The key reaches only its device: resuming from another's event is refused.)
        after = {"bob": start["b"], "key": start["a2"]}.get(name, min(
            start["a1"], start["a2"], key=lambda i: db_rows(
                shared_deployment.database_url,
                "SELECT seq FROM webhook_events WHERE id = :id", id=i)[0][0]))
        with sse(api, token, after=after, read_timeout=3, **params) as events:
            seen[name] = []
            try:
                for event in events:
                    seen[name].append(event)
            except Exception:  # the read timeout: nothing more is coming
                pass

    def texts(name: str) -> list[str]:
        return [event.data["data"]["text"] for event in seen[name]
                if event.type == "message.received"]

    assert texts("alice") == [t for n in range(3) for t in (f"satu {n}", f"dua {n}")]
    assert texts("first") == [f"satu {n}" for n in range(3)]
    assert {event.data["data"]["deviceId"] for event in seen["first"]} == {
        alice.device["deviceId"]}
    assert texts("both") == texts("alice")
    assert {event.type for event in seen["both"]} == {"message.received"}
    assert texts("key") == [f"dua {n}" for n in range(3)]
    assert {event.data["data"]["deviceId"] for event in seen["key"]} == {second["deviceId"]}
    assert texts("bob") == [f"bob {n}" for n in range(3)]


def test_refusals(api: Api, alice: Party, shared_deployment: Deployment) -> None:
    bob = linked_party(api, unique_phone())
    bobs_event = newest_event(shared_deployment, bob.device)
    auth = api.auth(alice.token)
    for params, headers, status, code in (
            ({}, {}, 401, None),
            ({"after": "msg_" + "0" * 32}, auth, 410, "event_gone"),
            ({"after": bobs_event}, auth, 410, "event_gone"),  # another account's
            ({}, auth | {"Last-Event-ID": bobs_event}, 410, "event_gone"),
            ({"deviceId": bob.device["deviceId"]}, auth, 404, "device_not_found"),
            ({"deviceId": "not-a-uuid"}, auth, 404, "device_not_found"),
            ({"type": "message.nope"}, auth, 422, "validation_failed"),
            ({"deviceId": [alice.device["deviceId"]] * 51}, auth, 422, "validation_failed")):
        # (A key limited to one device resuming from another device's event: 410 too.)
        answer = api.http.get("/api/events", params=params, headers=headers)
        assert answer.status_code == status, (params, answer.text)
        assert code is None or answer.json()["code"] == code
    with pytest.raises(InvalidStatus) as refused, socket(api, alice.token, after=bobs_event):
        pass
    assert refused.value.response.status_code == 410
    assert json.loads(refused.value.response.body)["code"] == "event_gone"
    with pytest.raises(InvalidStatus) as refused, socket(api, "wrong"):
        pass
    assert refused.value.response.status_code == 401
    # The cookie opens a WebSocket from our own pages only: browsers send it with any site's.
    cookie = {"Cookie": f"wa_token={alice.token}"}
    with pytest.raises(InvalidStatus) as refused, connect(
            ws_url(api), additional_headers=cookie | {"Origin": "https://elsewhere.example"}):
        pass
    assert refused.value.response.status_code == 403
    with connect(ws_url(api, type="message.received"),
                 additional_headers=cookie | {"Origin": api.url}) as connection:
        connection.send(b"\x00 a binary frame, ignored")
        connection.send("not JSON, ignored")
        inject(api, alice, "lewat cookie")
        frame = next(frames(connection))
        assert frame["type"] == "message.received"
        assert frame["data"]["text"] == "lewat cookie"


BURST = 1000


@pytest.mark.timeout(600)  # a thousand inbound messages through the sandbox, on a busy machine
def test_reconnecting_at_random_points_of_a_burst_sees_the_table_exactly_once(
        api: Api, alice: Party, shared_deployment: Deployment) -> None:
    start = newest_event(shared_deployment, alice.device)
    rng = random.Random(16)
    injecting = ThreadPoolExecutor(3)
    try:
        done = [injecting.submit(inject, api, alice, f"pesan {n}") for n in range(BURST)]
        received: list[Event] = []
        last = start
        connections = 0
        while len(received) < BURST:
            cut = rng.randint(1, 120)
            connections += 1
            with sse(api, alice.token, last_event_id=last, type="message.received") as events:
                for event in events:
                    received.append(event)
                    last = event.id  # type: ignore[assignment]
                    cut -= 1
                    if not cut or len(received) >= BURST:
                        break
        for future in done:
            future.result()
    finally:
        injecting.shutdown()
    stored = table(shared_deployment, alice.device, after=start)
    assert [event.id for event in received] == [event_id for event_id, _ in stored]
    assert [event.data for event in received] == [json.loads(body) for _, body in stored]
    assert connections > 10


@pytest.mark.timeout(300)
def test_the_websocket_resumes_the_same_way(api: Api, alice: Party,
                                            shared_deployment: Deployment) -> None:
    start = newest_event(shared_deployment, alice.device)
    count = 300
    rng = random.Random(17)
    injecting = ThreadPoolExecutor(2)
    try:
        done = [injecting.submit(inject, api, alice, f"ws {n}") for n in range(count)]
        received: list[dict] = []
        last = start
        while len(received) < count:
            cut = rng.randint(1, 60)
            with socket(api, alice.token, after=last, type="message.received") as connection:
                for frame in frames(connection):
                    received.append(frame)
                    last = frame["id"]
                    connection.send(json.dumps({"ack": last}))
                    cut -= 1
                    if not cut or len(received) >= count:
                        break
        for future in done:
            future.result()
    finally:
        injecting.shutdown()
    stored = table(shared_deployment, alice.device, after=start)
    assert [frame["id"] for frame in received] == [event_id for event_id, _ in stored]
    assert [{key: value for key, value in frame.items() if key != "id"} for frame in received
            ] == [json.loads(body) for _, body in stored]
