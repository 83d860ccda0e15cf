"""No event is lost: the whole server SIGKILLed in the middle of 1,000 inbound messages, and
after a restart every one reaches the receiver (a repeat only ever with the same id)."""

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor

from tests.messages.parties import linked_party, unique_phone
from tests.support import Api, Deployment, db_rows, wait_until
from tests.webhooks.receiver import running_receiver

COUNT = 1000


def test_1000_inbound_events_survive_a_killed_server(deployment: Deployment) -> None:
    # Short leases and time limits: the killed runner's devices and deliveries are taken
    # over sooner (what is measured is that nothing is lost, not how long that takes).
    settings = {"webhook_retry_schedule": json.dumps([0.5]), "webhook_timeout_seconds": "2",
                "lease_ttl_seconds": "6"}
    server = deployment.serve(**settings)
    api = Api(server.url)
    bob = linked_party(api, unique_phone())
    with running_receiver() as receiver:
        receiver.delay_s = 0.005
        api.http.patch(f"/api/devices/{bob.device['id']}/webhook", headers=api.auth(bob.token),
                       json={"webhookUrl": receiver.url, "events": ["message.received"]})

        def inject(n: int) -> int:
            return api.http.post(f"/api/sandbox/devices/{bob.device['id']}/inbound",
                                 json={"from": "6281300000000", "text": f"masuk {n}"},
                                 headers=api.auth(bob.token)).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(inject, range(COUNT))) == {202}
        wait_until(lambda: len(receiver.received) >= COUNT // 5, timeout=60)
        os.killpg(server.pid, signal.SIGKILL)  # API and runner, mid-delivery
        server.wait(10)
        delivered_before = len(receiver.received)
        assert delivered_before < COUNT, "the kill came too late to prove anything"

        restarted = deployment.serve(**settings)
        api.close()
        texts = wait_until(lambda: len(t := {r.event["data"]["text"] for r in
                                             list(receiver.received)}) == COUNT and t,
                           timeout=120)
        assert texts == {f"masuk {n}" for n in range(COUNT)}
        ids_by_text: dict[str, set[str]] = {}
        for item in list(receiver.received):
            ids_by_text.setdefault(item.event["data"]["text"], set()).add(
                item.headers["webhook-id"])
        assert all(len(ids) == 1 for ids in ids_by_text.values())  # repeats keep their id
        wait_until(lambda: db_rows(deployment.database_url,
                                   "SELECT count(*) FROM webhook_deliveries "
                                   "WHERE status != 'succeeded'") == [(0,)], timeout=30)
        restarted.stop()
