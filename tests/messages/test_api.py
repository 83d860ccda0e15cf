"""Messages end to end on the sandbox: two users' devices talk to each other over HTTP."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from tests.messages.parties import (
    Party,
    inbox,
    inbox_all,
    linked_party,
    message,
    send,
    unique_phone,
)
from tests.support import Api, Deployment, WapizProcess, wait_until


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    """With default settings: `mediaUrl` may not reach private addresses."""
    return shared_deployment.serve(media_allow_private="false")


@pytest.fixture
def pair(api: Api) -> tuple[Party, Party]:
    return linked_party(api, unique_phone()), linked_party(api, unique_phone())


def test_a_text_goes_from_one_user_to_another(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    local = "0" + bob.phone[2:]  # 0812… as people write it
    accepted = send(api, alice, to=local, text="Halo Bob")
    assert accepted["status"] == "queued" and accepted["direction"] == "outbound"
    assert accepted["to"] == bob.phone and accepted["chat"] == f"{bob.phone}@s.whatsapp.net"
    assert accepted["deviceId"] == alice.device["deviceId"] and accepted["waMessageId"]

    done = wait_until(lambda: (m := message(api, alice, accepted["id"]))["status"]
                      == "delivered" and m, timeout=15)
    assert done["sentAt"] and done["deliveredAt"] >= done["sentAt"]
    [received] = wait_until(lambda: inbox(api, bob), timeout=10)
    assert received["from"] == alice.phone and received["text"] == "Halo Bob"
    assert received["status"] == "received" and received["waMessageId"] == done["waMessageId"]
    assert received["deviceId"] == bob.device["deviceId"]
    # Each user sees only their own messages.
    assert message(api, bob, accepted["id"]) == {"error": "Pesan tidak ditemukan",
                                                  "code": "message_not_found"}


def test_every_type_arrives(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    first = send(api, alice, to=bob.phone, text="Pilih satu")
    wait_until(lambda: message(api, alice, first["id"])["status"] == "delivered", timeout=15)
    sent = [
        send(api, alice, to=bob.phone, type="location",
             location={"latitude": -6.1754, "longitude": 106.8272, "name": "Monas"}),
        send(api, alice, to=bob.phone, type="contact",
             contact={"displayName": "Siti", "vcard": "BEGIN:VCARD\nFN:Siti\nEND:VCARD"}),
        send(api, alice, to=bob.phone, type="poll",
             poll={"name": "Makan?", "options": ["Nasi", "Mie"]}),
        send(api, alice, to=bob.phone, type="reaction",
             reaction={"messageId": first["id"], "emoji": "👍"}),
        send(api, alice, to=bob.phone, text="Balasan", quotedMessageId=first["id"]),
    ]
    got = wait_until(lambda: len(m := inbox(api, bob)) == 6 and m, timeout=20)
    by_type = {item["type"]: item for item in got if item["text"] != "Pilih satu"}
    assert by_type["location"]["location"]["name"] == "Monas"
    assert by_type["contact"]["contact"]["displayName"] == "Siti"
    assert by_type["poll"]["poll"]["options"] == ["Nasi", "Mie"]
    assert by_type["reaction"]["reaction"] == {"targetWaMessageId": first["waMessageId"],
                                               "emoji": "👍"}
    assert by_type["text"]["text"] == "Balasan"
    # Order of acceptance is the order of sending.
    statuses = [message(api, alice, s["id"]) for s in sent]
    sent_at = [s["sentAt"] for s in statuses]
    assert sent_at == sorted(sent_at)


def test_an_idempotent_retry_sends_once(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    body = {"deviceId": alice.device["deviceId"], "to": bob.phone, "text": "Sekali saja"}
    headers = {**api.auth(alice.token), "Idempotency-Key": "order-42"}
    first = api.http.post("/api/messages", json=body, headers=headers)
    again = api.http.post("/api/messages", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    other = api.http.post("/api/messages", json={**body, "text": "lain"}, headers=headers)
    assert other.status_code == 422
    wait_until(lambda: inbox(api, bob), timeout=15)
    assert len(inbox(api, bob)) == 1
    # Keys are per user: another user's same key is a different message.
    carol = linked_party(api, unique_phone())
    mine = api.http.post("/api/messages", json={**body, "deviceId": carol.device["deviceId"]},
                         headers={**api.auth(carol.token), "Idempotency-Key": "order-42"})
    assert mine.status_code == 202 and mine.json()["id"] != first.json()["id"]


def test_concurrent_retries_under_one_key_send_once(api: Api,
                                                    pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    body = {"deviceId": alice.device["deviceId"], "to": bob.phone, "text": "Serentak"}
    headers = {**api.auth(alice.token), "Idempotency-Key": "order-race"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: api.http.post("/api/messages", json=body,
                                                        headers=headers), range(16)))
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.json()["id"] for answer in answers}) == 1
    wait_until(lambda: inbox(api, bob), timeout=15)
    time.sleep(1)
    assert [m["text"] for m in inbox(api, bob)] == ["Serentak"]


def test_many_sends_at_once_are_each_accepted_and_sent(api: Api,
                                                       pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    texts = [f"pesan {n}" for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda text: api.http.post(
            "/api/messages", json={"deviceId": alice.device["deviceId"], "to": bob.phone,
                                   "text": text}, headers=api.auth(alice.token)), texts))
    assert [answer.status_code for answer in answers] == [202] * len(texts)
    assert len({answer.json()["id"] for answer in answers}) == len(texts)
    wait_until(lambda: len(inbox_all(api, bob)) == len(texts), timeout=30)
    assert sorted(m["text"] for m in inbox_all(api, bob)) == sorted(texts)


def test_a_deleted_device_takes_no_more_sends(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    body = {"deviceId": alice.device["deviceId"], "to": bob.phone, "text": "sebelum"}
    assert api.http.post("/api/messages", json=body,
                         headers=api.auth(alice.token)).status_code == 202
    deleted = api.http.delete(f"/api/devices/{alice.device['id']}", headers=api.auth(alice.token))
    assert deleted.status_code == 200
    after = api.http.post("/api/messages", json={**body, "text": "sesudah"},
                          headers=api.auth(alice.token))
    assert after.status_code == 404
    assert after.json() == {"error": "Device tidak ditemukan", "code": "device_not_found"}


def test_bad_requests(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    url, headers = "/api/messages", api.auth(alice.token)
    device = alice.device["deviceId"]
    for body in (
        {"deviceId": device, "to": "12", "text": "x"},  # not a number
        {"deviceId": device, "to": "abc@g.us", "text": "x"},  # not a group id
        {"deviceId": device, "to": bob.phone},  # a text needs text
        {"deviceId": device, "to": bob.phone, "text": "x", "poll": {"name": "a",
                                                                    "options": ["1", "2"]}},
        {"deviceId": device, "to": bob.phone, "type": "fax", "text": "x"},
        {"deviceId": device, "to": bob.phone, "type": "location",
         "location": {"latitude": 91, "longitude": 0}},
        {"deviceId": device, "to": bob.phone, "text": "x", "sendAt": "2030-01-01T00:00:00"},
        {"deviceId": device, "to": bob.phone, "text": "x", "color": "red"},
    ):
        answer = api.http.post(url, json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert "error" in answer.json()
    # Another user's device, or one that does not exist: 404.
    other = api.http.post(url, json={"deviceId": bob.device["deviceId"], "to": bob.phone,
                                     "text": "x"}, headers=headers)
    assert other.status_code == 404 and other.json() == {
        "error": "Device tidak ditemukan", "code": "device_not_found"}
    assert api.http.get("/api/messages/nope", headers=headers).status_code == 404
    assert api.http.get("/api/messages", params={"cursor": "!!"},
                        headers=headers).status_code == 422
    assert api.http.post(url, json={"to": bob.phone, "text": "x"}).status_code == 401


def test_media_urls_into_the_servers_own_network_are_refused(
        api: Api, pair: tuple[Party, Party]) -> None:
    """By default (no WAPIZ_MEDIA_ALLOW_PRIVATE) the server fetches only from public
    addresses: a name resolving to loopback is refused as surely as the address itself."""
    alice, bob = pair
    for url, reason, reason_en in (
            ("http://127.0.0.1:9/foto.png", "127.0.0.1 adalah alamat loopback",
             "127.0.0.1 is a loopback address"),
            ("http://localhost:9/foto.png", "alamat loopback", "a loopback address"),
            ("http://[::1]:9/foto.png", "::1 adalah alamat loopback", "::1 is a loopback address"),
            ("http://[fec0::1]:9/foto.png", "fec0::1 adalah alamat site-local",
             "fec0::1 is a site-local address"),
            ("http://169.254.169.254/latest", "alamat link-local", "a link-local address"),
            ("http://10.0.0.1/foto.png", "10.0.0.1 adalah alamat privat",
             "10.0.0.1 is a private address")):
        body = {"deviceId": alice.device["deviceId"], "to": bob.phone, "type": "image",
                "mediaUrl": url}
        answer = api.http.post("/api/messages", headers=api.auth(alice.token), json=body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert answer.json()["code"] == "media_url_refused", answer.text
        assert error.startswith("mediaUrl tidak diizinkan: ") and reason in error, answer.text
        assert error.endswith("(hanya bisa dengan WAPIZ_MEDIA_ALLOW_PRIVATE=true)"), error
        english = api.http.post("/api/messages", json=body, headers={
            **api.auth(alice.token), "Accept-Language": "en"}).json()["error"]
        assert english.startswith("mediaUrl is not allowed: ") and reason_en in english
        assert english.endswith("(only with WAPIZ_MEDIA_ALLOW_PRIVATE=true)"), english


def test_a_device_not_logged_in_queues_or_refuses(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)  # never linked
    body = {"deviceId": device["deviceId"], "to": "6281234567890", "text": "nanti"}
    queued = api.http.post("/api/messages", json=body, headers=api.auth(token))
    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    assert queued.json()["waiting"] == "device_not_logged_in"
    refused = api.http.post("/api/messages", json={**body, "queue": False},
                            headers=api.auth(token))
    assert refused.status_code == 409
    # Still queued: it can be cancelled; a cancelled one cannot be cancelled again.
    cancel = api.http.delete(f"/api/messages/{queued.json()['id']}", headers=api.auth(token))
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    again = api.http.delete(f"/api/messages/{queued.json()['id']}", headers=api.auth(token))
    assert again.status_code == 409


def test_listing_pages_newest_first(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    ids = [send(api, alice, to=bob.phone, text=f"pesan {n}", sendAt="2099-01-01T00:00:00Z")["id"]
           for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "direction": "outbound",
                  "deviceId": alice.device["deviceId"], **({"cursor": cursor} if cursor else {})}
        page = api.http.get("/api/messages", params=params, headers=api.auth(alice.token)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    scheduled = message(api, alice, ids[0])
    assert scheduled["status"] == "queued" and scheduled["sendAt"] == "2099-01-01T00:00:00.000Z"


def test_pacing_spaces_the_sends(api: Api, server: WapizProcess) -> None:
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    api.http.patch(f"/api/devices/{alice.device['id']}/settings",
                   json={"minDelayMs": 600, "maxDelayMs": 800}, headers=api.auth(alice.token))
    ids = [send(api, alice, to=bob.phone, text=f"p{n}")["id"] for n in range(4)]
    done = wait_until(lambda: all((m := [message(api, alice, i) for i in ids])[k]["sentAt"]
                                  for k in range(4)) and m, timeout=20)
    times = [datetime.fromisoformat(m["sentAt"].replace("Z", "+00:00")) for m in done]
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert all(gap >= 0.55 for gap in gaps), gaps


def test_which_numbers_are_on_whatsapp(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    url = f"/api/devices/{alice.device['id']}/check"
    unknown = unique_phone()
    answer = api.http.post(url, json={"phones": ["0" + bob.phone[2:], unknown, "abc"]},
                           headers=api.auth(alice.token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == [
        {"phone": "0" + bob.phone[2:], "normalized": bob.phone, "onWhatsapp": True,
         "jid": f"{bob.phone}@s.whatsapp.net"},
        {"phone": unknown, "normalized": unknown, "onWhatsapp": False, "jid": None},
        {"phone": "abc", "normalized": None, "onWhatsapp": False, "jid": None},
    ]
    assert api.http.post(url, json={"phones": []},
                         headers=api.auth(alice.token)).status_code == 422
    # Another user's device: 404; a device not logged in: 409.
    assert api.http.post(url, json={"phones": [bob.phone]},
                         headers=api.auth(bob.token)).status_code == 404
    token, _ = api.register()
    offline = api.create_device(token)
    assert api.http.post(f"/api/devices/{offline['id']}/check", json={"phones": [bob.phone]},
                         headers=api.auth(token)).status_code == 409


def test_an_injected_inbound_message_arrives(api: Api, pair: tuple[Party, Party]) -> None:
    alice, _ = pair
    stranger = unique_phone("62813")
    url = f"/api/sandbox/devices/{alice.device['id']}/inbound"
    answer = api.http.post(url, json={"from": "+" + stranger, "text": "Halo, masih ada?"},
                           headers=api.auth(alice.token))
    assert answer.status_code == 202, answer.text
    wa_id = answer.json()["waMessageId"]
    [got] = wait_until(lambda: inbox(api, alice), timeout=10)
    assert got["from"] == stranger and got["text"] == "Halo, masih ada?"
    assert got["waMessageId"] == wa_id and got["chat"] == f"{stranger}@s.whatsapp.net"
    place = api.http.post(url, json={"from": stranger, "type": "location",
                                     "location": {"latitude": 1.5, "longitude": 2.5}},
                          headers=api.auth(alice.token))
    assert place.status_code == 202
    assert api.http.post(url, json={"from": "nobody", "text": "x"},
                         headers=api.auth(alice.token)).status_code == 422


def test_bulk_sends_a_template_spaced_out(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    carol = linked_party(api, unique_phone())
    body = {
        "deviceId": alice.device["deviceId"], "text": "Halo {{name}}, promo {{ item }}!",
        "recipients": [{"to": bob.phone, "variables": {"name": "Bob", "item": "kopi"}},
                       {"to": "0" + carol.phone[2:], "variables": {"name": "Carol",
                                                                   "item": "teh"}}],
        "minDelayMs": 800, "maxDelayMs": 1000,
    }
    headers = {**api.auth(alice.token), "Idempotency-Key": "promo-1"}
    answer = api.http.post("/api/messages/bulk", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    batch = answer.json()
    assert batch["total"] == 2 and len(batch["messageIds"]) == 2
    again = api.http.post("/api/messages/bulk", json=body, headers=headers)
    assert again.json()["batchId"] == batch["batchId"]

    def progress() -> dict:
        return api.http.get(f"/api/messages/bulk/{batch['batchId']}",
                            headers=api.auth(alice.token)).json()

    done = wait_until(lambda: (p := progress())["done"] and p, timeout=20)
    assert sum(done["counts"].values()) == 2
    assert set(done["counts"]) <= {"sent", "delivered"}
    [to_bob] = wait_until(lambda: inbox(api, bob), timeout=10)
    [to_carol] = wait_until(lambda: inbox(api, carol), timeout=10)
    assert to_bob["text"] == "Halo Bob, promo kopi!"
    assert to_carol["text"] == "Halo Carol, promo teh!"
    sent = sorted(message(api, alice, i)["sentAt"] for i in batch["messageIds"])
    first, last = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in sent)
    assert (last - first).total_seconds() >= 0.75  # the batch's own spacing

    # Bad recipients or a missing variable: 422 naming them; another user's batch: 404.
    bad = api.http.post("/api/messages/bulk", json={**body, "recipients": [
        {"to": "abcd", "variables": {"name": "x", "item": "y"}}, {"to": bob.phone}]},
        headers=api.auth(alice.token))
    assert bad.status_code == 422
    assert "recipients[0]" in bad.json()["error"] and "{{item}}" in bad.json()["error"]
    assert api.http.get(f"/api/messages/bulk/{batch['batchId']}",
                        headers=api.auth(bob.token)).status_code == 404


def test_a_scheduled_message_goes_at_its_time(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    at = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = send(api, alice, to=bob.phone, text="nanti", sendAt=at.isoformat())
    now = send(api, alice, to=bob.phone, text="sekarang")
    assert scheduled["waiting"] == "scheduled"
    done = wait_until(lambda: (m := message(api, alice, scheduled["id"]))["sentAt"] and m,
                      timeout=15)
    sent_at = datetime.fromisoformat(done["sentAt"].replace("Z", "+00:00"))
    assert sent_at >= at - timedelta(milliseconds=1)
    # The later-accepted message did not wait for the scheduled one.
    first = message(api, alice, now["id"])
    assert first["sentAt"] and first["sentAt"] < done["sentAt"]


def test_a_device_is_named_by_its_device_id_in_every_message_answer(
        api: Api, pair: tuple[Party, Party]) -> None:
    """Messages refer to their device by its `id` inside; every answer and filter speaks of
    it by its `deviceId`, and the `id` does not name it there."""
    alice, bob = pair
    public_id, device_id = alice.device["deviceId"], alice.device["id"]
    assert public_id != device_id
    auth = api.auth(alice.token)
    body = {"deviceId": public_id, "to": bob.phone, "text": "Siapa aku?"}
    accepted = api.http.post("/api/messages", json=body,
                             headers={**auth, "Idempotency-Key": "siapa-1"}).json()
    replayed = api.http.post("/api/messages", json=body,
                             headers={**auth, "Idempotency-Key": "siapa-1"}).json()
    assert accepted["deviceId"] == replayed["deviceId"] == public_id
    assert replayed["id"] == accepted["id"]
    done = wait_until(lambda: (m := message(api, alice, accepted["id"]))["status"]
                      == "delivered" and m, timeout=15)
    assert done["deviceId"] == public_id

    listed = api.http.get("/api/messages", params={"deviceId": public_id}, headers=auth).json()
    assert [m["id"] for m in listed["items"]] == [accepted["id"]]
    assert listed["items"][0]["deviceId"] == public_id
    by_key = api.http.get("/api/messages", params={"deviceId": device_id}, headers=auth).json()
    assert by_key["items"] == []

    edited = api.http.patch(f"/api/messages/{accepted['id']}", json={"text": "Aku Alice"},
                            headers=auth)
    assert edited.status_code == 202, edited.text
    assert edited.json()["deviceId"] == public_id
    revoked = api.http.delete(f"/api/messages/{accepted['id']}", headers=auth)
    assert revoked.status_code == 202, revoked.text
    assert revoked.json()["deviceId"] == public_id

    bulk = api.http.post("/api/messages/bulk", headers=auth, json={
        "deviceId": public_id, "text": "Halo", "recipients": [{"to": bob.phone}],
        "minDelayMs": 0, "maxDelayMs": 0})
    assert bulk.status_code == 202, bulk.text
    assert bulk.json()["deviceId"] == public_id
    progress = api.http.get(f"/api/messages/bulk/{bulk.json()['batchId']}", headers=auth)
    assert progress.json()["deviceId"] == public_id

    # The device's `id` is not a deviceId, as before.
    for url, extra in (("/api/messages", {"to": bob.phone}),
                       ("/api/messages/bulk", {"recipients": [{"to": bob.phone}]})):
        refused = api.http.post(url, headers=auth,
                                json={"deviceId": device_id, "text": "x", **extra})
        assert refused.status_code == 404, refused.text
        assert refused.json()["code"] == "device_not_found"
