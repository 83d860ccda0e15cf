"""A device's proxy, with default settings (no WAPIZ_PROXY_ALLOW_PRIVATE): never an address
in the server's own network (the runner would dial it: a port scanner for tenants), and its
password never shown back. What the runner does with a proxy that fails is in
tests/engines/whatsmeow/test_processes.py."""

import uuid

import pytest

from tests.support import Api, Deployment, WapizProcess, db_rows

SWITCH = "(hanya bisa dengan WAPIZ_PROXY_ALLOW_PRIVATE=true)"


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(proxy_allow_private="false")


@pytest.mark.parametrize(("proxy", "reason"), [
    ("socks5://127.0.0.1:1080", "127.0.0.1 adalah alamat loopback"),
    ("socks5://user:pass@localhost:1080", "localhost mengarah ke "),
    ("http://[::1]:3128", "::1 adalah alamat loopback"),
    ("http://10.0.0.5:3128", "10.0.0.5 adalah alamat privat"),
    ("socks5://169.254.169.254:80", "169.254.169.254 adalah alamat link-local"),
    ("socks5://[fec0::1]:1080", "fec0::1 adalah alamat site-local"),
])
def test_a_proxy_into_the_servers_network_is_refused(api: Api, proxy: str, reason: str) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/devices/{device['id']}/settings"
    answer = api.http.patch(path, json={"proxy": proxy}, headers=api.auth(token))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "proxy_refused"
    assert body["error"].startswith(f"proxy tidak diizinkan: {reason}"), body
    assert body["error"].endswith(SWITCH), body
    english = api.http.patch(path, json={"proxy": proxy},
                             headers={**api.auth(token), "Accept-Language": "en"}).json()
    assert english["error"].startswith("proxy is not allowed: "), english
    assert english["error"].endswith("(only with WAPIZ_PROXY_ALLOW_PRIVATE=true)"), english
    assert api.http.get(path, headers=api.auth(token)).json()["proxy"] is None


def test_a_proxys_password_is_never_shown(api: Api, server: WapizProcess,
                                          shared_deployment: Deployment) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    path = f"/api/devices/{device['id']}/settings"
    # A public address: the sandbox engine dials nothing, so nothing leaves this machine.
    proxy = "socks5://budi:Rahasia-Proxy-77@1.1.1.1:1080"
    masked = "socks5://budi:***@1.1.1.1:1080"
    changed = api.http.patch(path, json={"proxy": proxy}, headers=api.auth(token))
    assert changed.status_code == 200, changed.text
    assert changed.json()["proxy"] == masked
    assert api.http.get(path, headers=api.auth(token)).json()["proxy"] == masked

    def stored() -> str:
        device_id = uuid.UUID(device["id"])
        [(value,)] = db_rows(shared_deployment.database_url,
                             "SELECT proxy FROM devices WHERE id = :id",
                             id=device_id if shared_deployment.backend == "postgresql"
                             else device_id.hex)
        return value

    assert stored() == proxy
    # Settings read, changed elsewhere and sent back whole keep the password they could not see.
    again = api.http.patch(path, json={"proxy": masked, "typing": False},
                           headers=api.auth(token))
    assert again.status_code == 200 and again.json()["proxy"] == masked
    assert stored() == proxy
    assert "Rahasia-Proxy-77" not in server.log()
    # A password with an `@` in it (unencoded, as people paste it) is masked whole too.
    changed = api.http.patch(path, json={"proxy": "socks5://budi:Rahasia@Proxy-78@1.1.1.1:1080"},
                             headers=api.auth(token))
    assert changed.status_code == 200 and changed.json()["proxy"] == masked
    assert "Proxy-78" not in server.log()
