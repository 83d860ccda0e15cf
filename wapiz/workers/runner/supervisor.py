"""`wapiz serve` (and `wapiz runner`) keep runner child processes alive: one, or with an
engine that leaks per connect one per role (runner/roles.py), each started only while there
are devices of its kind to hold.

The runner is a separate process on purpose: an engine that crashes (neonize can abort the
whole process) takes down only the runner, which is restarted; the API keeps answering.
Because the supervisor names each runner it starts and sees it die, it hands the dead
runner's leases back at once and the new runner resumes the devices without waiting for
the leases to expire.
"""

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys

from prometheus_client import Counter

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit.backoff import Backoff
from wapiz.kit.identity import process_identity
from wapiz.kit.metrics import ChildMetrics
from wapiz.workers.runner.leases import LeaseRepository
from wapiz.workers.runner.roles import Role, fits, roles_for
from wapiz.workers.runner.runner import (
    DRAIN_TIMEOUT_S,
    IDLE_EXIT,
    RECYCLE_EXIT,
    SHUTDOWN_TIMEOUT_S,
    release_leases_of,
)

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
# A runner told to stop may drain first (its own deadline ends it sooner: process.py).
TERMINATE_TIMEOUT_S = SHUTDOWN_TIMEOUT_S + DRAIN_TIMEOUT_S + 3.0
HEALTHY_AFTER_S = 30.0
WORK_POLL_S = 1.0  # how often a supervisor of an idle role looks for devices of its kind


CONFIG_ERROR_EXIT = 2  # the runner cannot work with these settings: restarting won't help

# In the supervisor's own process (the API's under `serve`): exported from its memory.
RUNNER_EXITS = Counter(
    "wapiz_runner_exits_total", "Runner processes that ended and were started again when "
    "needed, by cause: recycled (asked, to free what its engine leaked), idle (nothing to "
    "hold), crashed (any other exit).", ["cause"])


def die_with_parent(parent_pid: int) -> bool:
    """Called by a supervised runner at start. On Linux the kernel then sends it SIGTERM when
    `serve` dies, even by SIGKILL. False if the parent is already gone."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent_pid


def runner_command(settings: Settings, identity: str, role: Role = Role.ALL) -> list[str]:
    command = [sys.executable, "-m", "wapiz.workers.runner", "--identity", identity,
               "--parent-pid", str(os.getpid()), "--role", role]
    if settings.runner_name:
        command += ["--name", settings.runner_name]
    return command


async def supervise(settings: Settings, database: Database, stop: asyncio.Event,
                    metrics: ChildMetrics | None = None) -> None:
    """The runners the engine needs, until `stop`, or until one gives up (the runner cannot
    start: then all stop, and this returns with `stop` unset). With `metrics`, each runner
    writes its metrics into that folder."""
    ended = asyncio.Event()
    # Shown from the start, at 0; here, not at import: a runner imports this module too, and
    # what it counts would come back through its files a second time.
    for cause in ("recycled", "idle", "crashed"):
        RUNNER_EXITS.labels(cause)

    async def until_stop() -> None:
        await stop.wait()
        ended.set()

    watcher = asyncio.create_task(until_stop())
    supervisors = [asyncio.create_task(RunnerSupervisor(settings, database, role,
                                                        metrics).run(ended))
                   for role in roles_for(settings.engine)]
    try:
        for finished in asyncio.as_completed(supervisors):
            await finished
            ended.set()  # one gave up (or all were told to stop): the others stop too
    finally:
        watcher.cancel()
        await asyncio.gather(*supervisors, return_exceptions=True)


class RunnerSupervisor:
    def __init__(self, settings: Settings, database: Database, role: Role = Role.ALL,
                 metrics: ChildMetrics | None = None) -> None:
        self.settings = settings
        self.database = database
        self.role = role
        self.metrics = metrics
        self.process: asyncio.subprocess.Process | None = None

    async def _work_for_me(self) -> bool:
        if self.role is Role.ALL:
            return True
        try:
            async with self.database.session_scope() as db:
                return await LeaseRepository(db, "").claimable(fits(self.role))
        except Exception:  # the database is away: the runner itself would wait for it too
            log.exception("could not look for %s devices", self.role)
            return False

    async def _wait_for_work(self, stop: asyncio.Event) -> None:
        while not stop.is_set() and not await self._work_for_me():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WORK_POLL_S)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(base=0.5, cap=5.0)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
        env.update(self.settings.env())
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # ours alone decides where they go
        if self.metrics is not None:
            env.update(self.metrics.env())
        name = "runner" if self.role is Role.ALL else f"{self.role} runner"
        while not stop.is_set():
            await self._wait_for_work(stop)
            if stop.is_set():
                return
            started = asyncio.get_running_loop().time()
            # The pid in the identity is the supervisor's; the random part tells runs apart.
            identity = process_identity(self.settings.runner_name)
            self.process = await asyncio.create_subprocess_exec(
                *runner_command(self.settings, identity, self.role), env=env
            )
            log.info("%s started (pid %d)", name, self.process.pid)
            waiter = asyncio.create_task(self.process.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if stop.is_set():
                await self._terminate(waiter)
                self._ended()
                await self._release(identity)  # in case it had to be killed
                return
            code = waiter.result()
            self._ended()
            await self._release(identity)
            if code == CONFIG_ERROR_EXIT:
                log.error("runner refused to start (see above); not restarting it")
                return
            if code == RECYCLE_EXIT:
                RUNNER_EXITS.labels("recycled").inc()
                log.info("%s recycled itself; starting a fresh one", name)
                backoff.reset()
                continue
            if code == IDLE_EXIT:
                RUNNER_EXITS.labels("idle").inc()
                log.info("%s has no devices to hold; started again when there are", name)
                backoff.reset()
                continue
            RUNNER_EXITS.labels("crashed").inc()
            if asyncio.get_running_loop().time() - started > HEALTHY_AFTER_S:
                backoff.reset()
            delay = backoff.next_delay()
            log.error("%s exited with %s; restarting in %.1fs", name, code, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    def _ended(self) -> None:
        if self.metrics is not None and self.process is not None:
            try:
                self.metrics.ended(self.process.pid)
            except OSError:
                log.exception("could not drop the ended runner's gauges")

    async def _release(self, identity: str) -> None:
        try:
            await release_leases_of(self.database, identity)
        except Exception:  # the leases then expire on their own
            log.exception("could not release the dead runner's leases")

    async def _terminate(self, waiter: "asyncio.Task[int]") -> None:
        assert self.process is not None
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), TERMINATE_TIMEOUT_S)
        except TimeoutError:
            log.error("runner did not stop in %.0fs; killing it", TERMINATE_TIMEOUT_S)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await waiter
