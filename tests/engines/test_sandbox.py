"""The sandbox engine end to end: link by "scanning", unlink from the "phone", re-pair."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.messages.parties import inbox, linked_party, send
from tests.support import Api, Deployment, db_rows, unique_phone, wait_until


def _stored_keys(deployment: Deployment, device_id: str) -> list[tuple]:
    return db_rows(deployment.database_url,
                   "SELECT jid, revoked_at FROM sandbox_sessions WHERE key = :key", key=device_id)


def test_link_logs_the_device_in(shared_deployment: Deployment, api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    response = api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                             json={"phone": "+62 812-3456-7890"}, headers=api.auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "logged_in" and body["loggedIn"] is True
    assert body["jid"].startswith("6281234567890:") and body["jid"].endswith("@s.whatsapp.net")
    status = api.status(token, device["id"])
    assert status == {"connected": True, "loggedIn": True, "status": "logged_in",
                      "reason": None, "detail": None, "lastDisconnect": None,
                      "phone": "6281234567890"}
    # The engine keeps its own session ("keys") for the device.
    assert _stored_keys(shared_deployment, device["id"])[0][0] == body["jid"]


def test_link_rejects_bad_phones_and_double_links(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/sandbox/devices/{device['id']}/link"
    for phone in ("12", "abc", "", "0812345"):
        response = api.http.post(path, json={"phone": phone}, headers=api.auth(token))
        assert response.status_code == 422, phone
    assert api.status(token, device["id"])["loggedIn"] is False
    api.link(token, device["id"])
    again = api.http.post(path, json={"phone": "6281234567890"}, headers=api.auth(token))
    assert again.status_code == 409 and again.json() == {"error": "Device sudah terhubung",
                                                          "code": "device_already_linked"}


def test_unlink_logs_out_and_a_new_qr_follows(shared_deployment: Deployment, api: Api) -> None:
    token, _ = api.register()
    device = api.linked_device(token)
    response = api.http.post(f"/api/sandbox/devices/{device['id']}/unlink",
                             headers=api.auth(token))
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert response.json()["reason"] == "removed_from_phone"
    # Logged out: the stored keys are void and pairing starts over with a fresh QR code.
    qr = wait_until(lambda: _png(api, token, device["id"]), timeout=10)
    assert qr.startswith(b"\x89PNG")
    assert api.status(token, device["id"])["status"] == "connected"
    assert _stored_keys(shared_deployment, device["id"])[0][0] is None
    # It can be linked again, to another number.
    assert api.link(token, device["id"], "6289876543210")["status"] == "logged_in"
    assert api.status(token, device["id"])["phone"] == "6289876543210"


def test_unlink_of_a_device_not_linked_is_409(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    response = api.http.post(f"/api/sandbox/devices/{device['id']}/unlink",
                             headers=api.auth(token))
    assert response.status_code == 409
    assert response.json() == {"error": "Device belum terhubung ke nomor WhatsApp",
                               "code": "device_not_linked"}


NUMBER_IN_USE = {"error": "Nomor ini sudah tertaut ke device lain; lepaskan dulu di sana",
                 "code": "number_in_use"}


def _scan(api: Api, token: str, device_id: str, phone: str) -> httpx.Response:
    return api.http.post(f"/api/sandbox/devices/{device_id}/link", json={"phone": phone},
                         headers=api.auth(token))


def _showing_qr(api: Api, token: str) -> dict:
    """A new device of a new account, its QR code up (ready to be scanned)."""
    device = api.create_device(token)
    wait_until(lambda: api.status(token, device["id"])["status"] == "connected", timeout=15)
    return device


def test_a_number_links_one_device_at_a_time(api: Api) -> None:
    """Another tenant cannot link a number that is linked (and so receive its messages)."""
    alice = linked_party(api, unique_phone())
    mallory, _ = api.register()
    device = _showing_qr(api, mallory)
    taken = _scan(api, mallory, device["id"], alice.phone)
    assert taken.status_code == 409 and taken.json() == NUMBER_IN_USE
    english = api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                            json={"phone": alice.phone},
                            headers={**api.auth(mallory), "Accept-Language": "en"})
    assert english.json() == {"error": "This number is already linked to another device; "
                              "unlink it there first", "code": "number_in_use"}
    # The pairing code way is refused the same.
    code = api.http.post(f"/api/devices/{device['id']}/pair", json={"phone": alice.phone},
                         headers=api.auth(mallory)).json()["code"]
    entered = api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                            json={"phone": alice.phone, "code": code}, headers=api.auth(mallory))
    assert entered.status_code == 409 and entered.json() == NUMBER_IN_USE
    # Mallory's device stays unlinked.
    assert api.status(mallory, device["id"])["loggedIn"] is False
    # The first tenant still gets its messages, and nobody else does.
    bob = linked_party(api, unique_phone())
    send(api, bob, to=alice.phone, text="untuk Alice saja")
    wait_until(lambda: [m["text"] for m in inbox(api, alice)] == ["untuk Alice saja"],
               timeout=15)
    assert api.http.get("/api/messages", headers=api.auth(mallory)).json()["items"] == []


def test_a_number_is_free_again_once_unlinked_or_deleted(api: Api) -> None:
    phone = unique_phone()
    owner, _ = api.register()
    device = api.linked_device(owner, phone)
    other, _ = api.register()
    second = _showing_qr(api, other)
    assert _scan(api, other, second["id"], phone).status_code == 409
    # Unlinked on the phone: the owner links the same device to it again.
    unlink = api.http.post(f"/api/sandbox/devices/{device['id']}/unlink",
                           headers=api.auth(owner))
    assert unlink.status_code == 200
    assert api.link(owner, device["id"], phone)["status"] == "logged_in"
    # Deleted (the runner logs it out a moment later): another account links the number.
    assert api.http.delete(f"/api/devices/{device['id']}",
                           headers=api.auth(owner)).status_code == 200

    def linked() -> bool:
        answer = _scan(api, other, second["id"], phone)
        assert answer.status_code in (200, 409), answer.text
        return answer.status_code == 200

    wait_until(linked, timeout=15, interval=0.5)
    assert api.status(other, second["id"])["phone"] == phone


def test_concurrent_links_of_one_number_leave_one_linked(api: Api) -> None:
    for _ in range(3):
        phone = unique_phone()
        tokens = [api.register()[0] for _ in range(2)]
        devices = [_showing_qr(api, token) for token in tokens]
        with ThreadPoolExecutor(len(devices)) as pool:
            answers = list(pool.map(_scan, [api] * 2, tokens, [d["id"] for d in devices],
                                    [phone] * 2))
        assert sorted(answer.status_code for answer in answers) == [200, 409], [
            answer.text for answer in answers]
        statuses = [api.status(token, device["id"]) for token, device in
                    zip(tokens, devices, strict=True)]
        assert sorted(status["loggedIn"] for status in statuses) == [False, True]
        assert [status["phone"] for status in statuses if status["loggedIn"]] == [phone]


def _png(api: Api, token: str, device_id: str) -> bytes | None:
    response = api.http.get(f"/api/devices/{device_id}/qr", headers=api.auth(token))
    return response.content if response.headers["content-type"] == "image/png" else None


def test_link_by_pairing_code(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    wait_until(lambda: api.status(token, device["id"])["status"] == "connected", timeout=10)
    answer = api.http.post(f"/api/devices/{device['id']}/pair",
                           json={"phone": "+62 813-3456-7890"}, headers=api.auth(token))
    assert answer.status_code == 200, answer.text
    code = answer.json()["code"]
    assert len(code) == 9 and code[4] == "-"

    def enter(phone: str, typed: str) -> object:
        return api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                             json={"phone": phone, "code": typed}, headers=api.auth(token))

    # The code is for that phone only, and must be typed right.
    assert enter("6281111111111", code).status_code == 409  # type: ignore[attr-defined]
    assert enter("6281334567890", "AAAA-AAAA").status_code == 409  # type: ignore[attr-defined]
    linked = enter("6281334567890", code.lower())
    assert linked.status_code == 200 and linked.json()["status"] == "logged_in"  # type: ignore[attr-defined]
    assert api.status(token, device["id"])["phone"] == "6281334567890"
    # Linked now: no more codes.
    again = api.http.post(f"/api/devices/{device['id']}/pair", json={"phone": "6281334567890"},
                          headers=api.auth(token))
    assert again.status_code == 409 and again.json() == {"error": "Device sudah terhubung",
                                                          "code": "device_already_linked"}


def test_device_settings(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    url = f"/api/devices/{device['id']}/settings"
    pacing = {"minDelayMs": 1000, "maxDelayMs": 3000, "typing": True, "perMinute": None,
              "rejectCalls": False, "rejectCallsMessage": None,
              "historySync": False, "historySyncDays": 30}
    assert api.http.get(url, headers=api.auth(token)).json() == {"proxy": None, **pacing}
    for bad in ("ftp://proxy:1", "socks5://proxy", "http://proxy:99999", "socks5://:1080",
                "http://proxy:3128/path"):
        answer = api.http.patch(url, json={"proxy": bad}, headers=api.auth(token))
        assert answer.status_code == 422, bad
    assert api.http.patch(url, json={"other": 1}, headers=api.auth(token)).status_code == 422
    set_ = api.http.patch(url, json={"proxy": "http://user:pw@proxy.example.com:3128"},
                          headers=api.auth(token))
    # The password is never shown back.
    assert set_.json() == {"proxy": "http://user:***@proxy.example.com:3128", **pacing}
    assert api.http.patch(url, json={}, headers=api.auth(token)).json() == set_.json()
    assert api.http.patch(url, json={"proxy": ""}, headers=api.auth(token)).json() == {
        "proxy": None, **pacing}
    # Pacing: only the fields given change; min above max, negatives and non-booleans are
    # refused; null sets a field back to its default.
    paced = api.http.patch(url, json={"minDelayMs": 0, "perMinute": 20, "typing": False},
                           headers=api.auth(token)).json()
    assert paced["minDelayMs"] == 0 and paced["maxDelayMs"] == 3000 and paced["perMinute"] == 20
    for bad in ({"minDelayMs": 5000}, {"maxDelayMs": -1}, {"typing": 0}, {"perMinute": 0},
                {"historySync": "ya"}, {"historySyncDays": 0}, {"historySyncDays": 366}):
        assert api.http.patch(url, json=bad, headers=api.auth(token)).status_code == 422, bad
    reset = api.http.patch(url, json={"minDelayMs": None, "typing": None},
                           headers=api.auth(token)).json()
    assert reset["minDelayMs"] == 1000 and reset["typing"] is True and reset["perMinute"] == 20
    history = api.http.patch(url, json={"historySync": True, "historySyncDays": 7},
                             headers=api.auth(token)).json()
    assert history["historySync"] is True and history["historySyncDays"] == 7
    history = api.http.patch(url, json={"historySync": None, "historySyncDays": None},
                             headers=api.auth(token)).json()
    assert history["historySync"] is False and history["historySyncDays"] == 30
    other, _ = api.register()
    assert api.http.get(url, headers=api.auth(other)).status_code == 404
