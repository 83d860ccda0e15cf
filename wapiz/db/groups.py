"""Group commit: many tasks hand in rows, written a group to a transaction.

Whatever arrives while a group is being written waits for the next one, so under load the
cost of a transaction (its round trips, and on SQLite its turn at the one write lock) is
shared by everyone in the group, and when idle a row waits for nobody. If a group fails,
its items are written one by one, so only an item that cannot be written fails.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Writes a group in one transaction; for each item, its result or the error that is its
# own (such as "that device is gone"), in the order given.
GroupWriter = Callable[[list[T]], Awaitable[Sequence[R | Exception]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, write: GroupWriter[T, R], max_group: int, name: str) -> None:
        self._write = write
        self.max_group = max_group
        self.name = name
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Returns once the item is committed (or raises why it was not). A caller that
        goes away does not take its item back: it is written all the same."""
        written: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        # Its error is retrieved even if the caller went away meanwhile (no warning).
        written.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._waiting.append((item, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name=self.name)
        return await asyncio.shield(written)

    async def _write_waiting(self) -> None:
        group: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                group = self._waiting[:self.max_group]
                self._waiting = self._waiting[self.max_group:]
                if not await self._write_group(group, last_try=len(group) == 1):
                    for single in group:
                        await self._write_group([single], last_try=True)
        except BaseException as exc:
            # Cancelled (the process stops): no caller may wait for ever.
            for _, written in group + self._waiting:
                if not written.done():
                    written.set_exception(RuntimeError(f"{self.name} stopped: {exc!r}"))
            self._waiting = []
            raise

    async def _write_group(self, group: list[tuple[T, asyncio.Future[R]]],
                           last_try: bool) -> bool:
        """Write the group and tell its callers; False if it failed as a whole (its callers
        are told so only on the last try)."""
        try:
            results = await self._write([item for item, _ in group])
        except Exception as exc:
            if last_try:
                for _, written in group:
                    if not written.done():
                        written.set_exception(exc)
            return False
        for (_, written), result in zip(group, results, strict=True):
            if written.done():
                continue
            if isinstance(result, Exception):
                written.set_exception(result)
            else:
                written.set_result(result)
        return True
