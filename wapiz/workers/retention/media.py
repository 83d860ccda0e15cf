"""Media retention: the bytes of an old file (`data`, and for an inbound file the engine's
`ref` to download it) are dropped; the row stays, with its description (type, name, size,
sha256), and `bytes_dropped_at` makes a download a 410 rather than a 404. The runner calls
this now and then (prune.py); it spans every tenant.

A file is old when it and every message carrying it were accepted or received before the
cutoff, and none went out since. A file a message still waits to send with is never dropped
(a send scheduled far ahead; a bulk batch, whose messages share one file), however old.

Several runners may do this at once: on PostgreSQL each skips the rows another has locked,
and a row already dropped is not dropped again.

With an object store (messages/store.py) a batch's rows forget their objects and queue them
(`unneeded_objects`) in one transaction; then the queued objects are deleted from the store,
with those a deleted device or a repeated file left, and only then taken off the queue. The
store is called with no transaction open, so a store that is slow or down holds no database
lock and loses nothing: the queue waits for the next pass, and deleting an object already
gone is no error.
"""

import asyncio
import logging
import uuid
from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.batches import PAUSE_BETWEEN_BATCHES_S, in_batches, skipping_locked
from wapiz.db.database import Database
from wapiz.messages.models import UNFINISHED, Media, Message, UnneededObject
from wapiz.messages.store import DELETE_BATCH, MediaStore, delete_later

log = logging.getLogger(__name__)

DROP_BATCH = 500  # files per transaction, and…
# …at most this many bytes: freeing a blob on SQLite walks its pages under the write lock.
DROP_BATCH_BYTES = 64 * 1024 * 1024


def _old(cutoff: datetime) -> ColumnElement[bool]:
    still_needed = exists().where(
        Message.media_id == Media.id,
        or_(Message.status.in_(UNFINISHED), Message.created_at >= cutoff,
            Message.sent_at >= cutoff))
    return and_(Media.bytes_dropped_at.is_(None), Media.created_at < cutoff, ~still_needed)


async def drop_batch(session: AsyncSession, cutoff: datetime,
                     limit: int = DROP_BATCH, max_bytes: int = DROP_BATCH_BYTES
                     ) -> tuple[bool, Counter[str]]:
    """Drop the bytes of up to `limit` old files (oldest first, fewer if they are large);
    (whether that was the last batch, how many files and bytes went)."""
    old = _old(cutoff)
    # Read without loading the bytes: both backends know a blob's length from its header.
    # An object's are its file's size.
    stored = (func.coalesce(func.length(Media.data), 0) + func.coalesce(func.length(Media.ref), 0)
              + case((Media.object_key.is_not(None), func.coalesce(Media.size, 0)), else_=0))
    candidates = (await session.execute(skipping_locked(
        select(Media.id, stored).where(old).order_by(Media.created_at)
        .limit(limit), session, of=Media))).all()
    if not candidates:
        return True, Counter()
    sizes: dict[uuid.UUID, int] = {}
    total = 0
    for media_id, size in candidates:
        if sizes and total + size > max_bytes:
            break
        sizes[media_id] = size
        total += size
    # `old` again: on SQLite the candidates were read before the write lock.
    dropped = list(await session.scalars(
        update(Media).where(Media.id.in_(list(sizes)), old)
        .values(data=None, ref=None, bytes_dropped_at=utc_now())
        .returning(Media.id)))
    if dropped:
        await delete_later(session, select(Media.object_key).where(Media.id.in_(dropped)))
        await session.execute(update(Media).where(Media.id.in_(dropped))
                              .values(object_key=None))
    last = len(candidates) < limit and len(sizes) == len(candidates)
    return last, Counter(files=len(dropped), bytes=sum(sizes[media_id] for media_id in dropped))


async def drop_media_bytes(database: Database, cutoff: datetime,
                           batch_size: int = DROP_BATCH,
                           batch_bytes: int = DROP_BATCH_BYTES) -> Counter[str]:
    """The bytes of every file old at `cutoff`, in batches (their objects queued for
    `delete_unneeded_objects`); how many files and bytes went."""
    went = await in_batches(
        database, lambda session: drop_batch(session, cutoff, batch_size, batch_bytes))
    if went["files"]:
        log.info("messages: dropped the bytes of %d files (%d bytes) older than %s",
                 went["files"], went["bytes"], cutoff.isoformat())
    return went


async def delete_unneeded_objects(database: Database, store: MediaStore,
                                  batch_size: int = DELETE_BATCH) -> Counter[str]:
    """Every queued object, deleted from `store` in batches and then taken off the queue; how
    many went, and how many the store refused (they stay queued for the next pass, behind
    none of the others). MediaStoreDown if the store does not answer: the rest wait for the
    next pass. No transaction is open while the store is called. Nothing with a store that
    keeps no objects (the database's): the queue waits for an S3 store again."""
    went: Counter[str] = Counter()
    if not store.keeps_objects:
        return went
    after = 0
    while True:
        async with database.session_scope() as db:
            queued = (await db.execute(
                select(UnneededObject.id, UnneededObject.key)
                .where(UnneededObject.id > after).order_by(UnneededObject.id)
                .limit(batch_size))).all()
        if not queued:
            break
        # Another runner's pass may delete the same objects meanwhile: no harm, gone is gone.
        # A key may be queued twice (two runners removing one device): asked for once.
        refused = set(await store.delete(list(dict.fromkeys(key for _, key in queued))))
        deleted = [queue_id for queue_id, key in queued if key not in refused]
        if deleted:
            async with database.session_scope() as db:
                await db.execute(delete(UnneededObject).where(UnneededObject.id.in_(deleted)))
        went.update(objects=len(deleted), refused=len(queued) - len(deleted))
        if len(queued) < batch_size:
            break
        after = queued[-1][0]
        await asyncio.sleep(PAUSE_BETWEEN_BATCHES_S)
    if went["objects"] or went["refused"]:
        log.info("messages: deleted %d unneeded objects from the media store (%d refused)",
                 went["objects"], went["refused"])
    return went
