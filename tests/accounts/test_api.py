"""Accounts over HTTP: register, login, logout, me, and the throttle on failed logins."""

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from tests.support import Api, Deployment, db_rows


def _email() -> str:
    return f"akun-{uuid.uuid4().hex[:10]}@example.com"


def test_register_returns_user_and_token_and_sets_the_cookie(api: Api) -> None:
    email = _email()
    response = api.http.post(
        "/api/auth/register", json={"email": email, "password": "rahasia123", "name": "Budi"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == email
    assert body["user"]["name"] == "Budi"
    assert body["user"]["plan"] == "free"
    assert body["user"]["deviceLimit"] == 1
    uuid.UUID(body["user"]["id"])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"wa_token={body['token']};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # only when WAPIZ_COOKIE_SECURE is set
    # The token works as the cookie and as a bearer token.
    me = httpx.get(api.url + "/api/auth/me", cookies={"wa_token": body["token"]})
    assert me.status_code == 200 and me.json()["email"] == email
    me = api.http.get("/api/auth/me", headers=api.auth(body["token"]))
    assert me.json() == {**body["user"], "deviceCount": 0}


def test_email_is_case_insensitive_and_unique(api: Api) -> None:
    email = _email()
    first = {"email": email.upper(), "password": "rahasia123", "name": "A"}
    assert api.http.post("/api/auth/register", json=first).status_code == 201
    again = api.http.post("/api/auth/register", json={**first, "email": email})
    assert again.status_code == 409
    assert again.json() == {"error": "Email sudah terdaftar", "code": "email_taken"}


def test_malformed_bodies_are_422_with_details(api: Api) -> None:
    cases = [
        {"email": "not-an-email", "password": "rahasia123", "name": "A"},
        {"email": _email(), "password": "short", "name": "A"},
        {"email": _email(), "password": "rahasia123", "name": "   "},
        {"email": _email(), "password": "rahasia123"},
    ]
    for body in cases:
        response = api.http.post("/api/auth/register", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"].startswith("Data tidak valid: ")
        assert response.json()["details"], body


def test_login_logout_and_revoked_token(api: Api) -> None:
    token, user = api.register()
    response = api.http.post("/api/auth/login",
                             json={"email": user["email"], "password": "rahasia123"})
    assert response.status_code == 200
    second = response.json()["token"]
    assert second != token and response.headers["set-cookie"].startswith("wa_token=")
    assert response.json()["user"]["id"] == user["id"]

    logout = api.http.post("/api/auth/logout", headers=api.auth(second))
    assert logout.status_code == 200 and logout.json() == {"ok": True}
    assert 'wa_token=""' in logout.headers["set-cookie"]
    revoked = api.http.get("/api/auth/me", headers=api.auth(second))
    assert revoked.status_code == 401 and revoked.json() == {"error": "Unauthorized"}
    # Logging out one token leaves the others alone.
    assert api.http.get("/api/auth/me", headers=api.auth(token)).status_code == 200


def test_wrong_password_and_unknown_email_are_401(api: Api) -> None:
    _, user = api.register()
    wrong = api.http.post("/api/auth/login", json={"email": user["email"], "password": "salah123"})
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "Email atau password salah", "code": "bad_credentials"}
    unknown = api.http.post("/api/auth/login", json={"email": _email(), "password": "salah123"})
    assert unknown.status_code == 401 and unknown.json() == wrong.json()


def test_repeated_failed_logins_are_throttled(api: Api) -> None:
    _, user = api.register()
    attempt = {"email": user["email"], "password": "salah123"}
    for _ in range(5):
        assert api.http.post("/api/auth/login", json=attempt).status_code == 401
    locked = api.http.post("/api/auth/login", json=attempt)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 30
    assert "Coba lagi" in locked.json()["error"]
    # Even the right password waits out the lock.
    right = api.http.post("/api/auth/login", json={**attempt, "password": "rahasia123"})
    assert right.status_code == 429
    # Other accounts are not affected.
    _, other = api.register()
    fine = api.http.post("/api/auth/login",
                         json={"email": other["email"], "password": "rahasia123"})
    assert fine.status_code == 200


def test_every_api_route_wants_a_valid_token(api: Api) -> None:
    some_id = str(uuid.uuid4())
    routes = [
        ("GET", "/api/auth/me"), ("POST", "/api/auth/logout"),
        ("GET", "/api/devices"), ("POST", "/api/devices"),
        ("DELETE", f"/api/devices/{some_id}"), ("GET", f"/api/devices/{some_id}/qr"),
        ("GET", f"/api/devices/{some_id}/status"), ("PATCH", f"/api/devices/{some_id}/webhook"),
        ("POST", f"/api/sandbox/devices/{some_id}/link"),
        ("POST", f"/api/sandbox/devices/{some_id}/unlink"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wapiz_bogus"},
                        {"Cookie": "wa_token=wapiz_bogus"}):
            response = api.http.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert response.json() == {"error": "Unauthorized"}


def test_secure_cookie_when_configured(deployment: Deployment) -> None:
    server = deployment.serve(cookie_secure="true")
    response = httpx.post(server.url + "/api/auth/register",
                          json={"email": _email(), "password": "rahasia123", "name": "A"})
    assert response.status_code == 201
    assert "Secure" in response.headers["set-cookie"]


def test_parallel_guesses_cannot_pass_the_throttle(api: Api) -> None:
    _, user = api.register()
    attempt = {"email": user["email"], "password": "salah123"}

    def guess(_: int) -> int:
        with httpx.Client(base_url=api.url, timeout=60) as client:
            return client.post("/api/auth/login", json=attempt).status_code

    with ThreadPoolExecutor(max_workers=15) as pool:
        codes = Counter(pool.map(guess, range(15)))
    # Those the password hashing cannot take at once are told to come back (503).
    assert codes[401] <= 5 and codes[401] + codes[429] + codes[503] == 15, codes


def test_many_simultaneous_logins_all_get_an_answer(api: Api) -> None:
    """Logins must not exhaust the database pool (each attempt is counted on the side);
    those beyond what the password hashing lets wait are told to come back (503)."""
    users = [api.register()[1] for _ in range(4)]

    def login(i: int) -> int:
        user = users[i % len(users)]
        password = "rahasia123" if i % 2 else "salah123"
        with httpx.Client(base_url=api.url, timeout=60) as client:
            return client.post("/api/auth/login",
                               json={"email": user["email"], "password": password}).status_code

    with ThreadPoolExecutor(max_workers=60) as pool:
        codes = Counter(pool.map(login, range(60)))
    assert set(codes) <= {200, 401, 429, 503}, codes
    assert codes[200] >= 1


def test_expired_tokens_are_refused(shared_deployment: Deployment, api: Api) -> None:
    token, user = api.register()
    past = datetime(2020, 1, 1, tzinfo=UTC)
    db_rows(shared_deployment.database_url,
            "UPDATE api_tokens SET expires_at = :past WHERE user_id = :user",
            past=past.replace(tzinfo=None) if shared_deployment.backend == "sqlite" else past,
            user=user["id"].replace("-", "") if shared_deployment.backend == "sqlite"
            else user["id"])
    response = api.http.get("/api/auth/me", headers=api.auth(token))
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}


def test_the_right_password_works_once_the_lockout_ends(deployment: Deployment) -> None:
    # A lockout long enough that the next try surely falls in it on a loaded machine (each
    # login hashes a password: up to a second or so when the CPUs are busy).
    server = deployment.serve(login_max_failures="2", login_lockout_seconds="3")
    api = Api(server.url)
    _, user = api.register()
    wrong = {"email": user["email"], "password": "salah123"}
    assert [api.http.post("/api/auth/login", json=wrong).status_code for _ in range(2)] == [
        401, 401
    ]
    locked = api.http.post("/api/auth/login", json=wrong)
    assert locked.status_code == 429 and 1 <= int(locked.headers["Retry-After"]) <= 3
    time.sleep(int(locked.headers["Retry-After"]) + 0.2)
    right = api.http.post("/api/auth/login", json={**wrong, "password": "rahasia123"})
    assert right.status_code == 200
    # A success clears the count: two more failures are allowed before the next lock.
    assert [api.http.post("/api/auth/login", json=wrong).status_code for _ in range(3)] == [
        401, 401, 429
    ]
    api.close()
