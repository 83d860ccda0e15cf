"""Where files' bytes are kept: on their `media` rows (the default), or as objects in an
S3-compatible bucket (`WAPIZ_MEDIA_STORE=s3://bucket/prefix`), the row then keeping the
description and the object's key. Chosen once per process (`media_store_for`) and used by
everything that reads or writes a file's bytes: the upload and download routes, the runner's
sender and inbound downloads, retention.

An object is written before the row that names it is committed, so a row never names an
object that was not written. A row that stops naming one (retention drops its bytes, its
device is deleted, a file delivered twice) queues it in `unneeded_objects` in the same
transaction (`delete_later`), and retention deletes the queued objects from the store
afterwards: the transaction holds no lock while the store is called, and a store that is
down loses none. What can be left behind is an object no row ever named (a send refused
after its file was written, a process killed between the two), never a row without its
bytes. A store that cannot be reached raises `MediaStoreDown`: the API answers 503, the
sender waits and tries again, retention tries at its next pass.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit.errors import ServiceUnavailable
from wapiz.kit.text import Text
from wapiz.messages.models import Media, UnneededObject

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
DELETE_BATCH = 1000  # keys in one DeleteObjects request: S3's limit
STORE_DOWN = Text("Penyimpanan file sedang tidak bisa dijangkau, coba lagi",
                  "The file store cannot be reached right now; try again")


class MediaStoreDown(Exception):
    """The store did not answer, or refused: the same call may work later."""


class _NoSuchObject(Exception):
    """An object that is not there (deleted by retention meanwhile)."""


MEDIA_STORE_UNAVAILABLE = "media_store_unavailable"


def unavailable() -> ServiceUnavailable:
    """What an API caller hears when the store is down (nothing was written)."""
    return ServiceUnavailable(STORE_DOWN, retry_after=RETRY_AFTER_S,
                              code=MEDIA_STORE_UNAVAILABLE)


async def delete_later(session: AsyncSession, keys: Select[str | None]) -> None:
    """Queue the objects these keys name for deletion from the store (by retention), in the
    transaction whose rows stop naming them; run it before those rows change. Null keys
    (files whose bytes are on their rows) are skipped."""
    key = keys.subquery().c[0]
    await session.execute(insert(UnneededObject).from_select(
        ["key"], select(key).where(key.is_not(None))))


async def forget_written(database: Database, keys: Sequence[str]) -> None:
    """Objects written for rows a transaction then did not keep (it failed): queued for
    deletion in a transaction of their own. If the database cannot take them either (the
    same failure), they are left behind, logged."""
    if not keys:
        return
    try:
        async with database.session_scope() as session:
            await session.execute(insert(UnneededObject), [{"key": key} for key in keys])
    except Exception as exc:
        log.warning("media store: %d objects no row names are left behind (%s)",
                    len(keys), exc)


class MediaStore:
    """The bytes of files, by their rows. This one keeps them on the rows themselves."""

    name = "database"
    keeps_objects = False  # whether `delete` deletes anything (retention's queue waits if not)

    async def put(self, file: Media, data: bytes) -> None:
        """Keep `data` as `file`'s bytes: on the row, or as an object the row then names
        (the caller writes the row afterwards)."""
        file.data, file.object_key = data, None

    async def get(self, file: Media) -> bytes | None:
        """`file`'s bytes; None if none are kept (dropped, or not downloaded yet)."""
        return file.data

    async def delete(self, keys: Sequence[str]) -> list[str]:
        """Delete these objects (a row's own bytes go with the row's update); the keys the
        store refused (the others went, or were gone already)."""
        return []

    async def close(self) -> None:
        """Let go of connections (at the process's end)."""


class S3Store(MediaStore):
    """Objects in an S3-compatible bucket, through one aiobotocore client per process
    (made at the first call, in the process's event loop)."""

    name = "s3"
    keeps_objects = True

    def __init__(self, settings: Settings, bucket: str, prefix: str) -> None:
        self.settings = settings
        self.bucket = bucket
        self.prefix = prefix
        self._client: Any = None
        self._opening = asyncio.Lock()
        self._stack = contextlib.AsyncExitStack()

    def key_for(self, file: Media) -> str:
        """Under the device, so a device's files share a prefix."""
        name = f"{file.device_id}/{file.id}"
        return f"{self.prefix}/{name}" if self.prefix else name

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    # Imported here: a process on the database store never loads them.
                    from aiobotocore.config import AioConfig
                    from aiobotocore.session import get_session

                    timeout = self.settings.s3_timeout_seconds
                    config = AioConfig(
                        connect_timeout=timeout, read_timeout=timeout,
                        # One quick retry of its own; beyond that the caller's retry decides.
                        retries={"max_attempts": 2, "mode": "standard"},
                        s3={"addressing_style": self.settings.s3_addressing_style})
                    self._client = await self._stack.enter_async_context(
                        get_session().create_client(
                            "s3", endpoint_url=self.settings.s3_endpoint_url,
                            region_name=self.settings.s3_region, config=config))
        return self._client

    @contextlib.asynccontextmanager
    async def _call(self, what: str) -> Any:
        """A call to the store; its failures become MediaStoreDown (logged once, here)."""
        from botocore.exceptions import BotoCoreError, ClientError

        s3 = await self._s3()  # made once (botocore reads its service models: slow)
        try:
            # A bound on the whole call too: a store that accepts connections and never
            # answers (a stopped process) must not hold the caller longer than this.
            async with asyncio.timeout(self.settings.s3_timeout_seconds * 2):
                yield s3
        except (BotoCoreError, ClientError, OSError, TimeoutError) as exc:
            if (isinstance(exc, ClientError)
                    and exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404")):
                raise _NoSuchObject(what) from exc
            reason = str(exc) or f"no answer within {self.settings.s3_timeout_seconds * 2:g} s"
            log.warning("media store: %s failed: %s", what, reason)
            raise MediaStoreDown(f"{what}: {reason}") from exc

    async def put(self, file: Media, data: bytes) -> None:
        key = self.key_for(file)
        async with self._call(f"put {key}") as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data,
                                ContentType=file.mimetype or "application/octet-stream")
        file.data, file.object_key = None, key

    async def get(self, file: Media) -> bytes | None:
        if file.data is not None or file.object_key is None:
            return file.data  # kept on the row before the switch to the bucket, or none
        try:
            async with self._call(f"get {file.object_key}") as s3:
                answer = await s3.get_object(Bucket=self.bucket, Key=file.object_key)
                async with answer["Body"] as body:
                    data: bytes = await body.read()
        except _NoSuchObject:
            return None
        return data

    async def delete(self, keys: Sequence[str]) -> list[str]:
        refused: list[str] = []
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start:start + DELETE_BATCH]
            async with self._call(f"delete {len(batch)} objects") as s3:
                answer = await s3.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": key} for key in batch], "Quiet": True})
            # One object the bucket keeps (a lock, a policy) must not hold back the others.
            errors = answer.get("Errors") or []
            if errors:
                log.warning("media store: %d of %d objects not deleted, the first: %s",
                            len(errors), len(batch), errors[0])
            refused += [error["Key"] for error in errors]
        return refused

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None


def media_store_for(settings: Settings) -> MediaStore:
    """The store the settings choose (one per process)."""
    bucket = settings.media_bucket
    if bucket is None:
        return MediaStore()
    return S3Store(settings, *bucket)

