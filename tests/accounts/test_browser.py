"""A browser holding the `wa_token` cookie: other sites cannot act with it (CSRF), log it in
(login CSRF) or read the API (CORS, off unless origins are listed); the cookie is `Secure`
behind an https public URL."""

import uuid
from collections.abc import Iterator

import pytest

from tests.messages.parties import inbox, linked_party, unique_phone
from tests.support import Api, Deployment, WapizProcess

EVIL = "https://evil.example"
DASHBOARD = "https://dash.example.com"
PUBLIC_URL = "https://wapiz.example.com"
CROSS_SITE = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
REFUSED = {"error": "Permintaan dari situs lain ditolak: kirim token sebagai header "
                    "Authorization: Bearer, atau panggil dari asal yang sama",
           "code": "cross_site_request"}


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"wa_token={token}"}


def devices(api: Api, token: str) -> list[dict]:
    return api.http.get("/api/devices", headers=api.auth(token)).json()


def _new_account() -> dict[str, str]:
    return {"email": f"web-{uuid.uuid4().hex[:10]}@example.com", "password": "rahasia123",
            "name": "Web"}


def test_a_cross_site_form_with_the_cookie_changes_nothing(api: Api) -> None:
    token, _ = api.register()
    # A form on another site posting to the API: the browser adds the cookie.
    created = api.http.post("/api/devices", data={"label": "Dari situs lain"},
                            headers={**cookie(token), **CROSS_SITE})
    assert created.status_code == 403 and created.json() == REFUSED
    assert devices(api, token) == []
    # The words follow Accept-Language like every error's.
    english = api.http.post("/api/devices", data={}, headers={
        **cookie(token), "Origin": EVIL, "Accept-Language": "en"})
    assert english.status_code == 403 and english.json() == {
        "error": "Cross-site request refused: send the token as an Authorization: Bearer "
                 "header, or call from the same origin", "code": "cross_site_request"}
    # Either header alone is enough to tell: an Origin, or Sec-Fetch-Site.
    for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"}):
        answer = api.http.post("/api/devices", json={}, headers={**cookie(token), **headers})
        assert answer.status_code == 403, headers
    assert devices(api, token) == []

    # Every state-changing method, on every route that takes the cookie.
    device = api.create_device(token)
    for method, path in (("DELETE", f"/api/devices/{device['id']}"),
                         ("PATCH", f"/api/devices/{device['id']}/settings"),
                         ("PATCH", f"/api/devices/{device['id']}/webhook"),
                         ("POST", "/api/auth/logout")):
        answer = api.http.request(method, path, json={"proxy": None, "webhookUrl": None},
                                  headers={**cookie(token), **CROSS_SITE})
        assert answer.status_code == 403 and answer.json() == REFUSED, (method, path)
    assert [d["id"] for d in devices(api, token)] == [device["id"]]
    assert api.http.get("/api/auth/me", headers=api.auth(token)).status_code == 200  # not out
    # Reading with the cookie from anywhere is allowed (it is CORS that keeps the answer from
    # another site's script).
    listed = api.http.get("/api/devices", headers={**cookie(token), **CROSS_SITE})
    assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [device["id"]]


def test_a_cross_site_upload_with_the_cookie_sends_nothing(api: Api) -> None:
    alice = linked_party(api, unique_phone())
    form = {"deviceId": alice.device["deviceId"], "to": unique_phone(), "type": "document"}
    upload = api.http.post("/api/messages/upload", data=form,
                           files={"file": ("catatan.txt", b"halo", "text/plain")},
                           headers={**cookie(alice.token), **CROSS_SITE})
    assert upload.status_code == 403 and upload.json() == REFUSED
    sent = api.http.get("/api/messages", headers=api.auth(alice.token)).json()["items"]
    assert sent == [] and inbox(api, alice) == []
    # The same upload with the token as a Bearer header (no browser sends one on its own).
    bearer = api.http.post("/api/messages/upload", data=form,
                           files={"file": ("catatan.txt", b"halo", "text/plain")},
                           headers={**api.auth(alice.token), **CROSS_SITE})
    assert bearer.status_code == 202, bearer.text


def test_bearer_same_origin_and_headerless_calls_work(api: Api) -> None:
    token, _ = api.register()
    # Bearer: a page cannot make the browser send it, so the origin does not matter.
    assert api.http.post("/api/devices", json={"label": "bearer"},
                         headers={**api.auth(token), **CROSS_SITE}).status_code == 201
    token, _ = api.register()
    for headers in (
        # The server's own origin (no WAPIZ_PUBLIC_URL: the Host the request came to).
        {"Origin": api.url, "Sec-Fetch-Site": "same-origin"},
        # Sec-Fetch-Site alone (a browser's), and neither header (curl, older clients).
        {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}, {},
    ):
        created = api.http.post("/api/devices", json={}, headers={**cookie(token), **headers})
        assert created.status_code == 201, (headers, created.text)
        deleted = api.http.delete(f"/api/devices/{created.json()['id']}",
                                  headers={**cookie(token), **headers})
        assert deleted.status_code == 200, headers
    assert devices(api, token) == []


def test_login_and_register_from_another_site_log_no_one_in(api: Api) -> None:
    account = _new_account()
    register = api.http.post("/api/auth/register", json=account, headers=CROSS_SITE)
    assert register.status_code == 403 and register.json() == REFUSED
    assert "set-cookie" not in register.headers
    # Nothing was created: the same account registers from the same origin.
    same_origin = api.http.post("/api/auth/register", json=account, headers={"Origin": api.url})
    assert same_origin.status_code == 201 and "set-cookie" in same_origin.headers
    credentials = {"email": account["email"], "password": account["password"]}
    # Login CSRF: another site logging the browser into an account of its choosing.
    login = api.http.post("/api/auth/login", json=credentials, headers=CROSS_SITE)
    assert login.status_code == 403 and login.json() == REFUSED
    assert "set-cookie" not in login.headers
    for headers in ({"Origin": api.url}, {"Sec-Fetch-Site": "same-origin"}, {}):
        assert api.http.post("/api/auth/login", json=credentials,
                             headers=headers).status_code == 200, headers


@pytest.fixture(scope="module")
def dashboard_api(server: WapizProcess, shared_deployment: Deployment) -> Iterator[Api]:
    """An API process behind an https public URL that lets a dashboard's origin in (the
    list as people write it: comma-separated, a trailing slash)."""
    process = shared_deployment.api(public_url=PUBLIC_URL,
                                    cors_origins=f"{DASHBOARD}/, https://admin.example.com")
    client = Api(process.url)
    yield client
    client.close()


def _preflight(api: Api, origin: str) -> dict[str, str]:
    answer = api.http.options("/api/devices", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    return {name: value for name, value in answer.headers.items()
            if name.startswith("access-control-")} | {"status": str(answer.status_code)}


def test_cors_lets_listed_origins_in_and_no_one_else(api: Api, dashboard_api: Api) -> None:
    allowed = _preflight(dashboard_api, DASHBOARD)
    assert allowed["status"] == "200"
    assert allowed["access-control-allow-origin"] == DASHBOARD
    assert allowed["access-control-allow-credentials"] == "true"
    assert "POST" in allowed["access-control-allow-methods"]
    assert "idempotency-key" in allowed["access-control-allow-headers"].lower()
    for refused in (_preflight(dashboard_api, EVIL), _preflight(api, DASHBOARD)):
        # An unlisted origin, or the default server (CORS off): no answer a browser accepts.
        assert "access-control-allow-origin" not in refused
    token, _ = dashboard_api.register()
    read = dashboard_api.http.get("/api/devices", headers={**cookie(token), "Origin": DASHBOARD})
    assert read.headers["access-control-allow-origin"] == DASHBOARD  # never "*"
    assert read.headers["access-control-allow-credentials"] == "true"
    foreign = dashboard_api.http.get("/api/devices", headers={**cookie(token), "Origin": EVIL})
    assert "access-control-allow-origin" not in foreign.headers


def test_listed_origins_and_the_public_url_are_same_origin(dashboard_api: Api) -> None:
    token, _ = dashboard_api.register()
    for origin in (DASHBOARD, PUBLIC_URL, "https://WAPIZ.example.com:443"):
        created = dashboard_api.http.post("/api/devices", json={}, headers={
            **cookie(token), "Origin": origin, "Sec-Fetch-Site": "cross-site"})
        assert created.status_code == 201, (origin, created.text)
        assert dashboard_api.http.delete(f"/api/devices/{created.json()['id']}",
                                         headers=Api.auth(token)).status_code == 200
    # With a public URL, that is the server's origin; the address it was reached at is not.
    for origin in (dashboard_api.url, "http://wapiz.example.com", EVIL):
        refused = dashboard_api.http.post("/api/devices", json={},
                                          headers={**cookie(token), "Origin": origin})
        assert refused.status_code == 403 and refused.json() == REFUSED, origin
    assert devices(dashboard_api, token) == []


def test_the_cookie_is_secure_behind_an_https_public_url(dashboard_api: Api) -> None:
    registered = dashboard_api.http.post("/api/auth/register", json=_new_account(),
                                         headers={"Origin": PUBLIC_URL})
    assert registered.status_code == 201
    set_cookie = registered.headers["set-cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    token = registered.json()["token"]
    logout = dashboard_api.http.post("/api/auth/logout", headers={**cookie(token),
                                                                  "Origin": PUBLIC_URL})
    assert logout.status_code == 200 and "Secure" in logout.headers["set-cookie"]

