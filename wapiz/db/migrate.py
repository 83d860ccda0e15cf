"""Alembic, driven from code: `wapiz migrate` and `wapiz serve` bring the schema to head."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wapiz.config import ConfigError, Settings
from wapiz.db.database import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.resolved_database_url), revision)


async def check_schema(settings: Settings) -> None:
    """`require_current_schema` for a process that has no database open yet."""
    database = Database(settings, "wapiz-check", pool_size=1)
    try:
        await require_current_schema(database, settings)
    finally:
        await database.dispose()


async def require_current_schema(database: Database, settings: Settings) -> None:
    """Refuse to start against a database that `wapiz migrate` has not brought to head."""
    script = ScriptDirectory.from_config(alembic_config(settings.resolved_database_url))
    heads = set(script.get_heads())
    async with database.engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    if current != heads:
        raise ConfigError(
            f"the database schema is at {', '.join(sorted(current)) or 'nothing'} but this "
            f"version needs {', '.join(sorted(heads))}: run `wapiz migrate`"
        )
