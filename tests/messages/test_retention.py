"""Media retention: against a real, migrated database, the bytes of old files go and their
rows stay, while files a message still waits to send with are kept."""

import asyncio
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.rows import opened, user_with_device
from tests.support import Deployment
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.messages import models
from wapiz.messages.models import Media, Message
from wapiz.messages.tasks import drop_media_bytes

pytestmark = pytest.mark.asyncio(loop_scope="function")

NOW = utc_now()
CUTOFF = NOW - timedelta(days=30)
SHA = "ab" * 32


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def migrated(deployment: Deployment) -> Deployment:
    deployment.migrate()
    return deployment


async def file(db: AsyncSession, device: Device, created: datetime, *, data: bytes | None,
               ref: bytes | None = None) -> uuid.UUID:
    row = Media(id=uuid.uuid4(), user_id=device.user_id, device_id=device.device_id,
                mimetype="application/pdf", file_name="faktur.pdf",
                size=len(data) if data else 1234, sha256=SHA, ref=ref, data=data,
                created_at=created)
    db.add(row)
    await db.flush()
    return row.id


async def carrying(db: AsyncSession, device: Device, media_id: uuid.UUID, status: str, *,
                   created: datetime, sent: datetime | None = None,
                   send_at: datetime | None = None) -> None:
    """A message with the file: outbound in any state, or inbound (`received`)."""
    inbound = status == models.RECEIVED
    db.add(Message(id=uuid.uuid4(), user_id=device.user_id, device_id=device.device_id,
                   direction=models.INBOUND if inbound else models.OUTBOUND,
                   chat="6281300000000@s.whatsapp.net", type="document", body={},
                   status=status, created_at=created, sent_at=sent,
                   send_at=None if inbound else send_at or created, media_id=media_id))
    await db.flush()


async def files_by_id(session: AsyncSession) -> dict[uuid.UUID, Media]:
    return {row.id: row for row in await session.scalars(select(Media))}


async def test_old_files_lose_their_bytes_and_keep_their_description(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            sent_long_ago = await file(db, device, days_ago(40), data=b"a" * 100)
            await carrying(db, device, sent_long_ago, models.READ, created=days_ago(40),
                           sent=days_ago(40))
            downloaded = await file(db, device, days_ago(31), data=b"b" * 200, ref=b"ref-1")
            await carrying(db, device, downloaded, models.RECEIVED, created=days_ago(31))
            never_downloaded = await file(db, device, days_ago(35), data=None, ref=b"ref-2")
            await carrying(db, device, never_downloaded, models.RECEIVED, created=days_ago(35))
            batch_done = await file(db, device, days_ago(45), data=b"c" * 300)
            for status in (models.DELIVERED, models.FAILED, models.CANCELLED):
                await carrying(db, device, batch_done, status, created=days_ago(45),
                               sent=days_ago(44) if status == models.DELIVERED else None)
            unused = await file(db, device, days_ago(50), data=b"d" * 400)  # its message went
            dropped = {sent_long_ago: 100, downloaded: 205, never_downloaded: 5,
                       batch_done: 300, unused: 400}

            recent = await file(db, device, days_ago(5), data=b"e" * 10)
            await carrying(db, device, recent, models.DELIVERED, created=days_ago(5),
                           sent=days_ago(5))
            # Accepted long ago, scheduled far ahead: still waiting, so kept however old.
            scheduled = await file(db, device, days_ago(60), data=b"f" * 10)
            await carrying(db, device, scheduled, models.QUEUED, created=days_ago(60),
                           send_at=NOW + timedelta(days=30))
            in_flight = await file(db, device, days_ago(40), data=b"g" * 10)
            await carrying(db, device, in_flight, models.SENDING, created=days_ago(40))
            # A bulk batch shares one file: one message still queued keeps it for all.
            batch_waiting = await file(db, device, days_ago(40), data=b"h" * 10)
            for status in (models.SENT, models.SENT, models.QUEUED):
                await carrying(db, device, batch_waiting, status, created=days_ago(40),
                               sent=days_ago(40) if status == models.SENT else None)
            # Scheduled long ago and sent lately: kept for the retention from its send.
            sent_lately = await file(db, device, days_ago(45), data=b"i" * 10)
            await carrying(db, device, sent_lately, models.DELIVERED, created=days_ago(45),
                           sent=days_ago(2))
            kept = {recent, scheduled, in_flight, batch_waiting, sent_lately}

        # Small batches (3 files, or fewer past 400 bytes) to go through several.
        went = await drop_media_bytes(database, CUTOFF, batch_size=3, batch_bytes=400)

        assert went == Counter(files=5, bytes=sum(dropped.values()))
        async with database.session_scope() as db:
            rows = await files_by_id(db)
        assert set(rows) == set(dropped) | kept  # every row is still there
        for media_id in dropped:
            row = rows[media_id]
            assert row.data is None and row.ref is None and row.bytes_dropped_at is not None
            assert (row.mimetype, row.file_name, row.sha256) == ("application/pdf",
                                                                 "faktur.pdf", SHA)
        for media_id in kept:
            assert rows[media_id].data is not None and rows[media_id].bytes_dropped_at is None
        assert rows[sent_long_ago].size == 100  # the description keeps the size it had
        # Dropped once: a second pass (the next, or another runner's) has nothing to do.
        assert await drop_media_bytes(database, CUTOFF) == Counter()


async def test_runners_dropping_at_once_drop_every_file_once(migrated: Deployment) -> None:
    async with opened(migrated, "runner-a") as database, opened(migrated, "runner-b") as other:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            for n in range(40):
                media_id = await file(db, device, days_ago(40 + n / 100), data=b"x" * 10)
                await carrying(db, device, media_id, models.DELIVERED, created=days_ago(40),
                               sent=days_ago(40))
        counts = await asyncio.gather(drop_media_bytes(database, CUTOFF, batch_size=3),
                                      drop_media_bytes(other, CUTOFF, batch_size=3))
        assert sum(counts, Counter()) == Counter(files=40, bytes=400)

