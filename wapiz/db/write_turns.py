"""SQLite's one writer at a time, taken in turns by every WAPIZ process on the machine.

SQLite lets one connection write at a time. A connection that finds the write lock taken
sleeps in SQLite's busy handler (1, 2, 5 … then 100 ms at a time) and tries again, with no
queue: while one process writes steadily (a runner storing a burst of inbound messages, an
API process accepting a burst of sends), another can miss every short gap for many seconds —
a lease renewal that misses its deadline drops the runner's sessions, an API request times
out. So writers queue instead. A write transaction first takes a turn: in order within its
process (an asyncio lock), and across processes through two lock files beside the database
(`flock`, whose waiters the kernel wakes as soon as the lock is free):
- `<db>-writer.lock` is held while writing;
- `<db>-next-writer.lock` is held by the one waiting for it. Only its holder may wait for the
  writer's lock, so a writer that has just finished cannot take the lock straight back
  ahead of one that was waiting: under contention, processes take turns.

The turn is taken at the transaction's first write (reads never wait) and given back when
its connection returns to the pool, after the commit or rollback. A unit of work must not
wait, while its transaction holds a turn, for another that needs one: in SQLite itself that
is a deadlock the busy handler ends after its time limit; here the wait for a turn gives up
after the same limit.
"""

import asyncio
import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

READS = ("SELECT", "PRAGMA", "EXPLAIN")
HOLDS_TURN = "wapiz_write_turn"


def writes(statement: str) -> bool:
    """Whether a statement may write (anything but a plain read counts)."""
    return not statement.lstrip().upper().startswith(READS)


class WriteTurns:
    """One engine's place in the queue for its SQLite file's write lock."""

    def __init__(self, database_file: str, timeout_s: float) -> None:
        self.paths = (Path(f"{database_file}-writer.lock"),
                      Path(f"{database_file}-next-writer.lock"))
        self.timeout_s = timeout_s
        self._fds: tuple[int, int] | None = None
        self._in_process: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Waits for the files' locks block a thread. One is enough (only the task at the head
        # of this process's queue waits), and it is a daemon: a process may exit meanwhile.
        self._requests: queue.SimpleQueue[tuple[Callable[[], None], asyncio.Future[None]]] = (
            queue.SimpleQueue())
        self._waiter: threading.Thread | None = None

    def _queue(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._in_process is None:
            self._in_process, self._loop = asyncio.Lock(), loop
        return self._in_process

    def _files(self) -> tuple[int, int]:
        if self._fds is None:
            writer, next_writer = (os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                                   for path in self.paths)
            self._fds = (writer, next_writer)
        return self._fds

    async def take(self) -> None:
        """Wait for this engine's turn to write; TimeoutError after `timeout_s`."""
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._queue().acquire()
        except TimeoutError:
            raise self._late() from None
        try:
            wait = self._take_now()
        except BaseException:
            self.give_back()
            raise
        if wait is None:
            return
        locked = self._in_thread(wait)
        try:
            await asyncio.wait_for(asyncio.shield(locked), self.timeout_s)
        except BaseException as exc:
            # Cancelled or out of time: the thread still waits; whenever it gets the lock,
            # the lock goes straight back.
            locked.add_done_callback(lambda _: self.give_back())
            if isinstance(exc, TimeoutError):
                raise self._late() from None
            raise

    def _take_now(self) -> Callable[[], None] | None:
        """Take the writer's lock if nobody waits for it and it is free (None); otherwise
        what is left to do, blocking: wait in line, then for the lock."""
        writer, next_writer = self._files()

        def wait_for_writer() -> None:
            fcntl.flock(writer, fcntl.LOCK_EX)
            fcntl.flock(next_writer, fcntl.LOCK_UN)

        if not _try_lock(next_writer):

            def wait_in_line() -> None:
                fcntl.flock(next_writer, fcntl.LOCK_EX)
                wait_for_writer()

            return wait_in_line
        if not _try_lock(writer):
            return wait_for_writer
        fcntl.flock(next_writer, fcntl.LOCK_UN)
        return None

    def _late(self) -> TimeoutError:
        return TimeoutError(f"the SQLite write lock was not free within {self.timeout_s:g}s")

    def _in_thread(self, wait: Callable[[], None]) -> asyncio.Future[None]:
        locked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._waiter is None:
            self._waiter = threading.Thread(target=self._serve_waits, daemon=True,
                                            name="sqlite-write-turn")
            self._waiter.start()
        self._requests.put((wait, locked))
        return locked

    def _serve_waits(self) -> None:
        while True:
            wait, locked = self._requests.get()
            try:
                wait()
                result: BaseException | None = None
            except BaseException as exc:  # (files closed by close())
                result = exc
            try:
                locked.get_loop().call_soon_threadsafe(_settle, locked, result)
            except RuntimeError:  # its loop is closed: nobody will give the lock back
                with contextlib.suppress(OSError):
                    fcntl.flock(self._files()[0], fcntl.LOCK_UN)

    def give_back(self) -> None:
        if self._fds is not None:
            fcntl.flock(self._fds[0], fcntl.LOCK_UN)
        if self._in_process is not None and self._in_process.locked():
            self._in_process.release()

    def close(self) -> None:
        fds, self._fds = self._fds, None
        for fd in fds or ():
            with contextlib.suppress(OSError):
                os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _settle(locked: asyncio.Future[None], error: BaseException | None) -> None:
    if locked.done():
        return
    if error is None:
        locked.set_result(None)
    else:
        locked.set_exception(error)


def take_turns(engine: AsyncEngine, timeout_s: float) -> None:
    """Make a SQLite engine's write transactions take turns (see the module's docstring)."""
    database = make_url(engine.url).database
    if not database or database == ":memory:":
        return
    turns = WriteTurns(database, timeout_s)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before_write(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.info.get(HOLDS_TURN) or not writes(statement):
            return
        connection.connection.dbapi_connection.run_async(lambda _driver: turns.take())
        connection.info[HOLDS_TURN] = True

    def _give_back(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        if record.info.pop(HOLDS_TURN, False):
            turns.give_back()

    # Back in the pool (after the commit or rollback), or dropped from it after an error.
    for pool_event in ("checkin", "invalidate", "detach"):
        event.listen(engine.sync_engine, pool_event, _give_back)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: turns.close())
