"""Serving: the API alone (`wapiz api`), or the API plus a supervised runner (`wapiz serve`)."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.http.app import create_app
from wapiz.http.limits import BoundedHttpToolsProtocol
from wapiz.kit import loop
from wapiz.kit.metrics import ChildMetrics

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals are ours (see `_serve`): shut the runner down too, then exit normally.
        yield


async def _serve(settings: Settings, with_runner: bool) -> None:
    # The runners' metrics are served with the API's, when the API serves any.
    exported = settings.metrics_token is not None or settings.metrics_port is not None
    runner_metrics = ChildMetrics() if with_runner and exported else None
    config = uvicorn.Config(
        create_app(settings, runner_metrics),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        server_header=False,
        timeout_graceful_shutdown=3,
        # Headers are bounded (431): uvicorn's httptools protocol alone holds any amount.
        http=BoundedHttpToolsProtocol,
        # The client address (the login throttle's) is the connection's peer, unless the peer
        # is a trusted proxy: then its X-Forwarded-For. uvicorn would trust loopback by default.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
    )
    server = _Server(config)
    stop = asyncio.Event()

    def request_stop() -> None:
        if stop.is_set():  # a second Ctrl+C: do not wait for open connections
            server.force_exit = True
        server.should_exit = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, request_stop)
    database = supervisor = None
    if with_runner:
        # Only `serve` supervises a runner: `wapiz api` loads nothing of the workers.
        from wapiz.workers.runner.supervisor import supervise

        database = Database(settings, "wapiz-supervisor", pool_size=1)
        supervisor = asyncio.create_task(supervise(settings, database, stop, runner_metrics))
    runner_gave_up = False

    def supervisor_ended(_: object) -> None:
        # A supervisor that gives up (the runner cannot start) takes the server down with it.
        nonlocal runner_gave_up
        if not stop.is_set():
            runner_gave_up = True
            request_stop()

    if supervisor is not None:
        supervisor.add_done_callback(supervisor_ended)
    try:
        await server.serve()
    finally:
        stop.set()
        if supervisor is not None and database is not None:
            await supervisor
            await database.dispose()
        if runner_metrics is not None:
            runner_metrics.close()
    if runner_gave_up:
        from wapiz.workers.runner.supervisor import CONFIG_ERROR_EXIT

        raise SystemExit(CONFIG_ERROR_EXIT)
    if not server.started:
        raise SystemExit(1)


def serve(settings: Settings, with_runner: bool = True) -> None:
    loop.run(_serve(settings, with_runner))
