"""Devices whose connects reach the Go library and keep failing or cycling QR codes run in
the quarantine runner (wapiz/workers/runner/roles.py), which recycles; a logged-in session in
the linked runner beside them is never stopped or restarted, and its sends keep flowing. With
neonize's Go library faked (fakego.py) and both runners in this process, the test acts as
their supervisor: a quarantine runner that recycles is replaced by a fresh one."""

import asyncio
import math
from typing import Any

import pytest
from neonize.proto import Neonize_pb2 as neonize

from tests.engines.whatsmeow.fakego import FakeConnection, FakeGo
from tests.engines.whatsmeow.test_sessions import (  # noqa: F401  (fixtures)
    FIRST_QR,
    fake_go,
    runner_settings,
    site,
    status_is,
    until,
)
from tests.support import Api
from wapiz.db.database import Database
from wapiz.engines import whatsapp_engine_for
from wapiz.engines.whatsmeow import engine as whatsmeow_engine
from wapiz.engines.whatsmeow.gocalls import GoCalls
from wapiz.workers.runner.roles import Role
from wapiz.workers.runner.runner import RECYCLE_EXIT, Runner, release_leases_of

RECYCLE_AFTER = 6


class SharedGo(GoCalls):
    """One process has one Go library, and so one `GoCalls`; here two runners share the
    process, so they share it too (and a recycled runner's close must not end it)."""

    def close(self) -> None:
        pass


@pytest.mark.timeout(240)
async def test_devices_cycling_in_go_never_restart_a_linked_session(  # type: ignore[no-untyped-def]
        fake_go: FakeGo, site, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    deployment, api, token = site
    server = deployment.api(plan_limits='{"free": 30}')
    api = Api(server.url)
    healthy = api.create_device(token)
    api.http.patch(f"/api/devices/{healthy['id']}/settings", headers=api.auth(token),
                   json={"minDelayMs": 0, "maxDelayMs": 0, "typing": False})
    # Their routes are up, so every connect reaches Go: there the handshake fails, or a QR
    # sequence runs out unscanned (in 0.1 s here instead of 160 s) and starts again.
    failing = {api.create_device(token)["id"] for _ in range(6)}
    cycling = {api.create_device(token)["id"] for _ in range(3)}
    monkeypatch.setattr(whatsmeow_engine, "FIRST_QR_S", 0.1)
    monkeypatch.setattr(whatsmeow_engine, "NEXT_QR_S", 0.1)
    monkeypatch.setattr(whatsmeow_engine, "QR_GRACE_S", 0.05)
    scanned: set[str] = set()  # devices whose phone linked them: they resume logged in

    def key_of(connection: FakeConnection) -> str:
        return connection.uuid.decode().split("-", 1)[1].rsplit("-", 1)[0]

    def script(connection: FakeConnection) -> bytes | None:
        key = key_of(connection)
        if key in failing:
            return b"failed to dial whatsapp web websocket: bad handshake"
        if key in scanned:
            connection.logged_in("6281234567890" if key == healthy["id"] else "6289999999999")
        else:
            connection.qr(FIRST_QR)
        return None

    fake_go.script = script
    # A longer lease than the other tests': a loaded machine's database must not make the
    # linked runner drop its sessions for want of a renewal (a restart this test would see).
    config = runner_settings(deployment, reconnect_max_seconds=0.05,
                             whatsmeow_recycle_after=RECYCLE_AFTER
                             ).model_copy(update={"lease_ttl_seconds": 30})
    database = Database(config, "test-runners")
    go = SharedGo()
    stop = asyncio.Event()
    recycles = 0

    def runner(role: Role) -> Runner:
        whatsapp = whatsapp_engine_for(config, database)
        whatsapp.go = go  # type: ignore[attr-defined]
        made = Runner(config, database, whatsapp, role=role)
        made.idle_after_s = math.inf
        return made

    linked = runner(Role.LINKED)
    quarantined: list[Runner] = []

    async def supervise_quarantine() -> None:
        nonlocal recycles
        while not stop.is_set():
            quarantined.append(runner(Role.QUARANTINE))
            code = await quarantined[-1].run(stop)
            await release_leases_of(database, quarantined[-1].identity)
            recycles += code == RECYCLE_EXIT

    linked_task = asyncio.create_task(linked.run(stop))
    quarantine_task = asyncio.create_task(supervise_quarantine())

    def send(number: int) -> str:
        return api.send_text(token, healthy["deviceId"], "081111111110", f"Halo {number}")

    def sent(message_id: str) -> bool:
        return api.message_status(token, message_id) == "sent"

    def connects_of(keys: set[str]) -> int:
        return sum(len(fake_go.connections_of(key)) for key in keys)

    try:
        # A new device shows its QR code in quarantine; once scanned it moves to the linked
        # runner, which resumes its stored session.
        first = (await until(lambda: fake_go.connections_of(healthy["id"])))[0]
        scanned.add(healthy["id"])  # (its QR sequence may have started again meanwhile)
        await until(lambda: healthy["id"] in {str(k) for k in linked.workers}, within=60)
        await until(status_is(api, token, healthy["id"], status="logged_in"))
        connection = fake_go.connections_of(healthy["id"])[-1]
        assert connection is not first and first.uuid in fake_go.stopped

        number = 0
        deadline = asyncio.get_running_loop().time() + 150
        while recycles < 3 or number < 5:
            number += 1
            message_id = await asyncio.to_thread(send, number)
            await until(lambda m=message_id: sent(m), within=15)  # type: ignore[misc]
            assert fake_go.connections_of(healthy["id"])[-1] is connection, "restarted"
            assert connection.uuid in fake_go.live and connection.uuid not in fake_go.stopped
            assert not linked_task.done(), "the linked runner stopped"
            assert all(str(k) not in failing | cycling for k in linked.workers)
            assert asyncio.get_running_loop().time() < deadline, (
                f"only {recycles} recycles after {number} sends, "
                f"{connects_of(failing | cycling)} connects")
        # Each recycle came after RECYCLE_AFTER connects that reached Go and failed or ran
        # out; none of them touched the linked session.
        assert connects_of(failing | cycling) >= 3 * RECYCLE_AFTER
        assert len(fake_go.sent) == number
        status = await asyncio.to_thread(api.status, token, next(iter(failing)))
        assert status["loggedIn"] is False

        # A device that recovers (its phone links it at last) moves to the linked runner.
        back = next(iter(cycling))
        scanned.add(back)
        await until(lambda: back in {str(k) for k in linked.workers}, within=60)
        await until(status_is(api, token, back, status="logged_in"))
        assert fake_go.connections_of(healthy["id"])[-1] is connection
        assert connection.uuid not in fake_go.stopped

        # And back again: removed on the phone, it shows QR codes in quarantine.
        scanned.discard(back)
        fake_go.connections_of(back)[-1].event(neonize.LoggedOut(
            OnConnect=False, Reason=neonize.ConnectFailureReason.LOGGED_OUT))
        await until(lambda: any(str(k) == back for q in quarantined[-1:] for k in q.workers),
                    within=60)
        await until(status_is(api, token, back, status="connected", loggedIn=False))
        assert back not in {str(k) for k in linked.workers}
        assert fake_go.connections_of(healthy["id"])[-1] is connection
        assert connection.uuid not in fake_go.stopped
    finally:
        stop.set()
        await asyncio.gather(linked_task, quarantine_task)
        await database.dispose()
        api.close()
    assert linked_task.result() == 0  # never recycled, never stopped before it was told
    info: dict[str, Any] = {"recycles": recycles, "sends": number,
                            "go_connects": connects_of(failing | cycling)}
    print(info)
