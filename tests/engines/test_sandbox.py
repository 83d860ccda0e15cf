"""The sandbox engine end to end: link by "scanning", unlink from the "phone", re-pair."""

from tests.support import Api, Deployment, db_rows, wait_until


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


def test_one_phone_links_several_devices(api: Api) -> None:
    jids = set()
    for _ in range(2):
        token, _ = api.register()
        device = api.create_device(token)
        jids.add(api.link(token, device["id"], "6281111111111")["jid"])
    assert len(jids) == 2


def _png(api: Api, token: str, device_id: str) -> bytes | None:
    response = api.http.get(f"/api/devices/{device_id}/qr", headers=api.auth(token))
    return response.content if response.headers["content-type"] == "image/png" else None


def test_link_by_pairing_code(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    wait_until(lambda: api.status(token, device["id"])["status"] == "connected", timeout=10)
    answer = api.http.post(f"/api/devices/{device['id']}/pair",
                           json={"phone": "+62 812-3456-7890"}, headers=api.auth(token))
    assert answer.status_code == 200, answer.text
    code = answer.json()["code"]
    assert len(code) == 9 and code[4] == "-"

    def enter(phone: str, typed: str) -> object:
        return api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                             json={"phone": phone, "code": typed}, headers=api.auth(token))

    # The code is for that phone only, and must be typed right.
    assert enter("6281111111111", code).status_code == 409  # type: ignore[attr-defined]
    assert enter("6281234567890", "AAAA-AAAA").status_code == 409  # type: ignore[attr-defined]
    linked = enter("6281234567890", code.lower())
    assert linked.status_code == 200 and linked.json()["status"] == "logged_in"  # type: ignore[attr-defined]
    assert api.status(token, device["id"])["phone"] == "6281234567890"
    # Linked now: no more codes.
    again = api.http.post(f"/api/devices/{device['id']}/pair", json={"phone": "6281234567890"},
                          headers=api.auth(token))
    assert again.status_code == 409 and again.json() == {"error": "Device sudah terhubung",
                                                          "code": "device_already_linked"}


def test_device_settings(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    url = f"/api/devices/{device['id']}/settings"
    pacing = {"minDelayMs": 1000, "maxDelayMs": 3000, "typing": True, "perMinute": None}
    assert api.http.get(url, headers=api.auth(token)).json() == {"proxy": None, **pacing}
    for bad in ("ftp://proxy:1", "socks5://proxy", "http://proxy:99999", "socks5://:1080",
                "http://proxy:3128/path"):
        answer = api.http.patch(url, json={"proxy": bad}, headers=api.auth(token))
        assert answer.status_code == 422, bad
    assert api.http.patch(url, json={"other": 1}, headers=api.auth(token)).status_code == 422
    set_ = api.http.patch(url, json={"proxy": "http://user:pw@proxy.example.com:3128"},
                          headers=api.auth(token))
    assert set_.json() == {"proxy": "http://user:pw@proxy.example.com:3128", **pacing}
    assert api.http.patch(url, json={}, headers=api.auth(token)).json() == set_.json()
    assert api.http.patch(url, json={"proxy": ""}, headers=api.auth(token)).json() == {
        "proxy": None, **pacing}
    # Pacing: only the fields given change; min above max, negatives and non-booleans are
    # refused; null sets a field back to its default.
    paced = api.http.patch(url, json={"minDelayMs": 0, "perMinute": 20, "typing": False},
                           headers=api.auth(token)).json()
    assert paced["minDelayMs"] == 0 and paced["maxDelayMs"] == 3000 and paced["perMinute"] == 20
    for bad in ({"minDelayMs": 5000}, {"maxDelayMs": -1}, {"typing": 0}, {"perMinute": 0}):
        assert api.http.patch(url, json=bad, headers=api.auth(token)).status_code == 422, bad
    reset = api.http.patch(url, json={"minDelayMs": None, "typing": None},
                           headers=api.auth(token)).json()
    assert reset["minDelayMs"] == 1000 and reset["typing"] is True and reset["perMinute"] == 20
    other, _ = api.register()
    assert api.http.get(url, headers=api.auth(other)).status_code == 404
