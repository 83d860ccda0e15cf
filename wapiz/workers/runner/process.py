"""Runner processes: `wapiz runner` supervises the runners (one, or one per role:
runner/roles.py) that hold the WhatsApp sessions.

Kept apart from `wapiz.http.server` so that a runner never loads the web framework.
"""

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit import loop
from wapiz.workers.runner.roles import Role
from wapiz.workers.runner.runner import SHUTDOWN_TIMEOUT_S
from wapiz.workers.runner.supervisor import CONFIG_ERROR_EXIT, supervise

# How long a runner told to stop may take. A supervisor kills its runner after
# TERMINATE_TIMEOUT_S; a runner whose `serve` was killed (SIGKILL: the kernel sends it SIGTERM)
# has no supervisor left to do so, and a stop that waits (for SQLite's write turn, up to its
# 30 s limit; for a Go call) would keep it alive, holding or queued for the write lock, while
# a new `serve` waits to take its devices. So the runner keeps the same bound itself.
STOP_DEADLINE_S = SHUTDOWN_TIMEOUT_S + 2.0  # (< TERMINATE_TIMEOUT_S: under a supervisor, first)


def _stop_on_signals(stop: asyncio.Event, on_first: Callable[[], None] | None = None) -> None:
    def request_stop() -> None:
        if on_first is not None and not stop.is_set():
            on_first()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, request_stop)


def _exit_after_deadline() -> None:
    """From a thread of its own, so that nothing the event loop waits on can hold it up:
    the process exits, and the kernel frees its locks (SQLite's, the write-turn files)."""

    def exit_now() -> None:
        os.write(2, f"runner: not stopped within {STOP_DEADLINE_S:g}s; exiting now\n".encode())
        os._exit(1)

    timer = threading.Timer(STOP_DEADLINE_S, exit_now)
    timer.daemon = True
    timer.start()


def supervise_runner(settings: Settings) -> None:
    """`wapiz runner`: the runner children, each restarted when it dies or asks to be
    recycled."""

    async def main() -> bool:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        database = Database(settings, "wapiz-supervisor", pool_size=1)
        try:
            await supervise(settings, database, stop)
        finally:
            await database.dispose()
        return stop.is_set()

    if not loop.run(main()):  # the supervisor gave up: the runner cannot start
        raise SystemExit(CONFIG_ERROR_EXIT)


def run_runner_process(settings: Settings, identity: str, parent_pid: int | None,
                       role: Role = Role.ALL) -> None:
    """The runner itself (started by a supervisor)."""
    from wapiz.workers.runner.runner import run_runner
    from wapiz.workers.runner.supervisor import die_with_parent

    if parent_pid is not None and not die_with_parent(parent_pid):
        return

    async def main() -> int:
        stop = asyncio.Event()
        _stop_on_signals(stop, on_first=_exit_after_deadline)
        return await run_runner(settings, stop, identity, role)

    code = loop.run(main())
    # Leases are handed back and state is written. An engine's threads may still sit in a
    # Go call (a dial that has not timed out yet): exit without waiting for them.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
