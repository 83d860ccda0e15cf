"""Engine and session factory for one process, on SQLite (WAL) or PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from wapiz.config import Settings
from wapiz.db.write_turns import take_turns

SQLITE_BUSY_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 10.0  # a PostgreSQL server that does not answer a new connection


@dataclass(frozen=True)
class Waits:
    """How long a PostgreSQL connection may keep its process waiting, beyond the connect:
    over a network that drops packets (a partition) a query gets no answer and no error,
    for as long as TCP keeps retrying (about 15 minutes).

    `statement_s`: a statement without an answer fails after this long (asyncpg's
    `command_timeout`; the connection is then closed). `idle_in_transaction_s`: the
    server ends a session that left a transaction open this long without a word — a client
    cut off mid-transaction would otherwise hold its row locks (a device's lease row, a
    message being sent) until the server noticed the connection was dead, keeping the
    device from the runner that takes it over."""

    statement_s: float | None = None
    idle_in_transaction_s: float | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def create_engine(url: str, application_name: str, pool_size: int = 10,
                  waits: Waits = Waits()) -> AsyncEngine:
    """An async engine; `application_name` tells API from runner in `pg_stat_activity`.

    Connections come back to the pool with their transaction already ended (every unit of
    work commits or rolls back), so the pool's own reset-by-rollback would be a wasted round
    trip on every checkin. On SQLite, write transactions take turns with every other
    process's (db/write_turns.py). A statement's parameters (password hashes, tokens,
    messages) never reach an error or a log, at any level.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S},
            pool_size=pool_size,
            pool_reset_on_return=None,
            hide_parameters=True,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        take_turns(engine, SQLITE_BUSY_TIMEOUT_S)
        return engine
    server_settings = {"application_name": application_name}
    if waits.idle_in_transaction_s is not None:
        server_settings["idle_in_transaction_session_timeout"] = str(
            int(waits.idle_in_transaction_s * 1000))
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_reset_on_return=None,
        hide_parameters=True,
        connect_args={"server_settings": server_settings, "timeout": CONNECT_TIMEOUT_S,
                      "command_timeout": waits.statement_s},
    )


class Database:
    """One process's engine and session factory."""

    def __init__(self, settings: Settings, application_name: str,
                 pool_size: int | None = None, waits: Waits = Waits()) -> None:
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(settings.resolved_database_url, application_name,
                                    pool_size or settings.database_pool_size, waits)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session_scope(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error.

        A session that never began a transaction holds no connection: it is neither
        committed nor rolled back.
        """
        session = self.sessionmaker()
        try:
            yield session
            if session.in_transaction():
                await session.commit()
        except BaseException:
            if session.in_transaction():
                await session.rollback()
            raise
        finally:
            await session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()
