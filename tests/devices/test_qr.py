"""QR codes: real PNGs that decode to the code the device shows, rotating like WhatsApp's."""


import time

from tests.support import Api, Deployment, db_rows, decode_qr, wait_until


def _current_code(deployment: Deployment, device_id: str) -> str | None:
    rows = db_rows(deployment.database_url,
                   "SELECT qr_code FROM device_sessions WHERE device_id = :id",
                   id=device_id.replace("-", "") if deployment.backend == "sqlite" else device_id)
    return rows[0][0] if rows else None


def _qr(api: Api, token: str, device_id: str) -> bytes:
    response = api.http.get(f"/api/devices/{device_id}/qr", headers=api.auth(token))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return response.content


def test_qr_png_decodes_to_the_current_code(shared_deployment: Deployment, api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    png = _qr(api, token, device["id"])  # waits briefly for the runner's first code
    assert png.startswith(b"\x89PNG")
    code = decode_qr(png)
    assert code.startswith("2@") and code.count(",") == 3
    assert code == _current_code(shared_deployment, device["id"])
    status = api.status(token, device["id"])
    assert status["status"] == "connected" and status["loggedIn"] is False


def test_qr_turns_into_status_once_logged_in(api: Api) -> None:
    token, _ = api.register()
    device = api.linked_device(token)
    response = api.http.get(f"/api/devices/{device['id']}/qr", headers=api.auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["status"] == "logged_in"
    assert response.json()["connected"] is True and response.json()["loggedIn"] is True


def test_qr_rotates(deployment: Deployment) -> None:
    server = deployment.serve(sandbox_qr_seconds="1.5")
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    seen: list[str] = []

    def shows_the_current_code() -> str | None:
        # The image may be a moment behind a rotation (answers are cached for 0.5 s).
        code = decode_qr(_qr(api, token, device["id"]))
        return code if code == _current_code(deployment, device["id"]) else None

    for _ in range(3):
        code = wait_until(shows_the_current_code, timeout=10, interval=0.2)
        seen.append(code)
        wait_until(lambda: _current_code(deployment, device["id"]) not in seen, timeout=10)
    assert len(set(seen)) == 3
    # The identity part of the code stays; the reference rotates.
    assert len({code.split(",", 1)[1] for code in seen}) == 1
    api.close()


def test_qr_without_a_runner_is_503_with_retry_after(deployment: Deployment) -> None:
    deployment.migrate()
    server = deployment.api(qr_wait_seconds="0.5")
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    response = api.http.get(f"/api/devices/{device['id']}/qr", headers=api.auth(token))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert "QR code belum tersedia" in response.json()["error"]
    status = api.status(token, device["id"])
    assert status["status"] == "disconnected" and status["reason"] == "waiting_for_runner"

    deployment.runner("late")
    png = wait_until(lambda: _qr_or_none(api, token, device["id"]), timeout=15)
    assert decode_qr(png).startswith("2@")
    api.close()


def _qr_or_none(api: Api, token: str, device_id: str) -> bytes | None:
    response = api.http.get(f"/api/devices/{device_id}/qr", headers=api.auth(token))
    return response.content if response.status_code == 200 else None


def test_qr_answers_at_once_when_no_runner_holds_the_device(deployment: Deployment) -> None:
    server = deployment.serve()
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    _qr(api, token, device["id"])
    api.close()
    server.stop()  # the runner hands its lease back: no code can come now

    api = Api(deployment.api().url)  # the default wait for a first code (5 s) stands
    started = time.monotonic()
    response = api.http.get(f"/api/devices/{device['id']}/qr", headers=api.auth(token))
    answered_in = time.monotonic() - started
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    assert response.json()["code"] == "qr_not_ready"
    assert answered_in < 1.0, answered_in
    api.close()
