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
import time
from collections.abc import Callable

from wapiz.config import ConfigError, Settings
from wapiz.db.database import Database
from wapiz.kit import loop
from wapiz.kit.metrics import ChildMetrics, start_metrics
from wapiz.kit.text import Text
from wapiz.workers.runner.roles import Role
from wapiz.workers.runner.runner import SHUTDOWN_TIMEOUT_S
from wapiz.workers.runner.supervisor import CONFIG_ERROR_EXIT, supervise

# How long a runner told to stop may take. A supervisor kills its runner after
# TERMINATE_TIMEOUT_S; a runner whose `serve` was killed (SIGKILL: the kernel sends it SIGTERM)
# has no supervisor left to do so, and a stop that waits (for SQLite's write turn, up to its
# 30 s limit; for a Go call) would keep it alive, holding or queued for the write lock, while
# a new `serve` waits to take its devices. So the runner keeps the same bound itself, longer
# by runner.DRAIN_TIMEOUT_S only when it drains (other runners are alive to take its devices).
STOP_DEADLINE_S = SHUTDOWN_TIMEOUT_S + 2.0  # (< TERMINATE_TIMEOUT_S: under a supervisor, first)


def _stop_on_signals(stop: asyncio.Event, on_first: Callable[[], None] | None = None) -> None:
    def request_stop() -> None:
        if on_first is not None and not stop.is_set():
            on_first()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, request_stop)


class StopDeadline:
    """Watched from a thread of its own, so that nothing the event loop waits on can hold it
    up: at the deadline the process exits, and the kernel frees its locks (SQLite's, the
    write-turn files). Started by the first stop signal; a runner that drains extends it."""

    def __init__(self) -> None:
        self._at: float | None = None

    def start(self) -> None:
        self._at = time.monotonic() + STOP_DEADLINE_S
        threading.Thread(target=self._watch, daemon=True, name="stop-deadline").start()

    def extend(self, seconds: float) -> None:
        if self._at is not None:
            self._at += seconds

    def _watch(self) -> None:
        while self._at is not None and (left := self._at - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))
        os.write(2, b"runner: not stopped in time; exiting now\n")
        os._exit(1)


def supervise_runner(settings: Settings) -> None:
    """`wapiz runner`: the runner children, each restarted when it dies or asks to be
    recycled."""

    async def main() -> bool:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        database = Database(settings, "wapiz-supervisor", pool_size=1)
        metrics = listener = None
        try:
            if settings.metrics_port is not None:
                # A runner has no HTTP server: its supervisor serves what its runners wrote.
                metrics = ChildMetrics()
                listener = await _metrics_listener(settings, metrics)
            await supervise(settings, database, stop, metrics)
        finally:
            if listener is not None:
                listener.close()
            if metrics is not None:
                metrics.close()
            await database.dispose()
        return stop.is_set()

    if not loop.run(main()):  # the supervisor gave up: the runner cannot start
        raise SystemExit(CONFIG_ERROR_EXIT)


async def _metrics_listener(settings: Settings, metrics: ChildMetrics) -> asyncio.Server:
    from prometheus_client import REGISTRY, generate_latest

    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    async def render() -> bytes:
        # The supervisor's own (its runners' exits, its process) and its runners'.
        return generate_latest(REGISTRY) + await asyncio.to_thread(metrics.text)

    assert settings.metrics_port is not None
    try:
        return await start_metrics(settings.metrics_host, settings.metrics_port, token, render)
    except OSError as exc:  # a port taken, an address not this machine's
        raise ConfigError(Text("tidak bisa membuka port metrics {host}:{port}: {error}",
                               "cannot open the metrics port {host}:{port}: {error}").format(
            host=settings.metrics_host, port=settings.metrics_port,
            error=exc.strerror or exc)) from None


def run_runner_process(settings: Settings, identity: str, parent_pid: int | None,
                       role: Role = Role.ALL) -> None:
    """The runner itself (started by a supervisor)."""
    from wapiz.workers.runner.runner import run_runner
    from wapiz.workers.runner.supervisor import die_with_parent

    if parent_pid is not None and not die_with_parent(parent_pid):
        return

    async def main() -> int:
        stop = asyncio.Event()
        deadline = StopDeadline()
        _stop_on_signals(stop, on_first=deadline.start)
        return await run_runner(settings, stop, identity, role, more_time=deadline.extend)

    code = loop.run(main())
    # Leases are handed back and state is written. An engine's threads may still sit in a
    # Go call (a dial that has not timed out yet): exit without waiting for them.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
