"""Where whatsmeow keeps each device's keys: a store of the device's own.

With SQLite (the embedded default) every device has a file under `<data dir>/whatsmeow/`;
with PostgreSQL, a schema `wa_<device id>` in the gateway's database, so that runners on any
machine can resume it. A store holds one device only, which removes neonize's hazard of
resuming "the first stored session" of someone else, and deleting a device's keys is
deleting its file or schema.
"""

import asyncio
import contextlib
import uuid
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.engine import make_url

from wapiz.config import Settings
from wapiz.db.database import Database

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def schema_name(key: str) -> str:
    return "wa_" + uuid.UUID(key).hex


class SessionStores:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.database = database
        self.postgres = not settings.is_sqlite
        self.directory = settings.data_dir / "whatsmeow"
        self._url = make_url(settings.resolved_database_url)

    def _file(self, key: str) -> Path:
        return self.directory / f"{uuid.UUID(key)}.db"

    def name(self, key: str) -> str:
        """What neonize takes as the store: a file path, or a postgres:// URL."""
        if not self.postgres:
            return str(self._file(key))
        url = self._url
        query = {k: v for k, v in url.query.items() if k in ("sslmode", "sslrootcert")}
        # lib/pq wants TLS unless told otherwise; a local server usually has none.
        query.setdefault("sslmode", "disable" if url.host in LOOPBACK_HOSTS else "require")
        query["search_path"] = schema_name(key)
        credentials = ""
        if url.username:
            credentials = url.username + (f":{url.password}" if url.password else "") + "@"
        host = f"{url.host or 'localhost'}:{url.port or 5432}"
        return f"postgres://{credentials}{host}/{url.database}?{urlencode(query)}"

    async def prepare(self, key: str) -> None:
        if self.postgres:
            async with self.database.session_scope() as db:
                await db.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema_name(key)}"'))
        else:
            self.directory.mkdir(parents=True, exist_ok=True)

    async def delete(self, key: str) -> None:
        if self.postgres:
            async with self.database.session_scope() as db:
                await db.execute(text(f'DROP SCHEMA IF EXISTS "{schema_name(key)}" CASCADE'))
            return
        await asyncio.to_thread(self._delete_files, self._file(key))

    @staticmethod
    def _delete_files(path: Path) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()
