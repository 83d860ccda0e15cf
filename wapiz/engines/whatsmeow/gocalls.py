"""Every call into neonize's Go library goes through one `GoCalls` per process.

The library keeps its clients in global Go maps without a lock: starting a client and
stopping it write those maps, every other call reads them, and Go aborts the whole process
on a write that overlaps anything else (`concurrent map writes`, exit 134). A call naming a
client the maps no longer hold dereferences nil and aborts too. So:

- lifecycle calls (start, stop) run one at a time, on one thread, with none of our other
  calls in flight; so none may take long: a start holds them only until Go has registered
  its client, and a stop of a client whose dial is still on (Go's Stop would wait for the
  dial to time out, up to a minute) is carried out once the dial is over (engine.py);
- other calls (send, download, number checks, pairing codes, logout) only read the maps and
  may overlap each other; each names its client, and runs only while that client is
  registered here (registration changes only inside lifecycle calls, so it cannot change
  under a call);
- all of them run on threads, so the runner's event loop never blocks on Go, and each has a
  timeout (a Go call cannot be cancelled: a timed-out call's thread is left to finish).

What this cannot cover: neonize's own connect thread reads the maps once, unasked, as a
connection comes up. A write at that very instant still aborts the process; the runner is a
process of its own for that reason, and is restarted with its devices resumed.
"""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from wapiz.engines.base import NotConnected

T = TypeVar("T")


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_read(self, timeout: float | None = None) -> bool:
        with self._cond:
            free = lambda: not self._writer and not self._writers_waiting  # noqa: E731
            if not self._cond.wait_for(free, timeout):
                return False
            self._readers += 1
            return True

    def release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if self._readers == 0:
                self._cond.notify_all()

    def acquire_write(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not self._writer and self._readers == 0)
            self._writers_waiting -= 1
            self._writer = True

    def release_write(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


class GoCalls:
    def __init__(self, readers: int = 16) -> None:
        self.lock = ReadWriteLock()
        self._lifecycle = ThreadPoolExecutor(1, thread_name_prefix="wapiz-go-lifecycle")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="wapiz-go")
        self._registered: set[str] = set()

    # Only from inside a lifecycle call:
    def register(self, client_id: str) -> None:
        self._registered.add(client_id)

    def forget(self, client_id: str) -> None:
        self._registered.discard(client_id)

    def is_registered(self, client_id: str) -> bool:
        return client_id in self._registered

    async def lifecycle(self, fn: Callable[[], T], limit_s: float) -> T:
        """Run `fn` alone: no other Go call starts until it returns."""

        def exclusive() -> T:
            self.lock.acquire_write()
            try:
                return fn()
            finally:
                self.lock.release_write()

        return await self._run(self._lifecycle, exclusive, limit_s)

    async def call(self, client_id: str, fn: Callable[[], T], limit_s: float) -> T:
        """Run `fn` for a registered client, beside other reading calls, never beside a
        lifecycle call."""

        def shared() -> T:
            self.lock.acquire_read()
            try:
                if client_id not in self._registered:
                    raise NotConnected("the connection is gone")
                return fn()
            finally:
                self.lock.release_read()

        return await self._run(self._readers, shared, limit_s)

    def call_now(self, client_id: str, fn: Callable[[], T], wait_s: float) -> T | None:
        """`call` on the calling thread, for neonize's own threads; None if the client is
        not registered or a lifecycle call holds the library longer than `wait_s`."""
        if not self.lock.acquire_read(wait_s):
            return None
        try:
            return fn() if client_id in self._registered else None
        finally:
            self.lock.release_read()

    @staticmethod
    async def _run(pool: ThreadPoolExecutor, fn: Callable[[], T], limit_s: float) -> T:
        future = asyncio.get_running_loop().run_in_executor(pool, fn)
        return await asyncio.wait_for(asyncio.shield(future), limit_s)

    def close(self) -> None:
        # Threads stuck in Go cannot be joined; the process exits around them.
        self._lifecycle.shutdown(wait=False, cancel_futures=True)
        self._readers.shutdown(wait=False, cancel_futures=True)
