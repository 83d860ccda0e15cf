"""Several runners on one database: each device held by exactly one, taken over on a crash."""

import os
import signal
from collections import Counter

from tests.support import Api, Deployment, db_rows, wait_until

FAST_LEASES = {"lease_ttl_seconds": "3", "runner_poll_seconds": "0.5"}


def _holders(deployment: Deployment) -> list[tuple]:
    return db_rows(deployment.database_url,
                   "SELECT device_id, runner, epoch FROM device_sessions ORDER BY device_id")


def test_two_runners_share_devices_and_take_over_on_crash(deployment: Deployment) -> None:
    deployment.migrate()
    server = deployment.api(**FAST_LEASES)
    deployment.cli("users", "create", "--email", "multi@example.com", "--name", "M",
                   "--password", "rahasia123", "--plan", "business")
    api = Api(server.url)
    token = api.http.post("/api/auth/login", json={"email": "multi@example.com",
                                                    "password": "rahasia123"}).json()["token"]
    runner_a = deployment.runner("alpha", **FAST_LEASES)
    devices = [api.create_device(token)["id"] for _ in range(3)]
    runner_b = deployment.runner("beta", **FAST_LEASES)
    for device_id in devices:
        api.link(token, device_id)

    holders = _holders(deployment)
    owners = Counter(runner.split(":")[0] for _, runner, _ in holders)
    assert set(owners) <= {"alpha", "beta"} and sum(owners.values()) == 3

    # Kill whichever runner holds devices, supervisor and runner at once (a host that dies):
    # nobody hands its leases back, they expire.
    victim = runner_a if "alpha" in owners else runner_b
    victim_name = "alpha" if victim is runner_a else "beta"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=5)

    def all_back() -> bool:
        rows = _holders(deployment)
        return all(not runner.startswith(victim_name) for _, runner, _ in rows) and all(
            api.status(token, device_id)["status"] == "logged_in" for device_id in devices
        )

    wait_until(all_back, timeout=15)
    survivor = "beta" if victim_name == "alpha" else "alpha"
    before = {device_id: (runner, epoch) for device_id, runner, epoch in holders}
    for device_id, runner, epoch in _holders(deployment):
        assert runner.startswith(survivor + ":")
        if before[device_id][0].startswith(victim_name):
            # Taken over: a new epoch, so the dead runner's writes are fenced off.
            assert epoch > before[device_id][1]
    api.close()
