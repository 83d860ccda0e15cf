"""Migrations: they build exactly the schema the models describe, and run both ways."""

import asyncio
import uuid
from datetime import UTC, datetime

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
        assert "jalankan `wapiz migrate`" in result.stderr  # Indonesian by default


def test_the_schema_check_names_the_newest_migration() -> None:
    # Processes check the schema against SCHEMA_HEAD without loading Alembic.
    assert script_heads("sqlite+aiosqlite://") == {SCHEMA_HEAD}


def test_sandbox_numbers_linked_before_go_to_the_first_device(deployment: Deployment) -> None:
    """0007: a number links one device; of those linked before, the first keeps it."""
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    alembic.downgrade(config, "0006")
    day = [datetime(2026, 1, n, tzinfo=UTC) for n in (1, 2, 3)]
    sessions = [("second", "6281100:2@s.whatsapp.net", day[1], None),
                ("first", "6281100:1@s.whatsapp.net", day[0], None),
                ("revoked", "6282200:1@s.whatsapp.net", day[0], day[2]),
                ("pending", None, None, None)]
    for key, jid, paired_at, revoked_at in sessions:
        db_rows(deployment.database_url,
                "INSERT INTO sandbox_sessions (key, identity_key, noise_key, adv_secret, jid, "
                "created_at, paired_at, revoked_at) VALUES (:key, 'i', 'n', 'a', :jid, "
                ":created_at, :paired_at, :revoked_at)",
                key=key, jid=jid, created_at=day[0], paired_at=paired_at, revoked_at=revoked_at)
    alembic.upgrade(config, "head")
    claimed = db_rows(deployment.database_url,
                      "SELECT key, phone FROM sandbox_sessions ORDER BY key")
    assert claimed == [("first", "6281100"), ("pending", None), ("revoked", None),
                       ("second", None)]
    alembic.downgrade(config, "0006")
    assert len(db_rows(deployment.database_url, "SELECT * FROM sandbox_sessions")) == 4
    alembic.upgrade(config, "head")
    assert _differences(deployment.database_url) == []


def test_the_per_email_throttle_survives_0008_both_ways(deployment: Deployment) -> None:
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    db_rows(deployment.database_url,
            "INSERT INTO throttle (kind, subject, attempts, last_attempt_at) VALUES "
            "('login_email', 'budi@example.com', 4, CURRENT_TIMESTAMP), "
            "('login_address', '192.0.2.1', 9, CURRENT_TIMESTAMP)")
    alembic.downgrade(config, "0007")
    assert db_rows(deployment.database_url, "SELECT email, failures FROM login_throttle") == [
        ("budi@example.com", 4)]
    alembic.upgrade(config, "head")
    assert db_rows(deployment.database_url, "SELECT kind, subject, attempts FROM throttle") == [
        ("login_email", "budi@example.com", 4)]


def test_the_admins_sign_up_mode_goes_and_comes_with_0011(deployment: Deployment) -> None:
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    db_rows(deployment.database_url,
            "INSERT INTO server_settings (key, value, updated_at) VALUES "
            "('signup', 'closed', CURRENT_TIMESTAMP)")
    alembic.downgrade(config, "0010")
    tables = ("SELECT name FROM sqlite_master WHERE type = 'table'"
              if deployment.backend == "sqlite" else
              "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert ("server_settings",) not in db_rows(deployment.database_url, tables)
    alembic.upgrade(config, "head")
    assert db_rows(deployment.database_url, "SELECT key FROM server_settings") == []
    assert _differences(deployment.database_url) == []


def test_0009_points_device_ids_at_the_primary_key_and_back(deployment: Deployment) -> None:
    """0009: messages, batches and files name their device by devices.id, row by row, and
    the downgrade gives each row back its device's public id; nothing else changes."""
    url = deployment.database_url
    deployment.migrate()
    config = alembic_config(url)
    alembic.downgrade(config, "0008")

    def uid() -> str:  # as each database stores a UUID written as text
        value = uuid.uuid4()
        return value.hex if deployment.backend == "sqlite" else str(value)

    user = uid()
    db_rows(url, "INSERT INTO users (id, email, name, password_hash, plan, created_at, "
            "updated_at) VALUES (:id, 'budi@example.com', 'Budi', 'x', 'free', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", id=user)
    keys, public = [uid(), uid()], [uid(), uid()]
    for key, public_id in zip(keys, public, strict=True):
        db_rows(url, "INSERT INTO devices (id, device_id, user_id, label, created_at) VALUES "
                "(:id, :public_id, :user, 'Device Baru', CURRENT_TIMESTAMP)",
                id=key, public_id=public_id, user=user)
        batch, media = uid(), uid()
        db_rows(url, "INSERT INTO message_batches (id, user_id, device_id, total, "
                "min_delay_ms, max_delay_ms, created_at) VALUES (:id, :user, :device, 2, 1, 2, "
                "CURRENT_TIMESTAMP)", id=batch, user=user, device=public_id)
        db_rows(url, "INSERT INTO media (id, user_id, device_id, mimetype, created_at) VALUES "
                "(:id, :user, :device, 'image/png', CURRENT_TIMESTAMP)",
                id=media, user=user, device=public_id)
        for n in range(2):
            db_rows(url, "INSERT INTO messages (id, user_id, device_id, direction, chat, type, "
                    "body, status, attempts, batch_id, media_id, wa_message_id, created_at) "
                    "VALUES (:id, :user, :device, 'outbound', '62811@s.whatsapp.net', 'image', "
                    "'{}', 'queued', 0, :batch, :media, :wa_id, CURRENT_TIMESTAMP)",
                    id=uid(), user=user, device=public_id, batch=batch, media=media,
                    wa_id=f"3EB0{n}")
    every = {table: f"SELECT * FROM {table} ORDER BY id"
             for table in ("messages", "message_batches", "media")}
    before = {table: db_rows(url, sql) for table, sql in every.items()}
    by_device = ("SELECT d.{column}, count(*) FROM {table} t JOIN devices d "
                 "ON d.{column} = t.device_id GROUP BY d.{column} ORDER BY d.{column}")

    alembic.upgrade(config, "head")
    for table, count in (("messages", 2), ("message_batches", 1), ("media", 1)):
        found = db_rows(url, by_device.format(column="id", table=table))
        assert {(uuid.UUID(str(key)), n) for key, n in found} == {
            (uuid.UUID(key), count) for key in keys}, table
        assert db_rows(url, by_device.format(column="device_id", table=table)) == [], table
    # Nothing was lost on the way (SQLite rebuilds the tables): each message keeps its
    # batch and its file.
    assert db_rows(url, "SELECT count(*) FROM messages WHERE batch_id IS NOT NULL "
                   "AND media_id IS NOT NULL") == [(4,)]
    assert _differences(url) == []

    alembic.downgrade(config, "0008")
    assert {table: db_rows(url, sql) for table, sql in every.items()} == before
    alembic.upgrade(config, "head")
    assert _differences(url) == []


def test_webhook_endpoints_get_ids_and_deliveries_their_endpoint(deployment: Deployment) -> None:
    """0015: a device's endpoint gets an id, its deliveries name it; going back, an
    account's endpoint goes with its deliveries and test events, a device's stays."""
    deployment.migrate()
    config = alembic_config(deployment.database_url)
    alembic.downgrade(config, "0011")
    sqlite = deployment.database_url.startswith("sqlite")

    def key(value: uuid.UUID) -> object:  # how each database takes a UUID in plain SQL
        return value.hex if sqlite else value

    def rows(sql: str, **params: object) -> list[tuple]:
        return db_rows(deployment.database_url, sql, **params)

    at = datetime(2026, 1, 1, tzinfo=UTC)
    user, device, delivery = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows("INSERT INTO users (id, email, name, password_hash, plan, created_at, updated_at) "
         "VALUES (:id, 'a@example.com', 'A', '-', 'free', :at, :at)", id=key(user), at=at)
    rows("INSERT INTO devices (id, device_id, user_id, label, created_at) "
         "VALUES (:id, :public, :user, 'D', :at)", id=key(device), public=key(uuid.uuid4()),
         user=key(user), at=at)
    rows("INSERT INTO webhook_endpoints (device_id, secret, enabled, updated_at) "
         "VALUES (:device, 'whsec_x', :on, :at)", device=key(device), on=True, at=at)
    rows("INSERT INTO webhook_events (id, device_id, type, body, created_at) "
         "VALUES ('msg_1', :device, 'message.received', '{}', :at)", device=key(device), at=at)
    [(seq,)] = rows("SELECT seq FROM webhook_events")
    rows("INSERT INTO webhook_deliveries (id, event_seq, device_id, status, attempts, retries, "
         "created_at) VALUES (:id, :seq, :device, 'succeeded', 1, 0, :at)",
         id=key(delivery), seq=seq, device=key(device), at=at)

    alembic.upgrade(config, "head")
    [(endpoint,)] = rows("SELECT id FROM webhook_endpoints WHERE device_id = :device",
                         device=key(device))
    assert endpoint is not None
    assert rows("SELECT endpoint_id FROM webhook_deliveries") == [(endpoint,)]
    account = uuid.uuid4()
    rows("INSERT INTO webhook_endpoints (id, user_id, url, secret, enabled, updated_at) "
         "VALUES (:id, :user, 'https://example.com/h', 'whsec_y', :on, :at)",
         id=key(account), user=key(user), on=True, at=at)
    rows("INSERT INTO webhook_events (id, user_id, type, body, created_at) "
         "VALUES ('msg_2', :user, 'webhook.test', '{}', :at)", user=key(user), at=at)
    [(test_seq,)] = rows("SELECT seq FROM webhook_events WHERE id = 'msg_2'")
    rows("INSERT INTO webhook_deliveries (id, event_seq, endpoint_id, status, attempts, "
         "retries, created_at) VALUES (:id, :seq, :endpoint, 'pending', 0, 0, :at)",
         id=key(uuid.uuid4()), seq=test_seq, endpoint=key(account), at=at)

    alembic.downgrade(config, "0011")
    assert rows("SELECT count(*) FROM webhook_endpoints") == [(1,)]
    assert rows("SELECT count(*) FROM webhook_events") == [(1,)]
    assert len(rows("SELECT id FROM webhook_deliveries")) == 1
    alembic.upgrade(config, "head")
    assert _differences(deployment.database_url) == []
