"""A runner that loses a lease lets go of the device, for good, and never writes for it again.

These drive a real `Runner` in-process against a real, migrated database, with an engine that
records what the runner asks of it.
"""

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.support import Api, Deployment
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DeviceSession
from wapiz.engines.base import EngineSession, EventSink, SessionConfig, WhatsAppEngine
from wapiz.engines.events import QrCode
from wapiz.workers.runner.runner import Runner

pytestmark = pytest.mark.asyncio(loop_scope="function")


class RecordingSession(EngineSession):
    def __init__(self, engine: "RecordingEngine", key: str, emit: EventSink) -> None:
        self.engine, self.key, self.emit = engine, key, emit

    async def start(self) -> None:
        self.engine.calls.append(("start", self.key))
        await self.emit(QrCode("2@ref,a,b,c", utc_now() + timedelta(seconds=20)))

    async def stop(self) -> None:
        self.engine.calls.append(("stop", self.key))

    async def logout(self) -> None:
        self.engine.calls.append(("logout", self.key))

    async def pair_phone(self, phone: str) -> str:
        return "ABCD-EFGH"

    async def probe(self) -> None: ...


class RecordingEngine(WhatsAppEngine):
    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def session(self, key: str, config: SessionConfig, emit: EventSink) -> EngineSession:
        return RecordingSession(self, key, emit)

    async def destroy(self, key: str) -> None:
        self.calls.append(("destroy", key))

    def count(self, call: str) -> int:
        return sum(1 for name, _ in self.calls if name == call)


async def _until(predicate, within: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
def one_device(deployment: Deployment) -> tuple[Deployment, str]:
    deployment.migrate()
    server = deployment.api()
    api = Api(server.url)
    token, _ = api.register()
    device = api.create_device(token)
    api.close()
    return deployment, device["id"]


@contextlib.asynccontextmanager
async def running(deployment: Deployment) -> AsyncIterator[tuple[Runner, RecordingEngine]]:
    """A runner (short leases, quick ticks) running against the deployment's database, whose
    first session has started."""
    settings = Settings(database_url=deployment.database_url, data_dir=deployment.data_dir,
                        lease_ttl_seconds=1.5, runner_poll_seconds=0.2)
    database = Database(settings, "test-runner")
    engine = RecordingEngine()
    runner = Runner(settings, database, engine)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await _until(lambda: engine.count("start") == 1)
        yield runner, engine
    finally:
        stop.set()
        await _stopped(task)
        await database.dispose()


async def _stopped(task: asyncio.Task[int], within: float = 60) -> None:
    """The runner's end; if it does not come, every task's stack, to see what it waits for
    (a runner under a loaded machine was once seen not to stop)."""
    try:
        await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        for other in asyncio.all_tasks():
            other.print_stack(file=sys.stderr)
        raise AssertionError(f"the runner did not stop within {within:g}s") from None


async def test_a_lost_lease_stops_the_session_for_good(one_device: tuple[Deployment, str]) -> None:
    deployment, device_id = one_device
    async with running(deployment) as (runner, engine):
        [worker] = runner.workers.values()
        old_lease = worker.lease

        # Another runner takes the device over (as after a long stall of this one).
        async with runner.database.session_scope() as session:
            await session.execute(
                update(DeviceSession)
                .where(DeviceSession.device_id == uuid.UUID(device_id))
                .values(runner="someone-else", epoch=DeviceSession.epoch + 1,
                        lease_expires_at=utc_now() + timedelta(minutes=5))
            )
        await _until(lambda: engine.count("stop") >= 1)
        await asyncio.sleep(1.5)  # several ticks and renewals later…
        assert engine.count("start") == 1, engine.calls  # …it never connected again
        assert runner.workers == {}
        # And its writes are fenced off.
        assert await runner._write_state(old_lease, {"reason": "stale"}) is False


async def test_renewal_failures_stop_every_session(
    one_device: tuple[Deployment, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(one_device[0]) as (runner, engine):

        async def database_unreachable() -> None:
            raise ConnectionError("database unreachable")

        monkeypatch.setattr(runner, "_renew", database_unreachable)
        # Within the lease's lifetime the sessions are let go, before anyone could take over.
        await _until(lambda: engine.count("stop") == 1, within=1.5)
        assert runner.workers == {}


async def test_a_hanging_renewal_stops_every_session_in_time(
    one_device: tuple[Deployment, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(one_device[0]) as (runner, engine):

        async def database_hangs() -> None:
            await asyncio.sleep(3600)

        monkeypatch.setattr(runner, "_renew", database_hangs)
        # Two thirds of the 1.5 s lease, plus a little: well before the lease could lapse.
        await _until(lambda: engine.count("stop") == 1, within=1.4)


async def test_retaking_its_own_lapsed_lease_replaces_the_old_session(
    one_device: tuple[Deployment, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(one_device[0]) as (runner, engine):

        async def renewals_silently_lost() -> None:  # as in a long stall of this runner
            return None

        monkeypatch.setattr(runner, "_renew", renewals_silently_lost)
        await _until(lambda: engine.count("start") == 2, within=5)  # lease lapsed, retaken
        starts = [i for i, (name, _) in enumerate(engine.calls) if name == "start"]
        assert ("stop" in [name for name, _ in engine.calls[starts[0]:starts[1]]]), engine.calls
        assert len(runner.workers) == 1


async def test_renewals_resume_after_a_stall(
    one_device: tuple[Deployment, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(one_device[0]) as (runner, engine):
        real_renew = runner._renew
        stalled = asyncio.Event()

        async def stalls_once() -> None:  # the database answers too late, once
            if not stalled.is_set():
                stalled.set()
                await asyncio.sleep(3600)
            await real_renew()

        monkeypatch.setattr(runner, "_renew", stalls_once)
        await _until(lambda: engine.count("stop") == 1, within=1.5)
        await _until(lambda: engine.count("start") == 2, within=5)  # taken back
        # From then on renewals hold the lease: the session stays, well past its TTL.
        await asyncio.sleep(4)
        assert (engine.count("start"), engine.count("stop")) == (2, 1), engine.calls
        assert len(runner.workers) == 1
