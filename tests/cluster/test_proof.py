"""The proof on PostgreSQL: 2 API nodes and 3 runners hold DEVICES sandbox devices while sends
and inbound messages flow without pause. One runner is SIGKILLed: its devices resume on the
others within the lease TTL and a few seconds. A fourth runner joins: the devices spread. One
is drained: no device is without a session for more than a few seconds. Through it all no
send is lost or delivered twice (the recipient's phone counts them) and no webhook event is
lost (a repeat only ever under the same `webhook-id`)."""

import itertools
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from tests.cluster.test_spread import JOIN_LIMIT_S, drain_stop
from tests.cluster.watch import SessionWatch, evenly_held, held
from tests.messages.parties import NO_PACING, Party, inbox_all
from tests.support import Api, Deployment, InBackground, db_rows, unique_phone, wait_until
from tests.webhooks.receiver import running_receiver
from tests.workers.test_resilience import RECOVERY_LIMIT_S

pytestmark = pytest.mark.alone  # its bounds are timed with nothing else running (`make test`)

DEVICES = 300  # plus the phone every send goes to
LINKERS = 8  # devices linked at once, each by a client of its own
SENDERS = 10
SETTINGS = {"runner_poll_seconds": "0.5", "plan_limits": json.dumps({"free": DEVICES + 5}),
            "webhook_retry_schedule": json.dumps([0.5, 1, 2]), "webhook_timeout_seconds": "5",
            # Six processes on a PostgreSQL other tests share (max_connections 100).
            "database_pool_size": "4"}


class Flow(InBackground):
    """Sends (through one API node) and inbound messages (through the other) one after the
    other, in a thread, until stopped; what each accepted."""

    def __init__(self, sending: Api, injecting: Api, token: str, senders: list[dict],
                 devices: list[dict], to: str) -> None:
        self.sending, self.injecting, self.token = sending, injecting, token
        self.senders, self.devices, self.to = senders, devices, to
        self.sent: list[str] = []  # texts accepted for sending
        self.injected: list[str] = []  # texts accepted as arriving
        self.refused = 0  # inbound for a device not logged in at that moment (409)
        super().__init__()

    def _run(self) -> None:
        senders, devices = itertools.cycle(self.senders), itertools.cycle(self.devices)
        for n in itertools.count():
            if self.stopping.is_set():
                return
            text = f"kirim {n}"
            self.sending.send_text(self.token, next(senders)["deviceId"], self.to, text)
            self.sent.append(text)
            text = f"masuk {n}"
            answer = self.injecting.http.post(
                f"/api/sandbox/devices/{next(devices)['id']}/inbound",
                json={"from": "6281300000000", "text": text},
                headers=self.injecting.auth(self.token))
            if answer.status_code == 202:
                self.injected.append(text)
            else:
                assert answer.json()["code"] == "device_not_linked", answer.text
                self.refused += 1
            time.sleep(0.05)


def link_all(url: str, token: str, devices: list[dict]) -> None:
    """Link every device, LINKERS at a time (one after the other, 300 take minutes)."""
    def link_share(share: list[dict]) -> None:
        with closing(Api(url)) as api:
            for device in share:
                api.link(token, device["id"])

    with ThreadPoolExecutor(LINKERS) as pool:
        list(pool.map(link_share, (devices[n::LINKERS] for n in range(LINKERS))))


@pytest.mark.timeout(900)  # 300 devices linked, three runners started, one added
def test_two_apis_and_runners_killed_joined_and_drained_lose_nothing(
        deployment: Deployment) -> None:
    if deployment.backend != "postgresql":
        pytest.skip("the scale-out proof is PostgreSQL's: several hosts, one database")
    deployment.migrate()
    url = deployment.database_url
    first, second = Api(deployment.api(**SETTINGS).url), Api(deployment.api(**SETTINGS).url)
    runners = {name: deployment.runner(name, **SETTINGS) for name in ("r1", "r2", "r3")}
    token, _ = first.register()
    # The phone every send goes to, on an account of its own: its inbox holds only them.
    sink_token, _ = first.register()
    sink_phone = unique_phone()
    sink = Party(sink_token, first.linked_device(sink_token, sink_phone), sink_phone)
    devices = [first.create_device(token) for _ in range(DEVICES)]
    link_all(first.url, token, devices)
    senders = devices[:SENDERS]
    for device in senders:
        assert first.http.patch(f"/api/devices/{device['id']}/settings", json=NO_PACING,
                                headers=first.auth(token)).status_code == 200
    everyone = DEVICES + 1
    wait_until(lambda: evenly_held(url, set(runners), everyone), timeout=60)

    with running_receiver() as receiver:
        hooked = first.http.patch("/api/webhook", headers=first.auth(token), json={
            "webhookUrl": receiver.url, "events": ["message.received"]})
        assert hooked.status_code == 200, hooked.text
        with Flow(first, second, token, senders, devices, sink_phone) as flow:
            time.sleep(3)
            # A host dies: r1's runner and its supervisor at once; nobody hands its leases
            # back, they lapse.
            victims = {device for (device,) in db_rows(
                url, "SELECT device_id FROM device_sessions WHERE runner LIKE 'r1:%'")}
            os.killpg(runners["r1"].pid, signal.SIGKILL)
            killed_at = time.monotonic()

            def resumed() -> bool:
                rows = db_rows(url, "SELECT device_id, runner, connected AND logged_in "
                               "FROM device_sessions WHERE lease_expires_at > now()")
                return {d for d, runner, up in rows if up and not runner.startswith("r1:")} \
                    >= victims

            wait_until(resumed, timeout=RECOVERY_LIMIT_S + 10, interval=0.2)
            recovered_in = time.monotonic() - killed_at
            print(f"{len(victims)} devices of the killed runner resumed in {recovered_in:.1f}s")
            assert victims and recovered_in < RECOVERY_LIMIT_S

            # A fourth runner joins: the devices spread over the three alive.
            with SessionWatch(url) as joining:
                runners["r4"] = deployment.runner("r4", **SETTINGS)
                wait_until(lambda: evenly_held(url, {"r2", "r3", "r4"}, everyone),
                           timeout=JOIN_LIMIT_S, interval=0.5)
            # One is drained: every device goes to the other two.
            with SessionWatch(url) as draining:
                drain_stop(runners["r2"])
                wait_until(lambda: evenly_held(url, {"r3", "r4"}, everyone), timeout=30)
            print(f"joined: {len(joining.moved)} devices moved, longest without a session "
                  f"{joining.longest_gap:.2f}s; drained: {len(draining.moved)} moved, longest "
                  f"{draining.longest_gap:.2f}s")
            # The bound (a dead runner's devices resume within it) holds for every
            # hand-over too.
            assert joining.longest_gap < RECOVERY_LIMIT_S
            assert draining.longest_gap < RECOVERY_LIMIT_S
            assert len(draining.moved) >= everyone // 3 - 2
        print(f"flow: {len(flow.sent)} sends, {len(flow.injected)} inbound "
              f"({flow.refused} refused while their device was away)")
        assert len(flow.sent) >= 50 and len(flow.injected) >= 50

        # Every send reached the recipient's phone once.
        arrived = wait_until(lambda: len(items := inbox_all(first, sink)) >= len(flow.sent)
                             and items, timeout=120)
        assert sorted(item["text"] for item in arrived) == sorted(flow.sent)
        # Every inbound event reached the webhook; a repeat only with its first delivery's id.
        expected = set(flow.injected)
        wait_until(lambda: {e["data"]["text"] for e in receiver.events()} >= expected,
                   timeout=120)
        ids: dict[str, set[str]] = {}
        for item in list(receiver.received):
            ids.setdefault(item.event["data"]["text"], set()).add(item.headers["webhook-id"])
        assert set(ids) == expected
        assert all(len(webhook_ids) == 1 for webhook_ids in ids.values())
    assert held(url).keys() == {"r3", "r4"}
    first.close()
    second.close()
