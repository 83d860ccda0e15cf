"""With default settings, webhooks never reach into the server's own network: such a URL is
refused when saved, and an address is checked again at every connection (a name may resolve
elsewhere later: DNS rebinding)."""

import pytest

from tests.messages.parties import Party, linked_party, unique_phone
from tests.support import Api, Deployment, WapizProcess, db_rows, wait_until
from tests.webhooks.receiver import running_receiver


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(webhook_allow_private="false")


@pytest.fixture
def bob(api: Api) -> Party:
    return linked_party(api, unique_phone())


@pytest.mark.parametrize(("url", "reason", "reason_en"), [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 adalah alamat loopback",
     "127.0.0.1 is a loopback address"),
    ("http://localhost/hook", "localhost mengarah ke 127.0.0.1, alamat loopback",
     "localhost resolves to 127.0.0.1, a loopback address"),
    ("http://[::1]/hook", "::1 adalah alamat loopback", "::1 is a loopback address"),
    ("http://10.1.2.3/hook", "10.1.2.3 adalah alamat privat", "10.1.2.3 is a private address"),
    ("http://192.168.0.10:3000/hook", "192.168.0.10 adalah alamat privat",
     "192.168.0.10 is a private address"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 adalah alamat link-local",
     "169.254.169.254 is a link-local address"),
    ("http://[fec0::1]/hook", "fec0::1 adalah alamat site-local",
     "fec0::1 is a site-local address"),
    ("http://100.64.0.1/hook", "100.64.0.1 adalah alamat non-publik",
     "100.64.0.1 is a non-public address"),
    ("http://224.0.0.1/hook", "224.0.0.1 adalah alamat multicast",
     "224.0.0.1 is a multicast address"),
    ("http://0.0.0.0:8080/hook", "0.0.0.0 adalah alamat kosong (unspecified)",
     "0.0.0.0 is an unspecified address"),
])
def test_a_url_into_the_servers_network_is_refused(api: Api, bob: Party, url: str,
                                                   reason: str, reason_en: str) -> None:
    path = f"/api/devices/{bob.device['id']}/webhook"
    answer = api.http.patch(path, json={"webhookUrl": url}, headers=api.auth(bob.token))
    assert answer.status_code == 422, answer.text
    assert answer.json() == {
        "error": f"webhookUrl tidak diizinkan: {reason} "
                 "(hanya bisa dengan WAPIZ_WEBHOOK_ALLOW_PRIVATE=true)",
        "code": "webhook_url_refused"}
    english = api.http.patch(path, json={"webhookUrl": url},
                             headers={**api.auth(bob.token), "Accept-Language": "en"})
    assert english.json()["error"] == (f"webhookUrl is not allowed: {reason_en} "
                                       "(only with WAPIZ_WEBHOOK_ALLOW_PRIVATE=true)")


def test_an_address_that_turned_private_is_refused_at_connect_time(
        api: Api, bob: Party, shared_deployment: Deployment) -> None:
    with running_receiver() as receiver:
        # As if its name had resolved to a public address when saved, and to loopback now.
        api.http.get(f"/api/devices/{bob.device['id']}/webhook", headers=api.auth(bob.token))
        db_rows(shared_deployment.database_url,
                "UPDATE devices SET webhook_url = :url WHERE device_id = :device",
                url=receiver.url, device=bob.device["deviceId"].replace("-", "")
                if shared_deployment.backend == "sqlite" else bob.device["deviceId"])
        test = api.http.post(f"/api/devices/{bob.device['id']}/webhook/test",
                             headers=api.auth(bob.token))
        assert test.status_code == 202, test.text
        [delivery] = wait_until(lambda: [d for d in api.http.get(
            f"/api/devices/{bob.device['id']}/webhook/deliveries",
            headers=api.auth(bob.token)).json()["items"] if d["log"]], timeout=15)
        assert "refused to connect to 127.0.0.1: 127.0.0.1 is a loopback address" in \
            delivery["log"][0]["error"]
        assert receiver.received == []
