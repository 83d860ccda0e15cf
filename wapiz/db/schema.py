"""Is the database at the schema this code needs? Checked without loading Alembic, so that
API and runner processes stay small (Alembic is loaded only to migrate)."""

from sqlalchemy import text

from wapiz.config import ConfigError, Settings
from wapiz.db.database import Database
from wapiz.kit.text import Text

# The newest migration; tests/db/test_migrations.py checks it against the scripts.
SCHEMA_HEAD = "0020"


async def current_revisions(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        try:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except Exception:  # no table yet: never migrated
            return set()
        return {row[0] for row in rows}


async def require_current_schema(database: Database) -> None:
    """Refuse to start against a database that `wapiz migrate` has not brought to head."""
    current = await current_revisions(database)
    if current != {SCHEMA_HEAD}:
        raise ConfigError(Text(
            "skema database ada di {current}, versi ini butuh {head}: jalankan `wapiz migrate`",
            "the database schema is at {current} but this version needs {head}: run "
            "`wapiz migrate`").format(current=", ".join(sorted(current)) or "-", head=SCHEMA_HEAD))


async def check_schema(settings: Settings) -> None:
    """`require_current_schema` for a process that has no database open yet."""
    database = Database(settings, "wapiz-check", pool_size=1)
    try:
        await require_current_schema(database)
    finally:
        await database.dispose()
