import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from wapiz.db.database import create_engine
from wapiz.db.models import metadata

# Several processes may start at once against one PostgreSQL: one migrates, the others wait.
MIGRATION_LOCK_ID = 0x57A917


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by rebuilding it (batch mode): with foreign keys on, dropping
        # the old table would cascade into the tables referring to it. Off while migrating
        # (only outside a transaction can they be turned off), and checked before commit.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")


async def _run() -> None:
    engine = create_engine(context.config.attributes["database_url"], "wapiz-migrate")
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
            if connection.dialect.name == "sqlite":
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    finally:
        await engine.dispose()


asyncio.run(_run())
