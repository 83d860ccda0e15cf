"""The webhook receivers the docs site shows (Python with `standardwebhooks`, Node with its
own crypto), run as shown: each accepts what the server really signs, delivered by the server
itself and replayed, and refuses a tampered body, a wrong signature and a stale timestamp."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support import Api, free_port, wait_until
from tests.web.docs_examples import blocks_of
from tests.webhooks.receiver import Received, running_receiver

RECEIVERS = {"python": ("receiver.py", [sys.executable]), "js": ("receiver.js", ["node"])}
SIGNED = ("webhook-id", "webhook-timestamp", "webhook-signature")


def _shown_receiver(language: str) -> str:
    (indonesian,) = blocks_of("webhooks", "id", language)
    assert blocks_of("webhooks", "en", language) == [indonesian]
    return indonesian


def _test_event(api: Api, token: str, device_id: str, url: str) -> str:
    """Point the device's webhook at `url` and have a webhook.test event sent: its delivery."""
    base = f"/api/devices/{device_id}/webhook"
    assert api.http.patch(base, json={"webhookUrl": url},
                          headers=api.auth(token)).status_code == 200
    sent = api.http.post(base + "/test", headers=api.auth(token))
    assert sent.status_code == 202, sent.text
    return str(sent.json()["deliveryId"])


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.TransportError:
        return False
    return True


@pytest.mark.parametrize("language", RECEIVERS)
def test_a_receiver_as_shown_verifies_what_the_server_signs(
        api: Api, tmp_path: Path, language: str) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    # A real delivery, exactly as it left the server (the suite's own receiver keeps it).
    with running_receiver() as capture:
        _test_event(api, token, device["id"], capture.url)
        # The test event, not a device.status the server may deliver before it.
        real: Received = wait_until(lambda: next(
            (got for got in capture.received if got.event["type"] == "webhook.test"), None),
            timeout=30)
    secret = api.http.get(f"/api/devices/{device['id']}/webhook",
                          headers=api.auth(token)).json()["secret"]

    file_name, interpreter = RECEIVERS[language]
    (tmp_path / file_name).write_text(_shown_receiver(language))
    port = free_port()
    receiver = subprocess.Popen(
        [*interpreter, file_name], cwd=tmp_path, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={"PATH": "/usr/bin:/bin", "WEBHOOK_SECRET": secret, "PORT": str(port)})
    try:
        wait_until(lambda: _listening(port) or receiver.poll() is not None, timeout=15)
        assert receiver.poll() is None, receiver.communicate()[0]
        url = f"http://127.0.0.1:{port}/webhook"
        headers = {name: real.headers[name] for name in SIGNED}
        headers["content-type"] = "application/json"

        def answer(body: bytes, sent: dict[str, str]) -> int:
            return httpx.post(url, content=body, headers=sent, timeout=10).status_code

        assert answer(real.body, headers) == 204
        event = json.loads(real.body)
        event["data"]["message"] = "Transfer ke rekening lain"
        assert answer(json.dumps(event).encode(), headers) == 400
        assert answer(real.body + b" ", headers) == 400
        forged = Webhook("whsec_" + "QUJD" * 8).sign(
            headers["webhook-id"], datetime.now(UTC), real.body.decode())
        assert answer(real.body, {**headers, "webhook-signature": forged}) == 400
        stale = datetime.now(UTC) - timedelta(minutes=10)
        assert answer(real.body, {
            **headers, "webhook-timestamp": str(int(stale.timestamp())),
            "webhook-signature": Webhook(secret).sign(headers["webhook-id"], stale,
                                                      real.body.decode())}) == 400
        assert answer(real.body, {"content-type": "application/json"}) == 400

        # Straight from the server: the delivery succeeds with the receiver's 204.
        delivery = _test_event(api, token, device["id"], url)

        def delivered() -> dict | None:
            found = api.http.get(f"/api/devices/{device['id']}/webhook/deliveries/{delivery}",
                                 headers=api.auth(token)).json()
            return found if found["status"] != "pending" else None

        done = wait_until(delivered, timeout=30)
        assert (done["status"], done["lastStatusCode"]) == ("succeeded", 204), done
    finally:
        receiver.terminate()
        output = receiver.communicate(timeout=10)[0]
    # It printed each event it accepted: the replay and the delivery, none of the forgeries,
    # and whatever else the server itself delivered meanwhile (a device.status, say).
    accepted = [line.split() for line in output.splitlines()]
    assert [line for line in accepted if line[1] == "webhook.test"] == [
        [real.headers["webhook-id"], "webhook.test"], [done["eventId"], "webhook.test"]], output
    sent_by_server = {row["eventId"] for row in api.http.get(
        f"/api/devices/{device['id']}/webhook/deliveries",
        headers=api.auth(token)).json()["items"]}
    assert {event_id for event_id, _ in accepted} - {real.headers["webhook-id"]} \
        <= sent_by_server, output
