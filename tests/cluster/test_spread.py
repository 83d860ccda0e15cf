"""Runners share the devices evenly up to their capacity: one that joins takes its share
through graceful hand-overs, one told to stop (SIGTERM) hands every device to the others
first, and `wapiz cluster status` / `GET /api/admin/cluster` show who holds what."""

import json
from collections import Counter

import pytest

from tests.admin.test_api import make_admin
from tests.cluster.watch import SessionWatch, evenly_held, held
from tests.support import Api, Deployment, WapizProcess, wait_until

pytestmark = pytest.mark.alone  # its bounds are timed with nothing else running (`make test`)

DEVICES = 30
SETTINGS = {"runner_poll_seconds": "0.5", "plan_limits": json.dumps({"free": 40})}
# What "a few seconds" without a session means here: a hand-over stops the session, releases
# the lease and wakes the other runners, which claim and resume it; measured 3-4 s (6.7 s at
# worst) with a load average of 13 on this shared two-core machine, well under 1 s when idle.
GAP_LIMIT_S = 8.0
JOIN_LIMIT_S = 60.0


def linked_devices(api: Api, token: str, count: int) -> list[dict]:
    devices = [api.create_device(token) for _ in range(count)]
    for device in devices:
        api.link(token, device["id"])
    return devices


@pytest.mark.timeout(300)  # a dozen processes start on a shared machine
def test_runners_spread_take_their_share_and_drain(deployment: Deployment) -> None:
    deployment.migrate()
    url = deployment.database_url
    server = deployment.api(**SETTINGS)
    api = Api(server.url)
    admin, _ = make_admin(api, deployment)
    token, _ = api.register()
    deployment.runner("alpha", **SETTINGS)
    deployment.runner("beta", **SETTINGS)
    linked_devices(api, token, DEVICES)
    wait_until(lambda: evenly_held(url, {"alpha", "beta"}, DEVICES), timeout=60)

    # A third runner joins: the others hand it devices until each holds about a third.
    with SessionWatch(deployment.database_url) as joining:
        gamma = deployment.runner("gamma", **SETTINGS)
        wait_until(lambda: evenly_held(url, {"alpha", "beta", "gamma"}, DEVICES),
                   timeout=JOIN_LIMIT_S, interval=0.5)
    print(f"joined: longest without a session {joining.longest_gap:.2f}s "
          f"({len(joining.moved)} devices moved)")
    assert joining.moved and joining.longest_gap < GAP_LIMIT_S

    # What the operator sees, from the command line and over HTTP (admins only).
    listed = json.loads(deployment.cli("cluster", "status", "--json").stdout)
    runners = {node["name"].split(":")[0]: node for node in listed["nodes"]
               if node["role"] == "runner"}
    assert set(runners) == {"alpha", "beta", "gamma"}
    assert all(node["alive"] and not node["draining"] and node["capacity"] == 1000
               and node["runnerRole"] == "all" for node in runners.values())
    assert Counter({name: node["devicesHeld"] for name, node in runners.items()}) == held(url)
    [api_node] = [node for node in listed["nodes"] if node["role"] == "api"]
    assert api_node["alive"] and api_node["devicesHeld"] is None and api_node["version"]
    assert (listed["devices"], listed["devicesHeld"], listed["liveRunners"]) == (DEVICES,
                                                                                 DEVICES, 3)
    table = deployment.cli("cluster", "status").stdout
    assert all(name in table for name in ("alpha", "beta", "gamma", "api@"))
    answer = api.http.get("/api/admin/cluster", headers=api.auth(admin))
    assert answer.status_code == 200
    assert {node["name"] for node in answer.json()["nodes"]} == {
        node["name"] for node in listed["nodes"]}
    refused = api.http.get("/api/admin/cluster", headers=api.auth(token))
    assert refused.status_code == 403 and refused.json()["code"] == "admin_only"

    # Told to stop, gamma hands every device to the others before it exits.
    with SessionWatch(deployment.database_url) as draining:
        drain_stop(gamma)
        wait_until(lambda: evenly_held(url, {"alpha", "beta"}, DEVICES), timeout=15)
    print(f"drained: longest without a session {draining.longest_gap:.2f}s "
          f"({len(draining.moved)} devices moved)")
    assert len(draining.moved) >= 9 and draining.longest_gap < GAP_LIMIT_S
    nodes = json.loads(deployment.cli("cluster", "status", "--json").stdout)["nodes"]
    assert not any(node["name"].startswith("gamma") for node in nodes)  # it left
    api.close()


def drain_stop(runner: WapizProcess) -> None:
    """SIGTERM to `wapiz runner`, which passes it to its runner; it must exit by itself, not
    be killed."""
    runner.signal(15)
    assert runner.wait(timeout=30) == 0


def test_a_runner_never_holds_more_than_its_capacity(deployment: Deployment) -> None:
    deployment.migrate()
    server = deployment.api(**SETTINGS)
    api = Api(server.url)
    token, _ = api.register()
    deployment.runner("small", runner_capacity="4", **SETTINGS)
    devices = [api.create_device(token) for _ in range(6)]
    wait_until(lambda: held(deployment.database_url) == {"small": 4}, timeout=20)
    waiting = [api.status(token, device["id"])["reason"] for device in devices]
    assert waiting.count("waiting_for_runner") == 2
    deployment.runner("big", **SETTINGS)
    wait_until(lambda: sum(held(deployment.database_url).values()) == 6, timeout=20)
    assert held(deployment.database_url)["small"] <= 4
    api.close()
