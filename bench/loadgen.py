"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, fixed duration.

Runs in its own process (so it does not share the server's event loop) and reports
requests per second and latency percentiles. Loopback only.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)


async def _connection(port: int, request: bytes, until: float, latencies: list[float],
                      errors: list[int], ok: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if not head.startswith(ok):
                errors.append(1)
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        writer.close()


def _request(port: int, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
    method = "GET" if body is None else "POST"
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _run(port: int, path: str, headers: dict[str, str], connections: int,
               seconds: float, body: bytes | list[bytes] | None, ok_status: int) -> LoadResult:
    bodies = body if isinstance(body, list) else [body]
    requests = [_request(port, path, headers, one) for one in bodies]
    ok = f"HTTP/1.1 {ok_status}".encode()
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_connection(port, requests[n % len(requests)], until, latencies,
                                       errors, ok)
                           for n in range(connections)))
    return LoadResult(len(latencies), len(errors), time.perf_counter() - started, latencies)


def run_load(port: int, path: str, headers: dict[str, str], connections: int,
             seconds: float, body: bytes | list[bytes] | None = None,
             ok_status: int = 200) -> LoadResult:
    """GET `path` (or POST `body` as JSON) on N connections; answers other than
    `ok_status` count as errors. With a list of bodies, connection n posts body n (modulo
    the list's length): one sender each, say."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    return runner(_run(port, path, headers, connections, seconds, body, ok_status))
