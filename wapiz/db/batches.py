"""Background clean-ups over many rows, done in small transactions.

SQLite has one writer at a time: deleting a month of rows in one transaction would hold its
write lock for as long as that takes, and every send, lease renewal and API write would wait.
Each batch is a transaction of its own, with a pause between batches for the others.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.database import Database

PAUSE_BETWEEN_BATCHES_S = 0.05

Row = TypeVarTuple("Row")  # a query's columns' types

# One batch in a transaction: whether it was the last, and how many rows of each kind went.
Batch = Callable[[AsyncSession], Awaitable[tuple[bool, Counter[str]]]]


async def in_batches(database: Database, batch: Batch) -> Counter[str]:
    """Run `batch`, each time in a transaction of its own, until it says it was the last;
    what went, summed."""
    went: Counter[str] = Counter()
    while True:
        async with database.session_scope() as db:
            last, counts = await batch(db)
        went.update(counts)
        if last:
            return went
        await asyncio.sleep(PAUSE_BETWEEN_BATCHES_S)


def skipping_locked(candidates: Select[*Row], session: AsyncSession, **of: Any
                    ) -> Select[*Row]:
    """On PostgreSQL, lock the candidate rows and skip those another transaction holds (a
    second runner cleaning up at the same moment, a redelivery), so two never wait on each
    other. SQLite needs nothing: the statements that write re-check their conditions under
    its single write lock."""
    if session.get_bind().dialect.name == "postgresql":
        return candidates.with_for_update(skip_locked=True, **of)
    return candidates
