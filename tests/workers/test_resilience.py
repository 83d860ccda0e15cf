"""Crashes, restarts and shutdowns: logged-in devices come back without a new scan."""

import fcntl
import os
import signal
import time

import httpx
import pytest

from tests.support import Api, Deployment, WapizProcess, alive, db_rows, wait_until
from wapiz.workers.runner.process import STOP_DEADLINE_S

RECOVERY_LIMIT_S = 15.0
SHUTDOWN_LIMIT_S = 5.0
KILL_ROUNDS = 3


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
    phone = api.status(token, device["id"])["phone"]
    api.close()
    first.stop()

    second = deployment.serve()
    api = Api(second.url)
    wait_until(lambda: _logged_in(api, token, device["id"]), timeout=RECOVERY_LIMIT_S)
    assert api.status(token, device["id"])["phone"] == phone
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


def _resumed_by(deployment: Deployment, server: WapizProcess, api: Api, token: str,
                device_id: str) -> bool:
    """Logged in, and held by the runner of this `serve` (a runner names itself after its
    supervisor's pid): not a stale row of a runner that is gone."""
    [(runner,)] = db_rows(deployment.database_url, "SELECT runner FROM device_sessions")
    return f":{server.pid}:" in (runner or "") and _logged_in(api, token, device_id)


def _killed(server: WapizProcess) -> float:
    server.signal(signal.SIGKILL)
    server.wait(timeout=5)
    return time.monotonic()


def test_a_new_serve_resumes_the_devices_of_a_killed_one(deployment: Deployment) -> None:
    """SIGKILL `wapiz serve` and start another: the devices are logged in again within
    RECOVERY_LIMIT_S, round after round (its runner, orphaned, must not hold them up)."""
    server, api, token, device = deployment.serve_with_linked_device()
    api.close()
    figures = []
    for _ in range(KILL_ROUNDS):
        wait_until(server.runner_pids, timeout=10)
        killed_at = _killed(server)
        server = deployment.serve()
        api = Api(server.url)
        wait_until(lambda s=server, a=api: _resumed_by(deployment, s, a, token, device["id"]),
                   timeout=RECOVERY_LIMIT_S - (time.monotonic() - killed_at), interval=0.2)
        figures.append(time.monotonic() - killed_at)
        api.close()
    print("resumed after", ", ".join(f"{seconds:.1f}s" for seconds in figures))


def test_a_killed_serves_runner_does_not_linger_when_its_stop_must_wait(
    deployment: Deployment,
) -> None:
    """The orphaned runner's stop writes (it hands its leases back), and may have to wait for
    SQLite's write lock: not past its own deadline, for no supervisor is left to kill it."""
    if deployment.backend != "sqlite":
        pytest.skip("the write lock's files are SQLite's")
    server, api, token, device = deployment.serve_with_linked_device()
    api.close()
    [runner] = wait_until(server.runner_pids, timeout=10)
    with (deployment.data_dir / "wapiz.db-writer.lock").open("ab") as write_lock:
        fcntl.flock(write_lock, fcntl.LOCK_EX)  # a long write of another process's
        killed_at = _killed(server)
        wait_until(lambda: not alive(runner), timeout=STOP_DEADLINE_S + 3)
        print(f"the orphaned runner exited after {time.monotonic() - killed_at:.1f}s")
    server = deployment.serve()
    api = Api(server.url)
    wait_until(lambda: _resumed_by(deployment, server, api, token, device["id"]),
               timeout=RECOVERY_LIMIT_S, interval=0.2)
    api.close()


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
