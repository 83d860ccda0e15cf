"""API keys over HTTP: made, shown once, listed, used as Bearer and X-Api-Key on device and
message routes, limited to one device, revoked at once; bounded."""

import re
import time
import uuid

from tests.support import Api, Deployment, db_rows


def make_key(api: Api, token: str, name: str = "server", device_id: str | None = None) -> dict:
    body: dict = {"name": name}
    if device_id is not None:
        body["deviceId"] = device_id
    response = api.http.post("/api/keys", json=body, headers=api.auth(token))
    assert response.status_code == 201, response.text
    return response.json()


def test_a_key_is_shown_once_and_listed_by_its_prefix(api: Api) -> None:
    token, _ = api.register()
    created = make_key(api, token, "Server toko")
    assert set(created) == {"id", "name", "deviceId", "key", "prefix", "createdAt",
                            "lastUsedAt"}
    assert created["key"].startswith("wpz_") and created["key"].startswith(created["prefix"])
    assert len(created["prefix"]) < 16 < len(created["key"])
    assert created["name"] == "Server toko" and created["deviceId"] is None
    assert created["lastUsedAt"] is None
    listed = api.http.get("/api/keys", headers=api.auth(token)).json()
    assert listed == {"items": [{k: v for k, v in created.items() if k != "key"}]}
    # Another account sees none of it.
    other, _ = api.register()
    assert api.http.get("/api/keys", headers=api.auth(other)).json() == {"items": []}


def test_a_key_works_as_bearer_and_as_x_api_key_on_devices_and_messages(api: Api) -> None:
    token, user = api.register()
    key = make_key(api, token)["key"]
    # As a server would call with curl: no cookie, just the header.
    by_bearer = api.http.post("/api/devices", json={"label": "Kasir"},
                              headers={"Authorization": f"Bearer {key}"})
    assert by_bearer.status_code == 201, by_bearer.text
    device = by_bearer.json()
    assert device["userId"] == user["id"]
    listed = api.http.get("/api/devices", headers={"X-Api-Key": key})
    assert [d["id"] for d in listed.json()] == [device["id"]]
    api.link(token, device["id"])
    sent = api.http.post("/api/messages", headers={"X-Api-Key": key},
                         json={"deviceId": device["deviceId"], "to": "6281234567890",
                               "type": "text", "text": "Halo dari server"})
    assert sent.status_code == 202, sent.text
    message = api.http.get(f"/api/messages/{sent.json()['id']}",
                           headers={"Authorization": f"Bearer {key}"})
    assert message.status_code == 200 and message.json()["text"] == "Halo dari server"
    me = api.http.get("/api/auth/me", headers={"X-Api-Key": key}).json()
    assert me["id"] == user["id"] and me["deviceCount"] == 1
    used = api.http.get("/api/keys", headers=api.auth(token)).json()["items"][0]
    assert used["lastUsedAt"] is not None


def test_a_wrong_key_is_the_seeds_401(api: Api) -> None:
    for headers in ({"X-Api-Key": "wpz_not-a-key"}, {"Authorization": "Bearer wpz_nope"}):
        response = api.http.get("/api/devices", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "Unauthorized"}
    # The key is checked before any body is read.
    response = api.http.post("/api/devices", content=b"{not json",
                             headers={"X-Api-Key": "wpz_nope",
                                      "Content-Type": "application/json"})
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}


def test_a_key_limited_to_one_device_reaches_only_that_device(
        api: Api, shared_deployment: Deployment) -> None:
    token, user = api.register()
    shared_deployment.cli("users", "set-plan", user["email"], "regular")
    mine = api.linked_device(token)
    other = api.linked_device(token)
    scoped = make_key(api, token, "kasir", mine["deviceId"])
    assert scoped["deviceId"] == mine["deviceId"]
    key = {"X-Api-Key": scoped["key"]}
    assert [d["id"] for d in api.http.get("/api/devices", headers=key).json()] == [mine["id"]]
    assert api.http.get(f"/api/devices/{mine['id']}/status", headers=key).status_code == 200
    # The token read the other device's status a moment ago (cached): still out of reach.
    api.status(token, other["id"])
    # Every device route the API describes, read with the key for the other device: 404,
    # as if it were not there (a route added later is covered without naming it here).
    paths = api.http.get("/api/openapi.json").json()["paths"]
    readable = [path for path, operations in paths.items()
                if path.startswith("/api/devices/{id}") and "get" in operations]
    assert len(readable) >= 6, readable
    for template in readable:
        path = re.sub(r"\{[a-z_]+\}", lambda m: other["id"] if m.group() == "{id}"
                      else str(uuid.uuid4()), template)
        # A query parameter the route requires gets a value it would take (a phone number).
        required = {parameter["name"]: "6281234567890"
                    for parameter in paths[template]["get"].get("parameters", [])
                    if parameter["in"] == "query" and parameter.get("required")}
        refused = api.http.get(path, params=required, headers=key)
        assert refused.status_code == 404, (path, refused.text)
        assert refused.json()["code"] == "device_not_found", (path, refused.text)
    assert api.http.delete(f"/api/devices/{other['id']}", headers=key).status_code == 404
    send = {"to": "6281234567890", "type": "text", "text": "hai"}
    # The token's send on the other device is remembered per account: still refused.
    first = api.http.post("/api/messages", headers=api.auth(token),
                          json={"deviceId": other["deviceId"], **send})
    assert first.status_code == 202
    refused = api.http.post("/api/messages", headers=key,
                            json={"deviceId": other["deviceId"], **send})
    assert refused.status_code == 404 and refused.json()["code"] == "device_not_found"
    assert api.http.get(f"/api/messages/{first.json()['id']}", headers=key).status_code == 404
    ok = api.http.post("/api/messages", headers=key, json={"deviceId": mine["deviceId"], **send})
    assert ok.status_code == 202, ok.text
    listed = api.http.get("/api/messages", headers=key).json()["items"]
    assert {m["deviceId"] for m in listed} == {mine["deviceId"]}
    # Nothing about the account: no new device, no keys.
    created = api.http.post("/api/devices", json={}, headers=key)
    assert created.status_code == 403 and created.json()["code"] == "key_limited_to_device"
    for method, path in (("GET", "/api/keys"), ("POST", "/api/keys")):
        response = api.http.request(method, path, headers=key, json={"name": "x"})
        assert response.status_code == 403 and response.json()["code"] == "key_limited_to_device"


def test_a_key_for_a_device_of_another_account_is_refused(api: Api) -> None:
    token, _ = api.register()
    stranger, _ = api.register()
    theirs = api.create_device(stranger)
    response = api.http.post("/api/keys", json={"name": "x", "deviceId": theirs["deviceId"]},
                             headers=api.auth(token))
    assert response.status_code == 404 and response.json()["code"] == "device_not_found"


def test_a_revoked_key_stops_at_once_and_others_keys_are_404(api: Api) -> None:
    token, _ = api.register()
    created = make_key(api, token)
    key = {"X-Api-Key": created["key"]}
    assert api.http.get("/api/devices", headers=key).status_code == 200
    stranger, _ = api.register()
    assert api.http.delete(f"/api/keys/{created['id']}",
                           headers=api.auth(stranger)).status_code == 404
    revoked = api.http.delete(f"/api/keys/{created['id']}", headers=api.auth(token))
    assert revoked.status_code == 204 and revoked.content == b""
    assert api.http.get("/api/devices", headers=key).status_code == 401
    assert api.http.delete(f"/api/keys/{created['id']}",
                           headers=api.auth(token)).json()["code"] == "key_not_found"
    assert api.http.delete("/api/keys/not-an-id", headers=api.auth(token)).status_code == 404


def test_names_and_the_number_of_keys_are_bounded(api: Api) -> None:
    token, _ = api.register()
    for name in ("", "x" * 101, "a\x00b"):
        response = api.http.post("/api/keys", json={"name": name}, headers=api.auth(token))
        assert response.status_code == 422, name
    for number in range(50):
        make_key(api, token, f"k{number}")
    over = api.http.post("/api/keys", json={"name": "satu lagi"}, headers=api.auth(token))
    assert over.status_code == 409 and over.json()["code"] == "key_limit_reached"


def test_last_use_is_written_at_most_once_a_minute(deployment: Deployment) -> None:
    server = deployment.serve(AUTH_CACHE_SECONDS="0")
    api = Api(server.url)
    try:
        token, _ = api.register()
        created = make_key(api, token)
        api.http.get("/api/devices", headers={"X-Api-Key": created["key"]})
        first = db_rows(deployment.database_url,
                        "SELECT last_used_at FROM api_keys WHERE prefix = :p", p=created["prefix"])
        assert first[0][0] is not None
        time.sleep(0.05)
        for _ in range(5):  # no cache: each request reads the key, none writes again
            api.http.get("/api/devices", headers={"X-Api-Key": created["key"]})
        again = db_rows(deployment.database_url,
                        "SELECT last_used_at FROM api_keys WHERE prefix = :p", p=created["prefix"])
        assert again == first
    finally:
        api.close()
