"""Runner processes: `wapiz runner` supervises one, which holds the WhatsApp sessions.

Kept apart from `wapiz.http.server` so that a runner never loads the web framework.
"""

import asyncio
import logging
import os
import signal
import sys

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit import loop
from wapiz.workers.runner.supervisor import CONFIG_ERROR_EXIT, RunnerSupervisor


def _stop_on_signals(stop: asyncio.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)


def supervise_runner(settings: Settings) -> None:
    """`wapiz runner`: one runner child, restarted when it dies or asks to be recycled."""

    async def main() -> bool:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        database = Database(settings, "wapiz-supervisor", pool_size=1)
        try:
            await RunnerSupervisor(settings, database).run(stop)
        finally:
            await database.dispose()
        return stop.is_set()

    if not loop.run(main()):  # the supervisor gave up: the runner cannot start
        raise SystemExit(CONFIG_ERROR_EXIT)


def run_runner_process(settings: Settings, identity: str, parent_pid: int | None) -> None:
    """The runner itself (started by a supervisor)."""
    from wapiz.workers.runner.runner import run_runner
    from wapiz.workers.runner.supervisor import die_with_parent

    if parent_pid is not None and not die_with_parent(parent_pid):
        return

    async def main() -> int:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        return await run_runner(settings, stop, identity)

    code = loop.run(main())
    # Leases are handed back and state is written. An engine's threads may still sit in a
    # Go call (a dial that has not timed out yet): exit without waiting for them.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
