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
  ahead of one that was waiting: between two processes (an API and a runner) they take
  turns. With more, the kernel does not queue `flock` waiters in order, so a process that
  has just written may be let in line ahead of one already waiting: fair in the long run,
  not strictly in turn.

The turn is taken at the transaction's first write (reads never wait) and given back when
its connection returns to the pool, after the commit or rollback. A unit of work must not
wait, while its transaction holds a turn, for another that needs one: in SQLite itself that
is a deadlock the busy handler ends after its time limit; here the wait for a turn (in the
process and for the files together) gives up after the same limit.
"""

import asyncio
import contextlib
import fcntl
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

READS = ("SELECT", "PRAGMA", "EXPLAIN")
HOLDS_TURN = "wapiz_write_turn"


def writes(statement: str) -> bool:
    """Whether a statement may write (anything but a plain read counts)."""
    return not statement.lstrip().upper().startswith(READS)


@dataclass
class _WaitRequest:
    """A wait for the files' locks, made in the thread."""

    writer: BinaryIO
    next_writer: BinaryIO
    in_line: bool  # holding `next_writer` already
    locked: asyncio.Future[None] = field(init=False)

    def block(self) -> None:
        if not self.in_line:
            fcntl.flock(self.next_writer, fcntl.LOCK_EX)
        fcntl.flock(self.writer, fcntl.LOCK_EX)
        fcntl.flock(self.next_writer, fcntl.LOCK_UN)


class WriteTurns:
    """One engine's place in the queue for its SQLite file's write lock."""

    def __init__(self, database_file: str, timeout_s: float) -> None:
        self.paths = (Path(f"{database_file}-writer.lock"),
                      Path(f"{database_file}-next-writer.lock"))
        self.timeout_s = timeout_s
        self._files: tuple[BinaryIO, BinaryIO] | None = None
        self._in_process: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Waits for the files' locks block a thread. One is enough (only the task at the head
        # of this process's queue waits), and it is a daemon: a process may exit meanwhile.
        self._requests: queue.SimpleQueue[_WaitRequest | None] = queue.SimpleQueue()
        self._waiter: threading.Thread | None = None

    def _queue(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._in_process is None:
            self._in_process, self._loop = asyncio.Lock(), loop
        return self._in_process

    def _opened(self) -> tuple[BinaryIO, BinaryIO]:
        # File objects rather than descriptors: once closed, a wait left in the thread fails
        # instead of locking whatever file reused the number.
        if self._files is None:
            writer, next_writer = (open(path, "ab") for path in self.paths)  # noqa: SIM115
            self._files = (writer, next_writer)
        return self._files

    async def take(self) -> None:
        """Wait for this engine's turn to write; TimeoutError after `timeout_s`."""
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        try:
            async with asyncio.timeout_at(deadline):
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
            async with asyncio.timeout_at(deadline):
                await asyncio.shield(locked)
        except BaseException as exc:
            # Cancelled or out of time: the thread still waits; whenever it gets the lock,
            # the lock goes straight back.
            locked.add_done_callback(lambda _: self.give_back())
            if isinstance(exc, TimeoutError):
                raise self._late() from None
            raise

    def _take_now(self) -> _WaitRequest | None:
        """Take the writer's lock if nobody waits for it and it is free (None); otherwise
        what is left to do, blocking: wait in line, then for the lock."""
        writer, next_writer = self._opened()
        if not _try_lock(next_writer):
            return _WaitRequest(writer, next_writer, in_line=False)
        if not _try_lock(writer):
            return _WaitRequest(writer, next_writer, in_line=True)
        fcntl.flock(next_writer, fcntl.LOCK_UN)
        return None

    def _late(self) -> TimeoutError:
        return TimeoutError(f"the SQLite write lock was not free within {self.timeout_s:g}s")

    def _in_thread(self, wait: _WaitRequest) -> asyncio.Future[None]:
        wait.locked = asyncio.get_running_loop().create_future()
        if self._waiter is None:
            self._waiter = threading.Thread(target=self._serve_waits, args=(self._requests,),
                                            daemon=True, name="sqlite-write-turn")
            self._waiter.start()
        self._requests.put(wait)
        return wait.locked

    @staticmethod
    def _serve_waits(requests: queue.SimpleQueue[_WaitRequest | None]) -> None:
        while (wait := requests.get()) is not None:
            try:
                wait.block()
                result: BaseException | None = None
            except BaseException as exc:  # (files closed by close())
                result = exc
            try:
                wait.locked.get_loop().call_soon_threadsafe(_settle, wait.locked, result)
            except RuntimeError:  # its loop is closed: nobody will give the lock back
                with contextlib.suppress(OSError, ValueError):
                    fcntl.flock(wait.writer, fcntl.LOCK_UN)

    def give_back(self) -> None:
        if self._files is not None:
            fcntl.flock(self._files[0], fcntl.LOCK_UN)
        loop = self._loop
        if loop is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._release_in_process()
        else:  # a connection dropped from another thread (the garbage collector's, say)
            with contextlib.suppress(RuntimeError):  # a closed loop has no one left to wait
                loop.call_soon_threadsafe(self._release_in_process)

    def _release_in_process(self) -> None:
        if self._in_process is not None and self._in_process.locked():
            self._in_process.release()

    def close(self) -> None:
        if self._waiter is not None:
            self._requests.put(None)  # the thread ends after any wait before it
            self._waiter = None
            self._requests = queue.SimpleQueue()
        files, self._files = self._files, None
        for file in files or ():
            with contextlib.suppress(OSError):
                file.close()


def _try_lock(file: BinaryIO) -> bool:
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
