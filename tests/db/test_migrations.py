"""Migrations: they build exactly the schema the models describe, and run both ways."""

import asyncio

from alembic import command as alembic
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import Deployment, db_rows
from wapiz.db.migrate import alembic_config, script_heads
from wapiz.db.models import metadata
from wapiz.db.schema import SCHEMA_HEAD


def _differences(url: str) -> list:
    async def compare() -> list:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(compare())


def test_models_and_migrations_agree(deployment: Deployment) -> None:
    deployment.migrate()
    assert _differences(deployment.database_url) == []


def test_downgrade_and_upgrade_again(deployment: Deployment) -> None:
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    alembic.downgrade(config, "base")
    alembic.upgrade(config, "head")
    assert _differences(deployment.database_url) == []


def test_api_and_runner_refuse_an_unmigrated_database(deployment: Deployment) -> None:
    for command in (["runner"], ["api"], ["serve", "--no-migrate"]):
        result = deployment.cli(*command, check=False)
        assert result.returncode == 2, result.stderr
        assert "run `wapiz migrate`" in result.stderr


def test_the_schema_check_names_the_newest_migration() -> None:
    # Processes check the schema against SCHEMA_HEAD without loading Alembic.
    assert script_heads("sqlite+aiosqlite://") == {SCHEMA_HEAD}


def test_the_per_email_throttle_survives_0007_both_ways(deployment: Deployment) -> None:
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    db_rows(deployment.database_url,
            "INSERT INTO throttle (kind, subject, attempts, last_attempt_at) VALUES "
            "('login_email', 'budi@example.com', 4, CURRENT_TIMESTAMP), "
            "('login_address', '192.0.2.1', 9, CURRENT_TIMESTAMP)")
    alembic.downgrade(config, "0006")
    assert db_rows(deployment.database_url, "SELECT email, failures FROM login_throttle") == [
        ("budi@example.com", 4)]
    alembic.upgrade(config, "head")
    assert db_rows(deployment.database_url, "SELECT kind, subject, attempts FROM throttle") == [
        ("login_email", "budi@example.com", 4)]
