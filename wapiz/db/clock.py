"""Now, by the database's clock where there can be several hosts."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def database_now(session: AsyncSession) -> Any:
    """For a statement: PostgreSQL's `now()` (the transaction's start), so that processes on
    hosts with skewed clocks agree on leases and heartbeats; on SQLite (one machine) this
    process's clock."""
    return func.now() if _is_postgres(session) else utc_now()


async def read_database_now(session: AsyncSession) -> datetime:
    """The same moment as a value, to measure ages against."""
    if _is_postgres(session):
        now: datetime = (await session.execute(select(func.now()))).scalar_one()
        return now
    return utc_now()
