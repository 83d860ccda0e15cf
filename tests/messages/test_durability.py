"""Accepted means sent: queued messages survive a runner killed mid-queue, none lost and none
delivered twice."""

import os
import signal

from tests.messages.parties import inbox_all, linked_party, send_many, unique_phone
from tests.support import Api, Deployment, db_rows, wait_until


def test_500_queued_messages_survive_a_killed_runner(deployment: Deployment) -> None:
    server = deployment.serve()
    api = Api(server.url)
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    accepted = send_many(api, alice, bob.phone, 500)

    def sent() -> int:
        return db_rows(deployment.database_url,
                       "SELECT count(*) FROM messages WHERE direction = 'outbound' "
                       "AND status IN ('sent', 'delivered', 'read')")[0][0]

    wait_until(lambda: sent() >= 50, timeout=30)
    [runner] = server.runner_pids()
    os.kill(runner, signal.SIGKILL)  # mid-queue, maybe mid-send

    wait_until(lambda: sent() == 500, timeout=120)
    received = wait_until(lambda: len(items := inbox_all(api, bob)) >= 500 and items,
                          timeout=60)
    texts = sorted(item["text"] for item in received)
    assert texts == sorted(f"pesan {n}" for n in range(500))  # every one, once
    assert len({item["waMessageId"] for item in received}) == 500
    stuck = db_rows(deployment.database_url,
                    "SELECT count(*) FROM messages WHERE status IN ('queued', 'sending')")
    assert stuck == [(0,)]
    statuses = {api.http.get(f"/api/messages/{i}", headers=api.auth(alice.token)).json()["status"]
                for i in accepted[::50]}
    assert statuses <= {"sent", "delivered"}
    api.close()
