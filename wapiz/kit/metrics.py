"""Metrics for Prometheus (prometheus-client): the pieces every process shares.

An API process keeps its metrics in memory (prometheus-client's default registry). Runner
processes are children of a supervisor (`wapiz serve`, `wapiz runner`) that restarts them, so
they keep theirs in files instead: prometheus-client's multiprocess mode, switched on by
`PROMETHEUS_MULTIPROC_DIR` in a child's environment (read when prometheus_client is first
imported). Their supervisor's process reads the files at scrape time: a restarted runner's
counts stay in the sums, and a dead runner's gauges are dropped (`ChildMetrics.ended`).

The text is served at `GET /metrics` on an API's port (only with `WAPIZ_METRICS_TOKEN`, as a
bearer token) and, with `WAPIZ_METRICS_PORT`, by a listener of its own (`start_metrics`,
loopback by default), the one way a runner, which has no HTTP server, is scraped.
"""

import asyncio
import hmac
import ipaddress
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = logging.getLogger(__name__)

# A `_created` series beside every counter and histogram doubles the text and says nothing
# a dashboard uses.
disable_created_metrics()  # type: ignore[no-untyped-call]  # (unannotated)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
REQUEST_TIMEOUT_S = 5.0
MAX_REQUEST_HEAD = 16 * 1024
MAX_SCRAPES = 8  # connections answered at once

# Seconds buckets for work that takes a network round trip (a send, a webhook POST): 5 ms to
# a minute, the engine call's and the webhook's default time limits included.
ROUND_TRIP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
                      30.0, 60.0)

Render = Callable[[], Awaitable[bytes]]


class ChildMetrics:
    """The folder a supervisor's runner children write their metrics to, read back here."""

    def __init__(self) -> None:
        # Private to the running account (every process's umask is 077: datadir.py).
        self.path = tempfile.mkdtemp(prefix="wapiz-metrics-")
        self.registry = CollectorRegistry(auto_describe=False)
        # prometheus-client's multiprocess module has no annotations.
        MultiProcessCollector(self.registry, self.path)  # type: ignore[no-untyped-call]

    def env(self) -> dict[str, str]:
        """What a child's environment needs for its metrics to land here."""
        return {MULTIPROC_ENV: self.path}

    def ended(self, pid: int) -> None:
        """A child is gone: its gauges no longer count; its counters and histograms are added
        into one file of ended children's totals and its own files deleted, so a runner
        restarted often leaves no trail of files (every scrape reads them all)."""
        mark_process_dead(pid, self.path)  # type: ignore[no-untyped-call]
        for kind in ("counter", "histogram"):
            dead = Path(self.path, f"{kind}_{pid}.db")
            if not dead.exists():
                continue
            # prometheus-client's file format has no annotations.
            totals = MmapedDict(str(Path(self.path, f"{kind}_ended.db")))  # type: ignore[no-untyped-call]
            try:
                ended = MmapedDict.read_all_values_from_file(str(dead))  # type: ignore[no-untyped-call]
                for key, value, _, _ in ended:
                    total = totals.read_value(key)[0] + value  # type: ignore[no-untyped-call]
                    totals.write_value(key, total, 0.0)  # type: ignore[no-untyped-call]
            finally:
                totals.close()  # type: ignore[no-untyped-call]
            dead.unlink()

    def text(self) -> bytes:
        return generate_latest(self.registry)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def bearer_allows(authorization: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries the token (compared in constant time)."""
    scheme, _, value = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              token.encode())


def _answer(status: str, body: bytes, content_type: str = "text/plain; charset=utf-8",
            extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n").encode() + body


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, render: Render,
                  token: str | None) -> None:
    """One scrape, whole (its request, the rendering and the answer's last byte out) within
    REQUEST_TIMEOUT_S: a client that sends slowly or never reads is cut off."""
    answered = False
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, *_ = [*lines[0].split(" "), "", ""]
            headers = {name.strip().lower(): value.strip()
                       for name, _, value in (line.partition(":") for line in lines[1:] if line)}
            if method != "GET" or target.partition("?")[0] != "/metrics":
                writer.write(_answer("404 Not Found", b"not found: GET /metrics\n"))
            elif token is not None and not bearer_allows(headers.get("authorization"), token):
                writer.write(_answer("401 Unauthorized", b"a bearer token is required\n",
                                     extra='WWW-Authenticate: Bearer realm="metrics"\r\n'))
            else:
                writer.write(_answer("200 OK", await render(), CONTENT_TYPE))
            await writer.drain()
            answered = True
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError):
        pass
    except Exception:
        log.exception("metrics: could not answer a scrape")
    finally:
        if answered:
            writer.close()
        else:  # unsent bytes dropped: nothing is left waiting on the client
            writer.transport.abort()


class _Scrapes:
    """At most MAX_SCRAPES connections answered at once; one more is closed at once (a
    Prometheus server scrapes one at a time)."""

    def __init__(self, render: Render, token: str | None) -> None:
        self.render, self.token = render, token
        self.open = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.open >= MAX_SCRAPES:
            writer.transport.abort()
            return
        self.open += 1
        try:
            await _handle(reader, writer, self.render, self.token)
        finally:
            self.open -= 1


async def start_metrics(host: str, port: int, token: str | None,
                        render: Render) -> asyncio.Server:
    """`GET /metrics` on host:port (a bearer token asked for when one is set), until the
    server is closed. Raises OSError if the port cannot be had."""
    server = await asyncio.start_server(_Scrapes(render, token), host, port,
                                        limit=MAX_REQUEST_HEAD)
    log.info("metrics at http://%s:%d/metrics", host, port)
    if token is None and not _loopback(host):
        log.warning("metrics at %s:%d answer anyone who reaches them: set WAPIZ_METRICS_TOKEN",
                    host, port)
    return server


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
