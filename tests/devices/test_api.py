"""The documented device API (seed: wapiz-devices.txt), shapes and status codes exactly."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support import Api, Deployment

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
DEVICE_FIELDS = {"id", "userId", "deviceId", "label", "webhookUrl", "createdAt"}


def test_create_and_list_match_the_seed(api: Api) -> None:
    token, user = api.register()
    response = api.http.post("/api/devices", json={"label": "Bot Marketing"},
                             headers=api.auth(token))
    assert response.status_code == 201
    device = response.json()
    assert set(device) == DEVICE_FIELDS
    assert device["label"] == "Bot Marketing"
    assert device["userId"] == user["id"]
    assert device["webhookUrl"] is None
    assert TIMESTAMP.match(device["createdAt"])
    # Two distinct UUIDs: `id` for device routes, `deviceId` for message operations.
    assert uuid.UUID(device["id"]) != uuid.UUID(device["deviceId"])

    listed = api.http.get("/api/devices", headers=api.auth(token))
    assert listed.status_code == 200 and listed.json() == [device]


def test_cookie_auth_as_in_the_curl_examples(api: Api) -> None:
    token, _ = api.register()
    created = httpx.post(api.url + "/api/devices", json={"label": "Bot"},
                         cookies={"wa_token": token})
    assert created.status_code == 201
    listed = httpx.get(api.url + "/api/devices", cookies={"wa_token": token})
    assert [d["id"] for d in listed.json()] == [created.json()["id"]]


def test_default_label_without_label_or_body(api: Api) -> None:
    token, _ = api.register()
    assert api.create_device(token)["label"] == "Device Baru"
    _, _ = api.register()
    token2, _ = api.register()
    no_body = api.http.post("/api/devices", headers=api.auth(token2))
    assert no_body.status_code == 201 and no_body.json()["label"] == "Device Baru"


def test_bad_create_bodies_are_422(api: Api) -> None:
    token, _ = api.register()
    for body in ({"label": 5}, {"label": "x" * 101}, {"label": "ok", "unknown": 1}, [1]):
        response = api.http.post("/api/devices", json=body, headers=api.auth(token))
        assert response.status_code == 422, body
        assert response.json()["details"]
    assert api.http.get("/api/devices", headers=api.auth(token)).json() == []


def test_free_plan_allows_one_device(api: Api) -> None:
    token, _ = api.register()
    api.create_device(token)
    response = api.http.post("/api/devices", json={"label": "Kedua"}, headers=api.auth(token))
    assert response.status_code == 403
    assert response.json() == {"error": "Paket Free maksimal 1 device"}
    assert len(api.http.get("/api/devices", headers=api.auth(token)).json()) == 1


def test_plan_limit_holds_under_concurrency(api: Api) -> None:
    token, _ = api.register()

    def create(_: int) -> int:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            return client.post("/api/devices", json={}, headers=api.auth(token)).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(create, range(20)))
    assert sorted(codes) == [201] + [403] * 19
    assert len(api.http.get("/api/devices", headers=api.auth(token)).json()) == 1


def test_regular_plan_allows_three(shared_deployment: Deployment, api: Api) -> None:
    token, user = api.register()
    shared_deployment.cli("users", "set-plan", user["email"], "regular")
    me = api.http.get("/api/auth/me", headers=api.auth(token)).json()
    assert (me["plan"], me["deviceLimit"]) == ("regular", 3)
    for _ in range(3):
        api.create_device(token)
    response = api.http.post("/api/devices", json={}, headers=api.auth(token))
    assert response.status_code == 403
    assert response.json() == {"error": "Paket Regular maksimal 3 device"}
    assert api.http.get("/api/auth/me", headers=api.auth(token)).json()["deviceCount"] == 3


def test_delete_frees_the_slot(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    response = api.http.delete(f"/api/devices/{device['id']}", headers=api.auth(token))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert api.http.get("/api/devices", headers=api.auth(token)).json() == []
    for path in ("/status", "/qr"):
        gone = api.http.get(f"/api/devices/{device['id']}{path}", headers=api.auth(token))
        assert gone.status_code == 404
    again = api.http.delete(f"/api/devices/{device['id']}", headers=api.auth(token))
    assert again.status_code == 404
    assert api.create_device(token)["id"] != device["id"]


def test_other_tenants_devices_and_malformed_ids_are_404(api: Api) -> None:
    owner, _ = api.register()
    stranger, _ = api.register()
    device = api.create_device(owner)
    base = f"/api/devices/{device['id']}"
    headers = api.auth(stranger)
    attempts = [
        api.http.get(base + "/status", headers=headers),
        api.http.get(base + "/qr", headers=headers),
        api.http.patch(base + "/webhook", json={"webhookUrl": None}, headers=headers),
        api.http.delete(base, headers=headers),
        api.http.post(f"/api/sandbox/devices/{device['id']}/link",
                      json={"phone": "6281234567890"}, headers=headers),
    ]
    for bad_id in ("not-a-uuid", "123", device["deviceId"], str(uuid.uuid4())):
        attempts.append(api.http.get(f"/api/devices/{bad_id}/status", headers=api.auth(owner)))
        attempts.append(api.http.delete(f"/api/devices/{bad_id}", headers=api.auth(owner)))
    for response in attempts:
        assert response.status_code == 404, response.request.url
        assert response.json() == {"error": "Device tidak ditemukan", "code": "device_not_found"}
    assert api.http.get("/api/devices", headers=headers).json() == []
    assert len(api.http.get("/api/devices", headers=api.auth(owner)).json()) == 1


def test_webhook_set_clear_and_validate(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/devices/{device['id']}/webhook"
    url = "https://server-anda.com/webhook"
    response = api.http.patch(path, json={"webhookUrl": url}, headers=api.auth(token))
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["webhookUrl"] == url
    assert api.http.get("/api/devices", headers=api.auth(token)).json()[0]["webhookUrl"] == url

    for bad in ("ftp://server-anda.com/x", "server-anda.com/webhook", "javascript:alert(1)",
                "http://", 42, "https://" + "a" * 2050):
        rejected = api.http.patch(path, json={"webhookUrl": bad}, headers=api.auth(token))
        assert rejected.status_code == 422, bad
        assert rejected.json()["error"].startswith("Data tidak valid: webhookUrl: ")
    # Only the fields given change: none, nothing (the webhook as it is).
    unchanged = api.http.patch(path, json={}, headers=api.auth(token))
    assert unchanged.status_code == 200 and unchanged.json()["webhookUrl"] == url
    # Rejected updates changed nothing.
    assert api.http.get("/api/devices", headers=api.auth(token)).json()[0]["webhookUrl"] == url

    for clear in (None, ""):
        cleared = api.http.patch(path, json={"webhookUrl": clear}, headers=api.auth(token))
        assert cleared.json()["ok"] is True and cleared.json()["webhookUrl"] is None
        assert api.http.get("/api/devices", headers=api.auth(token)).json()[0]["webhookUrl"] is None
        api.http.patch(path, json={"webhookUrl": url}, headers=api.auth(token))


def test_unknown_routes_and_methods_answer_in_json(api: Api) -> None:
    missing = api.http.get("/api/nothing-here")
    assert missing.status_code == 404 and "error" in missing.json()
    wrong = api.http.put("/api/devices")
    assert wrong.status_code == 405 and "error" in wrong.json()
