"""Every call into neonize's Go library goes through one `GoCalls` per process.

The library keeps its clients in global Go maps without a lock: starting a client, stopping
it and logging out write those maps, every other call reads them, and Go aborts the whole
process on a write that overlaps anything else (`concurrent map writes`, exit 134). So:

- lifecycle calls run one at a time, on one thread, with nothing else in flight;
- other calls (send, download, number checks) only read the maps and may overlap each other;
- all of them run on threads, so the runner's event loop never blocks on Go, and each has a
  timeout (a Go call cannot be cancelled: a timed-out call's thread is left to finish).
"""

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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

    async def lifecycle(self, fn: Callable[[], T], limit_s: float) -> T:
        """Run `fn` alone: no other Go call starts until it returns."""

        def exclusive() -> T:
            self.lock.acquire_write()
            try:
                return fn()
            finally:
                self.lock.release_write()

        return await self._run(self._lifecycle, exclusive, limit_s)

    async def call(self, fn: Callable[[], T], limit_s: float) -> T:
        """Run `fn` beside other reading calls, never beside a lifecycle call."""

        def shared() -> T:
            self.lock.acquire_read()
            try:
                return fn()
            finally:
                self.lock.release_read()

        return await self._run(self._readers, shared, limit_s)

    @staticmethod
    async def _run(pool: ThreadPoolExecutor, fn: Callable[[], T], limit_s: float) -> T:
        future = asyncio.get_running_loop().run_in_executor(pool, fn)
        return await asyncio.wait_for(asyncio.shield(future), limit_s)

    def close(self) -> None:
        # Threads stuck in Go cannot be joined; the process exits around them.
        self._lifecycle.shutdown(wait=False, cancel_futures=True)
        self._readers.shutdown(wait=False, cancel_futures=True)
