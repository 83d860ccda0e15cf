"""Admins over HTTP: the admin area refuses others; users searched, paged, moved between
plans, disabled (their tokens and keys stop at once); devices across accounts; health and
settings; sign-up modes and single-use, expiring invites; the CLI's admin commands."""

import uuid

import httpx
import pytest

from tests.support import Api, Deployment, db_rows

ADMIN_GETS = ("/api/admin/users", "/api/admin/devices", "/api/admin/health",
              "/api/admin/settings", "/api/admin/invites", "/api/admin/outputs",
              "/api/admin/cluster")


def make_admin(api: Api, deployment: Deployment) -> tuple[str, dict]:
    token, user = api.register()
    made = deployment.cli("users", "set-admin", user["email"])
    assert "sekarang admin" in made.stdout
    return token, user


def test_the_admin_area_is_for_admins_only(api: Api, shared_deployment: Deployment) -> None:
    token, user = api.register()
    assert api.http.get("/api/auth/me", headers=api.auth(token)).json()["isAdmin"] is False
    for path in ADMIN_GETS:
        refused = api.http.get(path, headers=api.auth(token))
        assert refused.status_code == 403 and refused.json()["code"] == "admin_only", path
        assert api.http.get(path).status_code == 401
    refused = api.http.patch(f"/api/admin/users/{user['id']}", json={"isAdmin": True},
                             headers=api.auth(token))
    assert refused.status_code == 403 and refused.json()["code"] == "admin_only"
    # An admin's key limited to one device is no way into the admin area.
    admin, _ = make_admin(api, shared_deployment)
    device = api.create_device(admin)
    key = api.http.post("/api/keys", json={"name": "k", "deviceId": device["deviceId"]},
                        headers=api.auth(admin)).json()["key"]
    refused = api.http.get("/api/admin/users", headers={"X-Api-Key": key})
    assert refused.status_code == 403 and refused.json()["code"] == "key_limited_to_device"
    me = api.http.get("/api/auth/me", headers=api.auth(admin)).json()
    assert me["isAdmin"] is True and me["plan"] == "free"
    assert me["deviceCount"] == 1 and me["deviceLimit"] == 1


def test_users_are_searched_paged_and_changed(api: Api, shared_deployment: Deployment) -> None:
    admin, me = make_admin(api, shared_deployment)
    tag = uuid.uuid4().hex[:8]
    emails = []
    for number in range(3):
        email = f"cari-{tag}-{number}@example.com"
        response = api.http.post("/api/auth/register", json={
            "email": email, "password": "rahasia123", "name": "Cari"})
        assert response.status_code == 201
        emails.append(email)
    first = api.http.get("/api/admin/users", params={"q": f"CARI-{tag}", "limit": 2},
                         headers=api.auth(admin)).json()
    assert [u["email"] for u in first["items"]] == emails[:0:-1]  # newest first
    assert set(first["items"][0]) == {"id", "email", "name", "plan", "isAdmin", "disabled",
                                      "deviceCount", "deviceLimit", "createdAt"}
    rest = api.http.get("/api/admin/users", params={"q": f"cari-{tag}",
                                                    "cursor": first["nextCursor"]},
                        headers=api.auth(admin)).json()
    assert [u["email"] for u in rest["items"]] == [emails[0]] and rest["nextCursor"] is None
    # A search's wildcards are plain characters.
    assert api.http.get("/api/admin/users", params={"q": "%"},
                        headers=api.auth(admin)).json()["items"] == []
    target = first["items"][0]
    moved = api.http.patch(f"/api/admin/users/{target['id']}", json={"plan": "Regular"},
                           headers=api.auth(admin))
    assert moved.status_code == 200, moved.text
    assert moved.json()["plan"] == "regular" and moved.json()["deviceLimit"] == 3
    unknown = api.http.patch(f"/api/admin/users/{target['id']}", json={"plan": "platinum"},
                             headers=api.auth(admin))
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_plan"
    promoted = api.http.patch(f"/api/admin/users/{target['id']}", json={"isAdmin": True},
                              headers=api.auth(admin)).json()
    assert promoted["isAdmin"] is True
    for change, code in (({"isAdmin": False}, "cannot_remove_own_admin"),
                         ({"disabled": True}, "cannot_disable_self")):
        refused = api.http.patch(f"/api/admin/users/{me['id']}", json=change,
                                 headers=api.auth(admin))
        assert refused.status_code == 409 and refused.json()["code"] == code
    missing = api.http.patch(f"/api/admin/users/{uuid.uuid4()}", json={"plan": "free"},
                             headers=api.auth(admin))
    assert missing.status_code == 404 and missing.json()["code"] == "user_not_found"
    bad = api.http.patch(f"/api/admin/users/{target['id']}", json={"disabled": "ya"},
                         headers=api.auth(admin))
    assert bad.status_code == 422


def test_a_disabled_users_tokens_and_keys_stop_at_once(
        api: Api, shared_deployment: Deployment) -> None:
    admin, _ = make_admin(api, shared_deployment)
    token, user = api.register()
    key = api.http.post("/api/keys", json={"name": "k"}, headers=api.auth(token)).json()["key"]
    assert api.http.get("/api/devices", headers=api.auth(token)).status_code == 200
    assert api.http.get("/api/devices", headers={"X-Api-Key": key}).status_code == 200
    off = api.http.patch(f"/api/admin/users/{user['id']}", json={"disabled": True},
                         headers=api.auth(admin))
    assert off.status_code == 200 and off.json()["disabled"] is True
    for headers in (api.auth(token), {"X-Api-Key": key}):
        refused = api.http.get("/api/devices", headers=headers)
        assert refused.status_code == 401 and refused.json() == {"error": "Unauthorized"}
    login = api.http.post("/api/auth/login",
                          json={"email": user["email"], "password": "rahasia123"})
    assert login.status_code == 403 and login.json()["code"] == "account_disabled"
    api.http.patch(f"/api/admin/users/{user['id']}", json={"disabled": False},
                   headers=api.auth(admin))
    assert api.http.get("/api/devices", headers={"X-Api-Key": key}).status_code == 200


def test_devices_across_accounts_with_owner_and_status(
        api: Api, shared_deployment: Deployment) -> None:
    admin, _ = make_admin(api, shared_deployment)
    token, user = api.register()
    label = f"Toko-{uuid.uuid4().hex[:8]}"
    linked = api.create_device(token, label)
    api.link(token, linked["id"])
    found = api.http.get("/api/admin/devices", params={"q": label.lower()},
                         headers=api.auth(admin)).json()["items"]
    assert len(found) == 1
    assert found[0]["id"] == linked["id"] and found[0]["ownerEmail"] == user["email"]
    assert found[0]["status"] == "logged_in" and found[0]["deviceId"] == linked["deviceId"]
    by_owner = api.http.get("/api/admin/devices", params={"q": user["email"],
                                                          "status": "logged_in"},
                            headers=api.auth(admin)).json()["items"]
    assert [d["id"] for d in by_owner] == [linked["id"]]
    none = api.http.get("/api/admin/devices", params={"q": user["email"],
                                                      "status": "disconnected"},
                        headers=api.auth(admin)).json()["items"]
    assert none == []
    bad = api.http.get("/api/admin/devices", params={"status": "asleep"},
                       headers=api.auth(admin))
    assert bad.status_code == 422


def test_health_and_settings(api: Api, shared_deployment: Deployment) -> None:
    admin, _ = make_admin(api, shared_deployment)
    token, _ = api.register()
    api.linked_device(token)
    health = api.http.get("/api/admin/health", headers=api.auth(admin)).json()
    assert health["database"]["reachable"] is True
    assert health["database"]["kind"] == shared_deployment.backend
    assert health["runners"]["live"] >= 1 and health["runners"]["leases"] >= 1
    assert health["version"] and health["engine"] == "sandbox"
    assert health["queuedMessages"] >= 0 and health["webhookBacklog"] >= health["webhookDue"]
    settings = api.http.get("/api/admin/settings", headers=api.auth(admin)).json()
    assert settings["signup"] == "open" and settings["inviteTtlDays"] == 7
    plans = {plan["name"]: plan["deviceLimit"] for plan in settings["plans"]}
    assert plans["free"] == 1 and plans["lite"] == 1 and plans["regular"] == 3


def register(url: str, email: str, invite: str | None = None) -> httpx.Response:
    body = {"email": email, "password": "rahasia123", "name": "Baru"}
    if invite is not None:
        body["invite"] = invite
    return httpx.post(url + "/api/auth/register", json=body)


def test_closed_sign_up_and_configured_plans(deployment: Deployment) -> None:
    deployment.migrate()
    deployment.cli("users", "create", "--email", "ops@example.com", "--name", "Ops",
                   "--password", "rahasia123", "--admin")
    server = deployment.serve(SIGNUP="closed", PLAN_LIMITS='{"free": 2, "gold": 5}')
    refused = register(server.url, "baru@example.com")
    assert refused.status_code == 403 and refused.json()["code"] == "signup_closed"
    token = httpx.post(server.url + "/api/auth/login", json={
        "email": "ops@example.com", "password": "rahasia123"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    settings = httpx.get(server.url + "/api/admin/settings", headers=auth).json()
    assert settings["signup"] == "closed"
    assert [(p["name"], p["deviceLimit"]) for p in settings["plans"]] == [("free", 2),
                                                                          ("gold", 5)]
    for _ in range(2):
        assert httpx.post(server.url + "/api/devices", headers=auth).status_code == 201
    limit = httpx.post(server.url + "/api/devices", headers=auth)
    assert limit.status_code == 403 and limit.json() == {"error": "Paket Free maksimal 2 device"}


def test_invites_are_single_use_and_expire(deployment: Deployment) -> None:
    deployment.migrate()
    deployment.cli("users", "create", "--email", "ops@example.com", "--name", "Ops",
                   "--password", "rahasia123", "--admin")
    server = deployment.serve(SIGNUP="invite")
    token = httpx.post(server.url + "/api/auth/login", json={
        "email": "ops@example.com", "password": "rahasia123"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    without = register(server.url, "a@example.com")
    assert without.status_code == 403 and without.json()["code"] == "invite_required"
    wrong = register(server.url, "a@example.com", "bukan-kode")
    assert wrong.status_code == 403 and wrong.json()["code"] == "invite_invalid"

    made = httpx.post(server.url + "/api/admin/invites", json={"plan": "regular"}, headers=auth)
    assert made.status_code == 201, made.text
    invite = made.json()
    assert {"id", "code", "url", "expiresAt"} <= set(invite)
    assert invite["code"] in invite["url"] and invite["status"] == "open"
    joined = register(server.url, "a@example.com", invite["code"])
    assert joined.status_code == 201 and joined.json()["user"]["plan"] == "regular"
    again = register(server.url, "b@example.com", invite["code"])
    assert again.status_code == 403 and again.json()["code"] == "invite_used"

    for_one = httpx.post(server.url + "/api/admin/invites", json={"email": "C@example.com"},
                         headers=auth).json()
    other = register(server.url, "d@example.com", for_one["code"])
    assert other.status_code == 403 and other.json()["code"] == "invite_other_email"
    assert register(server.url, "c@example.com", for_one["code"]).status_code == 201

    stale = httpx.post(server.url + "/api/admin/invites", json={}, headers=auth).json()
    db_rows(deployment.database_url, "UPDATE invites SET expires_at = created_at "
            "WHERE id = :id", id=uuid.UUID(stale["id"]).hex
            if deployment.backend == "sqlite" else uuid.UUID(stale["id"]))
    expired = register(server.url, "e@example.com", stale["code"])
    assert expired.status_code == 403 and expired.json()["code"] == "invite_expired"

    listed = httpx.get(server.url + "/api/admin/invites", headers=auth).json()["items"]
    assert [i["status"] for i in listed] == ["expired", "used", "used"]
    assert all("code" not in i for i in listed)
    deleted = httpx.post(server.url + "/api/admin/invites", json={}, headers=auth).json()
    assert httpx.delete(server.url + f"/api/admin/invites/{deleted['id']}",
                        headers=auth).status_code == 204
    gone = register(server.url, "f@example.com", deleted["code"])
    assert gone.status_code == 403 and gone.json()["code"] == "invite_invalid"
    assert httpx.delete(server.url + f"/api/admin/invites/{deleted['id']}",
                        headers=auth).json()["code"] == "invite_not_found"


def test_an_admin_changes_the_sign_up_mode_for_every_api_process(
        deployment: Deployment) -> None:
    deployment.migrate()
    deployment.cli("users", "create", "--email", "ops@example.com", "--name", "Ops",
                   "--password", "rahasia123", "--admin")
    first = deployment.serve(SIGNUP="invite")
    second = deployment.api(SIGNUP="invite")  # another API process on the same database
    token = httpx.post(first.url + "/api/auth/login", json={
        "email": "ops@example.com", "password": "rahasia123"}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    def mode(url: str) -> str:
        answer = httpx.get(url + "/api/auth/signup")  # public: no token
        assert answer.status_code == 200
        return str(answer.json()["signup"])

    settings = httpx.get(first.url + "/api/admin/settings", headers=auth).json()
    assert (settings["signup"], settings["signupSource"], settings["signupDefault"],
            settings["signupChangedAt"]) == ("invite", "environment", "invite", None)
    assert mode(first.url) == mode(second.url) == "invite"

    closed = httpx.patch(first.url + "/api/admin/settings", json={"signup": "closed"},
                         headers=auth)
    assert closed.status_code == 200, closed.text
    assert closed.json()["signup"] == "closed" and closed.json()["signupSource"] == "admin"
    assert closed.json()["signupChangedAt"] is not None
    assert mode(first.url) == mode(second.url) == "closed"
    refused = register(second.url, "tutup@example.com")
    assert refused.status_code == 403 and refused.json() == {
        "error": "Pendaftaran ditutup di server ini: minta admin membuatkan akun",
        "code": "signup_closed"}

    opened = httpx.patch(second.url + "/api/admin/settings", json={"signup": "open"},
                         headers=auth)
    assert opened.json()["signup"] == "open"
    assert register(first.url, "buka@example.com").status_code == 201

    back = httpx.patch(first.url + "/api/admin/settings", json={"signup": None}, headers=auth)
    assert (back.json()["signup"], back.json()["signupSource"]) == ("invite", "environment")
    assert register(second.url, "lagi@example.com").json()["code"] == "invite_required"

    for bad in ({"signup": "maybe"}, {}, {"signup": "open", "extra": 1}):
        answer = httpx.patch(first.url + "/api/admin/settings", json=bad, headers=auth)
        assert answer.status_code == 422, bad
    user = register(first.url, "biasa@example.com", None)
    assert user.status_code == 403  # still invite-only: the bad patches changed nothing
    invite = httpx.post(first.url + "/api/admin/invites", json={}, headers=auth).json()
    joined = register(first.url, "biasa@example.com", invite["code"]).json()["token"]
    refused = httpx.patch(first.url + "/api/admin/settings", json={"signup": "open"},
                          headers={"Authorization": f"Bearer {joined}"})
    assert refused.status_code == 403 and refused.json()["code"] == "admin_only"
    assert httpx.patch(first.url + "/api/admin/settings",
                       json={"signup": "open"}).status_code == 401
    assert mode(second.url) == "invite"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_makes_and_unmakes_admins(deployment: Deployment) -> None:
    deployment.migrate()
    created = deployment.cli("users", "create", "--email", "Boss@Example.com", "--name", "B",
                             "--password", "rahasia123", "--admin")
    assert "boss@example.com (free, admin)" in created.stdout
    assert "[admin]" in deployment.cli("users", "list").stdout
    off = deployment.cli("users", "set-admin", "boss@example.com", "--off")
    assert "bukan admin lagi" in off.stdout
    assert "[admin]" not in deployment.cli("users", "list").stdout
    missing = deployment.cli("users", "set-admin", "nobody@example.com", check=False)
    assert missing.returncode == 1 and "User tidak ditemukan" in missing.stderr
    assert "set-admin" in deployment.cli("users", "--help").stdout
