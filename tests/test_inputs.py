"""Bad input is a client error in our shape, never a 500; the server accepts what its
description admits; validation speaks the request's language."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support import Api, Deployment, WapizProcess
from wapiz.db.database import create_engine

EN = {"Accept-Language": "en"}


def _problem(response, status: int = 422) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and isinstance(body["code"], str), body
    return body


def test_nul_characters_are_422_before_the_database(api: Api) -> None:
    register = api.http.post("/api/auth/register", json={
        "email": f"nul-{uuid.uuid4().hex[:8]}@example.com", "password": "rahasia123",
        "name": "Bu\x00di"})
    body = _problem(register)
    assert body["details"] == [{"loc": ["body", "name"], "type": "nul_character",
                                "msg": "Tidak boleh berisi karakter NUL"}]
    token, _ = api.register()
    auth = api.auth(token)
    label = api.http.post("/api/devices", json={"label": "Bot\x00"}, headers=auth)
    assert _problem(label)["details"][0]["type"] == "nul_character"
    device = api.create_device(token)
    proxy = api.http.patch(f"/api/devices/{device['id']}/settings",
                           json={"proxy": "socks5://127.0.0.1:1080\x00"}, headers=auth)
    assert _problem(proxy)["details"][0]["type"] == "nul_character"
    status = api.http.get("/api/messages?status=%00", headers=auth)
    assert _problem(status)["details"][0]["loc"] == ["query", "status"]
    # Nothing of it was stored.
    assert api.http.get(f"/api/devices/{device['id']}/settings",
                        headers=auth).json()["proxy"] is None


def test_times_out_of_range_are_422(api: Api) -> None:
    token, _ = api.register()
    auth = api.auth(token)
    since = api.http.get("/api/messages?since=0001-01-01T00:00:00%2B14:00", headers=auth)
    assert _problem(since)["details"][0]["type"] == "datetime_out_of_range"
    send = api.http.post("/api/messages", headers=auth, json={
        "deviceId": str(uuid.uuid4()), "to": "081234567890", "text": "Halo",
        "sendAt": "9999-12-31T23:59:59-14:00"})
    assert _problem(send)["details"][0]["type"] == "datetime_out_of_range"
    # Seconds since 1970 are not the ISO time the description promises.
    numeric = api.http.get("/api/messages?until=0.5", headers=auth)
    assert _problem(numeric)["details"][0]["type"] == "datetime_format"


def test_webhook_patch_with_nulls_and_an_empty_url(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    response = api.http.patch(f"/api/devices/{device['id']}/webhook", headers=api.auth(token),
                              json={"enabled": None, "events": ["device.status"],
                                    "webhookUrl": ""})
    assert response.status_code == 200, response.text
    assert response.json()["webhookUrl"] is None
    assert response.json()["events"] == ["device.status"]


def test_deleting_a_device_while_its_webhook_is_read_is_never_a_500(api: Api) -> None:
    token, _ = api.register()
    auth = api.auth(token)
    seen: set[int] = set()
    reader = Api(api.url)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(30):
                path = f"/api/devices/{api.create_device(token)['id']}"
                reading = pool.submit(reader.http.get, path + "/webhook", headers=auth)
                deleting = pool.submit(api.http.delete, path, headers=auth)
                statuses = {reading.result().status_code, deleting.result().status_code}
                assert statuses <= {200, 404}, statuses
                seen |= statuses
    finally:
        reader.close()
    assert 200 in seen


def test_malformed_bodies_are_400_invalid_json(api: Api) -> None:
    token, _ = api.register()
    for content in (b"{not json", b'{"label": "\xff\xfe"}'):
        for path, headers in (("/api/auth/register", {}),
                              ("/api/devices", api.auth(token))):
            response = api.http.post(path, content=content, headers={
                **headers, "Content-Type": "application/json"})
            assert _problem(response, 400) == {"error": "Body bukan JSON yang valid",
                                               "code": "invalid_json"}
    english = api.http.post("/api/auth/login", content=b"[", headers={
        "Content-Type": "application/json", **EN})
    assert _problem(english, 400)["error"] == "The body is not valid JSON"


def test_validation_speaks_the_requests_language(api: Api) -> None:
    body = {"email": "bukan-email", "password": "rahasia123", "name": "A"}
    indonesian = _problem(api.http.post("/api/auth/register", json=body))
    english = _problem(api.http.post("/api/auth/register", json=body, headers=EN))
    assert indonesian["code"] == english["code"] == "validation_failed"
    assert indonesian["error"].startswith("Data tidak valid: email: ")
    assert english["error"].startswith("Invalid data: email: ")
    short = {"email": "a@example.com", "password": "pendek"}
    details = _problem(api.http.post("/api/auth/register", json=short))["details"]
    assert {d["msg"] for d in details} == {"Minimal 8 karakter", "Wajib diisi"}
    details = _problem(api.http.post("/api/auth/register", json=short, headers=EN))["details"]
    assert {d["msg"] for d in details} == {"String should have at least 8 characters",
                                          "Field required"}
    # Our own rules too.
    token, _ = api.register()
    send = {"deviceId": str(uuid.uuid4()), "to": "081234567890", "type": "image"}
    for headers, words in (({}, "pesan image butuh tepat satu file"),
                           (EN, "an image message needs exactly one file")):
        answer = _problem(api.http.post("/api/messages", json=send,
                                        headers={**api.auth(token), **headers}))
        assert answer["details"][0]["type"] == "file_required"
        assert answer["details"][0]["msg"].startswith(words)
        assert words in answer["error"]
    # A choice of values is said in one language too ("atau", not pydantic's "or").
    device = api.create_device(token)
    choice = _problem(api.http.get(f"/api/devices/{device['id']}/webhook/deliveries",
                                   params={"status": "x"}, headers=api.auth(token)))
    assert choice["details"][0]["msg"] == (
        "Harus salah satu dari: 'pending', 'succeeded' atau 'failed'")


def test_booleans_are_json_booleans(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    auth = api.auth(token)
    for path, body in ((f"/api/devices/{device['id']}/webhook", {"enabled": 0}),
                       (f"/api/devices/{device['id']}/settings", {"typing": 0}),
                       (f"/api/devices/{device['id']}/settings", {"minDelayMs": "5"})):
        answer = _problem(api.http.patch(path, json=body, headers=auth))
        assert answer["details"][0]["type"] in ("bool_type", "int_type"), answer
    assert api.http.get(f"/api/devices/{device['id']}/settings",
                        headers=auth).json()["typing"] is True


def test_what_the_description_admits_is_accepted(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    auth = api.auth(token)
    settings = f"/api/devices/{device['id']}/settings"
    api.http.patch(settings, json={"minDelayMs": 50, "maxDelayMs": 60, "typing": False},
                   headers=auth).raise_for_status()
    reset = api.http.patch(settings, json={"minDelayMs": None, "maxDelayMs": None,
                                           "typing": None}, headers=auth)
    assert reset.status_code == 200, reset.text
    assert reset.json() | {"proxy": None} == {"proxy": None, "minDelayMs": 1000,
                                              "maxDelayMs": 3000, "typing": True,
                                              "perMinute": None, "rejectCalls": False,
                                              "rejectCallsMessage": None, "historySync": False,
                                              "historySyncDays": 30}
    cursor = "0-" + "0" * 32
    page = api.http.get("/api/messages", params={"cursor": cursor}, headers=auth)
    assert page.status_code == 200 and page.json()["items"] == []
    deliveries = api.http.get(f"/api/devices/{device['id']}/webhook/deliveries",
                              params={"cursor": "999999999999999999"}, headers=auth)
    assert deliveries.status_code == 200, deliveries.text


def test_405_lists_every_method_of_the_path(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    for path, methods in ((f"/api/devices/{device['id']}/webhook", "GET, HEAD, PATCH"),
                          ("/api/devices", "GET, HEAD, POST"),
                          (f"/api/messages/{uuid.uuid4()}", "DELETE, GET, HEAD, PATCH"),
                          ("/api/messages/bulk", "POST")):
        for method in ("OPTIONS", "PUT"):
            answer = api.http.request(method, path, headers=api.auth(token))
            assert _problem(answer, 405)["code"] == "method_not_allowed"
            assert answer.headers["Allow"] == methods, (method, path)


def test_sql_parameters_never_reach_an_error(server: WapizProcess,
                                            shared_deployment: Deployment) -> None:
    secret = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0"

    async def fail() -> str:
        engine = create_engine(shared_deployment.database_url, "wapiz-test")
        try:
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO no_such_table VALUES (:hash)"),
                                         {"hash": secret})
        except DBAPIError as error:
            return str(error)
        finally:
            await engine.dispose()
        raise AssertionError("the statement did not fail")

    shown = asyncio.run(fail())
    assert "no_such_table" in shown and secret not in shown
    assert secret not in server.log()

