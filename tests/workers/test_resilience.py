"""Crashes, restarts and shutdowns: logged-in devices come back without a new scan."""

import os
import signal
import time

import httpx

from tests.support import Api, Deployment, alive, db_rows, wait_until

RECOVERY_LIMIT_S = 15.0
SHUTDOWN_LIMIT_S = 5.0


def _logged_in(api: Api, token: str, device_id: str) -> bool:
    return api.status(token, device_id)["status"] == "logged_in"


def test_runner_killed_with_sigkill_comes_back(deployment: Deployment) -> None:
    server, api, token, device = deployment.serve_with_linked_device()
    [runner] = wait_until(server.runner_pids, timeout=10)

    os.kill(runner, signal.SIGKILL)
    killed_at = time.monotonic()
    seen = []
    while time.monotonic() - killed_at < RECOVERY_LIMIT_S:
        status = api.status(token, device["id"])  # the API keeps answering throughout
        seen.append(status["status"])
        if status["status"] == "logged_in" and "disconnected" in seen:
            break
        time.sleep(0.2)
    recovered_in = time.monotonic() - killed_at
    assert seen[-1] == "logged_in", seen
    assert recovered_in < RECOVERY_LIMIT_S
    # Honest meanwhile: the device was reported disconnected while no runner held it.
    assert "disconnected" in seen
    [new_runner] = server.runner_pids()
    assert new_runner != runner and not alive(runner)
    print(f"recovered in {recovered_in:.2f}s")
    api.close()


def test_server_restart_keeps_devices_logged_in(deployment: Deployment) -> None:
    first, api, token, device = deployment.serve_with_linked_device()
    api.close()
    first.stop()

    second = deployment.serve()
    api = Api(second.url)
    wait_until(lambda: _logged_in(api, token, device["id"]), timeout=RECOVERY_LIMIT_S)
    assert api.status(token, device["id"])["phone"] == "6281234567890"
    api.close()


def test_sigterm_stops_everything_within_seconds(deployment: Deployment) -> None:
    server, api, _, _ = deployment.serve_with_linked_device()
    api.close()
    [runner] = wait_until(server.runner_pids, timeout=10)

    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(timeout=SHUTDOWN_LIMIT_S + 5) == 0
    assert time.monotonic() - started < SHUTDOWN_LIMIT_S
    wait_until(lambda: not alive(runner), timeout=1)
    # The runner handed its leases back on the way out.
    assert db_rows(deployment.database_url,
                   "SELECT runner FROM device_sessions WHERE runner IS NOT NULL") == []


def test_ctrl_c_stops_everything(deployment: Deployment) -> None:
    server = deployment.serve()
    [runner] = wait_until(server.runner_pids, timeout=10)
    started = time.monotonic()
    os.killpg(server.pid, signal.SIGINT)  # what a terminal's Ctrl+C does
    server.wait(timeout=SHUTDOWN_LIMIT_S + 5)
    assert time.monotonic() - started < SHUTDOWN_LIMIT_S
    wait_until(lambda: not alive(runner), timeout=1)


def test_killed_server_leaves_no_orphan_runner(deployment: Deployment) -> None:
    server = deployment.serve()
    [runner] = wait_until(server.runner_pids, timeout=10)
    server.signal(signal.SIGKILL)
    server.wait(timeout=5)
    wait_until(lambda: not alive(runner), timeout=SHUTDOWN_LIMIT_S)


def test_deleting_a_device_logs_it_out_and_removes_its_keys(deployment: Deployment) -> None:
    _server, api, token, device = deployment.serve_with_linked_device()
    key_rows = "SELECT key FROM sandbox_sessions WHERE key = :key"
    assert db_rows(deployment.database_url, key_rows, key=device["id"])

    response = api.http.delete(f"/api/devices/{device['id']}", headers=api.auth(token))
    assert response.json() == {"ok": True}
    wait_until(lambda: not db_rows(deployment.database_url, key_rows, key=device["id"]),
               timeout=10)
    # The keys go first, then the rows (in the runner's next statement).
    wait_until(lambda: db_rows(deployment.database_url, "SELECT count(*) FROM devices")
               == [(0,)], timeout=5)
    assert db_rows(deployment.database_url, "SELECT count(*) FROM device_sessions") == [(0,)]
    api.close()


def test_api_keeps_answering_without_any_runner(deployment: Deployment) -> None:
    deployment.migrate()
    server = deployment.api()
    assert httpx.get(server.url + "/api/health").json()["status"] == "ok"
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    assert api.status(token, device["id"])["reason"] == "waiting_for_runner"
    api.close()


def _linked_then_runnerless(deployment: Deployment) -> tuple[Api, str, dict]:
    """A linked device, then the server stopped and only the API started again."""
    server, api, token, device = deployment.serve_with_linked_device()
    api.close()
    server.stop()
    return Api(deployment.api().url), token, device


def test_a_device_deleted_while_no_runner_runs_is_cleaned_up_later(
    deployment: Deployment,
) -> None:
    api, token, device = _linked_then_runnerless(deployment)
    assert api.http.delete(f"/api/devices/{device['id']}",
                           headers=api.auth(token)).json() == {"ok": True}
    assert api.http.get("/api/devices", headers=api.auth(token)).json() == []
    keys = "SELECT key FROM sandbox_sessions WHERE key = :key"
    assert db_rows(deployment.database_url, keys, key=device["id"])  # nobody removed them yet

    deployment.runner("late")
    wait_until(lambda: not db_rows(deployment.database_url, keys, key=device["id"]), timeout=15)
    wait_until(lambda: db_rows(deployment.database_url, "SELECT count(*) FROM devices")
               == [(0,)], timeout=5)
    api.close()


def test_unlinked_on_the_phone_while_no_runner_runs(deployment: Deployment) -> None:
    api, token, device = _linked_then_runnerless(deployment)
    response = api.http.post(f"/api/sandbox/devices/{device['id']}/unlink",
                             headers=api.auth(token))
    assert response.status_code == 200 and response.json()["loggedIn"] is False

    # The runner that resumes the device learns it was removed: no login, a fresh QR code.
    deployment.runner("late")

    def showing_qr() -> bool:
        reply = api.http.get(f"/api/devices/{device['id']}/qr", headers=api.auth(token))
        return reply.headers["content-type"] == "image/png"

    wait_until(showing_qr, timeout=15)
    assert api.status(token, device["id"])["status"] == "connected"
    api.close()
