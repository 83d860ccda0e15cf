"""The real whatsmeow engine (neonize and its Go library) in real `wapiz serve` processes.

WhatsApp is out of reach here, and must be: every connection goes through a proxy on a
loopback port that either drops it at once or never answers, as an unreachable or hanging
WhatsApp would look.
"""

import os
import signal
import time
import uuid
from itertools import pairwise
from pathlib import Path

from tests.engines.whatsmeow.proxies import LoopbackProxy
from tests.support import Api, Deployment, WapizProcess, db_rows, free_port, wait_until, wapiz


def whatsmeow(deployment: Deployment, proxy: LoopbackProxy, **settings: str) -> WapizProcess:
    return deployment.serve(engine="whatsmeow", proxy=proxy.url, **settings)


def test_unreachable_whatsapp_is_reported_and_retried_with_backoff(
    deployment: Deployment, proxies: list[LoopbackProxy]
) -> None:
    proxies += [LoopbackProxy(), LoopbackProxy(), LoopbackProxy(tunnels=True)]
    server_proxy, device_proxy, open_proxy = proxies
    server = whatsmeow(deployment, server_proxy)
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)

    wait_until(lambda: len(server_proxy.accepted) >= 5, timeout=30)
    # Between attempts (a moment of "connecting" aside) the device says why it is down.
    status = wait_until(lambda: (s := api.status(token, device["id"]))["reason"]
                        == "connect_failed" and s, timeout=10)
    assert status["status"] == "disconnected"
    assert status["detail"] == "proxy_error"  # the proxy hung up: the kind, not Go's words
    # Capped exponential backoff with jitter: each wait at least as long as the one before.
    times = server_proxy.accepted[:5]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert all(b > a * 0.9 for a, b in pairwise(gaps)), gaps
    assert gaps[-1] > 3 * gaps[0], gaps

    # /qr does not wait for a code that cannot come: 503 at once, with Retry-After and the
    # reason, at any point of the backoff (a failed dial, a wait, a retry).
    for _ in range(5):
        started = time.monotonic()
        qr = api.http.get(f"/api/devices/{device['id']}/qr", headers=api.auth(token))
        answered_in = time.monotonic() - started
        assert qr.status_code == 503 and int(qr.headers["retry-after"]) > 0
        assert qr.json()["code"] == "qr_not_ready"
        assert any(reason in qr.json()["error"] for reason in ("connect_failed", "connecting"))
        assert answered_in < 1.0, answered_in
        time.sleep(0.3)

    # A device's own proxy wins over the server's, from the next connection on.
    bad = api.http.patch(f"/api/devices/{device['id']}/settings", json={"proxy": "ftp://x:1"},
                         headers=api.auth(token))
    assert bad.status_code == 422
    changed = api.http.patch(f"/api/devices/{device['id']}/settings",
                             json={"proxy": device_proxy.url}, headers=api.auth(token))
    assert changed.status_code == 200 and changed.json()["proxy"] == device_proxy.url
    assert api.http.get(f"/api/devices/{device['id']}/settings",
                        headers=api.auth(token)).json()["proxy"] == device_proxy.url
    wait_until(lambda: device_proxy.accepted, timeout=15)

    # The device's keys are in a store of its own, and go with the device.
    def store_exists() -> bool:
        if deployment.backend == "sqlite":
            return (deployment.data_dir / "whatsmeow" / f"{device['id']}.db").exists()
        schema = f"wa_{uuid.UUID(device['id']).hex}"
        return bool(db_rows(deployment.database_url,
                            "SELECT 1 FROM information_schema.tables "
                            "WHERE table_schema = :schema AND table_name = 'whatsmeow_device'",
                            schema=schema))

    # A route that is down never reaches the engine's library, so no store was made yet;
    # one that gets through does.
    assert not store_exists()
    api.http.patch(f"/api/devices/{device['id']}/settings", json={"proxy": open_proxy.url},
                   headers=api.auth(token))
    wait_until(store_exists, timeout=30)
    assert api.http.delete(f"/api/devices/{device['id']}",
                           headers=api.auth(token)).status_code == 200
    wait_until(lambda: not store_exists(), timeout=15)
    api.close()


def test_ctrl_c_returns_promptly_while_a_dial_hangs(
    deployment: Deployment, proxies: list[LoopbackProxy]
) -> None:
    proxies.append(LoopbackProxy(silent=True))
    server = whatsmeow(deployment, proxies[0])
    api = Api(server.url)
    token, _ = api.register()
    api.create_device(token)
    wait_until(lambda: proxies[0].accepted, timeout=15)  # a dial is now stuck in Go
    [runner] = server.runner_pids()

    started = time.monotonic()
    server.signal(signal.SIGINT)
    assert server.wait(timeout=15) == 0
    took = time.monotonic() - started
    assert took < 8, f"Ctrl+C took {took:.1f}s"
    wait_until(lambda: not Path(f"/proc/{runner}").exists(), timeout=5)  # no orphan
    api.close()


def test_a_crashed_or_recycled_runner_is_replaced_and_devices_resume(
    deployment: Deployment, proxies: list[LoopbackProxy]
) -> None:
    # The tunnel opens, then WhatsApp does not answer: each attempt reaches Go.
    proxies.append(LoopbackProxy(tunnels=True))
    server = whatsmeow(deployment, proxies[0], whatsmeow_recycle_after="6",
                       reconnect_max_seconds="2")
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    wait_until(lambda: proxies[0].accepted, timeout=15)
    [first] = server.runner_pids()

    def epoch() -> int:
        return db_rows(deployment.database_url,
                       "SELECT epoch FROM device_sessions WHERE device_id = :id",
                       id=uuid.UUID(device["id"]) if deployment.backend == "postgresql"
                       else uuid.UUID(device["id"]).hex)[0][0]

    # neonize's Go library aborts the process on a fatal error (exit 134): the same as this.
    before = epoch()
    os.kill(first, signal.SIGABRT)
    second = wait_until(lambda: [p for p in server.runner_pids() if p != first], timeout=15)[0]
    seen = len(proxies[0].accepted)
    # Retrying again: after a pause, as the backoff had reached (it continues, no burst).
    wait_until(lambda: len(proxies[0].accepted) > seen, timeout=15)
    assert epoch() > before
    assert api.status(token, device["id"])["reason"] in ("connect_failed", "connecting")

    # After six connects that reached Go the runner replaces itself (neonize leaks a store
    # handle for each).
    wait_until(lambda: [p for p in server.runner_pids() if p not in (first, second)],
               timeout=60)
    assert "runner recycled itself" in server.log()
    seen = len(proxies[0].accepted)
    wait_until(lambda: len(proxies[0].accepted) > seen, timeout=15)
    api.close()


def test_a_failing_proxy_shows_the_kind_of_failure_not_what_answered(
    deployment: Deployment, proxies: list[LoopbackProxy]
) -> None:
    """With WAPIZ_PROXY_ALLOW_PRIVATE (as in local development) a device may name a proxy on
    loopback; /status then says how connecting failed, never what the port answered."""
    banner = b"SSH-2.0-OpenSSH_9.6 internal-db-7 ready\r\n"
    proxies.append(LoopbackProxy(banner=banner))
    # Until the device names its own proxy it uses the server's, a closed loopback port: no
    # attempt of this test ever dials out.
    server = deployment.serve(engine="whatsmeow", reconnect_max_seconds="2",
                              proxy=f"socks5://127.0.0.1:{free_port()}")
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/devices/{device['id']}/settings"

    closed = free_port()  # nothing listens there
    changed = api.http.patch(path, json={"proxy": f"socks5://u:pw-9f3@127.0.0.1:{closed}"},
                             headers=api.auth(token))
    assert changed.status_code == 200, changed.text
    assert changed.json()["proxy"] == f"socks5://u:***@127.0.0.1:{closed}"
    wait_until(lambda: api.status(token, device["id"])["detail"] == "connection_refused",
               timeout=30)

    api.http.patch(path, json={"proxy": f"http://127.0.0.1:{proxies[0].port}"},
                   headers=api.auth(token))
    wait_until(lambda: proxies[0].accepted, timeout=30)
    status = wait_until(lambda: (s := api.status(token, device["id"]))["detail"]
                        == "proxy_error" and s, timeout=30)
    assert "internal-db" not in str(status) and "SSH" not in str(status)
    # The operator's log has the whole story, without the proxy's password.
    assert f"127.0.0.1:{closed}" in server.log() and "pw-9f3" not in server.log()
    api.close()


def test_a_proxy_name_that_resolves_into_the_network_is_refused_at_connect_time(
    deployment: Deployment, proxies: list[LoopbackProxy]
) -> None:
    """A proxy given by name passes the start (a name is not looked up then) but is resolved
    and checked by the runner before every connect: one resolving to loopback is never
    dialled. The same proxy as an address stops the start at once."""
    proxies.append(LoopbackProxy())
    refused = deployment.serve(engine="whatsmeow", proxy_allow_private="false",
                               proxy=f"socks5://localhost:{proxies[0].port}")
    api = Api(refused.url)
    token, _ = api.register()
    device = api.create_device(token)
    status = wait_until(lambda: (s := api.status(token, device["id"]))["detail"]
                        == "proxy_refused" and s, timeout=30)
    assert status["reason"] == "connect_failed"
    assert "WAPIZ_PROXY_ALLOW_PRIVATE" in refused.log()
    time.sleep(1)
    assert proxies[0].accepted == []
    api.close()
    refused.stop()

    env = deployment.env(engine="whatsmeow", proxy_allow_private="false",
                         proxy=f"socks5://127.0.0.1:{proxies[0].port}")
    start = wapiz("serve", "--port", str(free_port()), env=env, check=False)
    assert start.returncode == 2
    assert start.stderr.strip() == (
        "error: WAPIZ_PROXY tidak diizinkan: 127.0.0.1 adalah alamat loopback "
        "(hanya bisa dengan WAPIZ_PROXY_ALLOW_PRIVATE=true)")
