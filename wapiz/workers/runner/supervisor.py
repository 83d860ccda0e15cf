"""`wapiz serve` (and `wapiz runner`) keep one runner child process alive.

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

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit.backoff import Backoff
from wapiz.kit.identity import process_identity
from wapiz.workers.runner.runner import RECYCLE_EXIT, release_leases_of

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
TERMINATE_TIMEOUT_S = 8.0
HEALTHY_AFTER_S = 30.0


CONFIG_ERROR_EXIT = 2  # the runner cannot work with these settings: restarting won't help


def die_with_parent(parent_pid: int) -> bool:
    """Called by a supervised runner at start. On Linux the kernel then sends it SIGTERM when
    `serve` dies, even by SIGKILL. False if the parent is already gone."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent_pid


def runner_command(settings: Settings, identity: str) -> list[str]:
    command = [sys.executable, "-m", "wapiz.workers.runner", "--identity", identity,
               "--parent-pid", str(os.getpid())]
    if settings.runner_name:
        command += ["--name", settings.runner_name]
    return command


class RunnerSupervisor:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.process: asyncio.subprocess.Process | None = None

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(base=0.5, cap=5.0)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WAPIZ_")}
        env.update(self.settings.env())
        while not stop.is_set():
            started = asyncio.get_running_loop().time()
            # The pid in the identity is the supervisor's; the random part tells runs apart.
            identity = process_identity(self.settings.runner_name)
            self.process = await asyncio.create_subprocess_exec(
                *runner_command(self.settings, identity), env=env
            )
            log.info("runner started (pid %d)", self.process.pid)
            waiter = asyncio.create_task(self.process.wait())
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if stop.is_set():
                await self._terminate(waiter)
                await self._release(identity)  # in case it had to be killed
                return
            code = waiter.result()
            await self._release(identity)
            if code == CONFIG_ERROR_EXIT:
                log.error("runner refused to start (see above); not restarting it")
                return
            if code == RECYCLE_EXIT:
                log.info("runner recycled itself; starting a fresh one")
                backoff.reset()
                continue
            if asyncio.get_running_loop().time() - started > HEALTHY_AFTER_S:
                backoff.reset()
            delay = backoff.next_delay()
            log.error("runner exited with %s; restarting in %.1fs", code, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

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
