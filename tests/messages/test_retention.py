"""Media retention: against a real, migrated database, the bytes of old files go and their
rows stay, while files a message still waits to send with are kept; over HTTP, a file whose
bytes went is a 410; objects no row names any more are queued, and go from the store past
any it refuses."""

import asyncio
import base64
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.messages.parties import inbox, linked_party, message, send, unique_phone
from tests.rows import SHA256, carrying, days_ago, media_file, opened, user_with_device
from tests.support import Api, Deployment, wait_until
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DeviceSession
from wapiz.engines.events import InboundMessage, Party
from wapiz.engines.events import Media as EngineMedia
from wapiz.messages.models import Media, Message, UnneededObject
from wapiz.messages.models import MessageStatus as Status
from wapiz.messages.store import MediaStore
from wapiz.workers.retention.media import delete_unneeded_objects, drop_media_bytes
from wapiz.workers.retention.prune import prune_once
from wapiz.workers.runner.downloads import Downloads
from wapiz.workers.runner.inbound import InboundStore, inbound_file
from wapiz.workers.runner.leases import Lease

pytestmark = pytest.mark.asyncio(loop_scope="function")

NOW = utc_now()
CUTOFF = NOW - timedelta(days=30)


async def files_by_id(session: AsyncSession) -> dict[uuid.UUID, Media]:
    return {row.id: row for row in await session.scalars(select(Media))}


async def test_old_files_lose_their_bytes_and_keep_their_description(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(90))
            sent_long_ago = await media_file(db, device, days_ago(40), data=b"a" * 100)
            await carrying(db, device, sent_long_ago, Status.READ, created=days_ago(40),
                           sent=days_ago(40))
            downloaded = await media_file(db, device, days_ago(31), data=b"b" * 200, ref=b"ref-1")
            await carrying(db, device, downloaded, Status.RECEIVED, created=days_ago(31))
            never_downloaded = await media_file(db, device, days_ago(35), data=None, ref=b"ref-2")
            await carrying(db, device, never_downloaded, Status.RECEIVED, created=days_ago(35))
            batch_done = await media_file(db, device, days_ago(45), data=b"c" * 300)
            for status in (Status.DELIVERED, Status.FAILED, Status.CANCELLED):
                await carrying(db, device, batch_done, status, created=days_ago(45),
                               sent=days_ago(44) if status == Status.DELIVERED else None)
            unused = await media_file(db, device, days_ago(50), data=b"d" * 400)  # its message went
            dropped = {sent_long_ago: 100, downloaded: 205, never_downloaded: 5,
                       batch_done: 300, unused: 400}

            recent = await media_file(db, device, days_ago(5), data=b"e" * 10)
            await carrying(db, device, recent, Status.DELIVERED, created=days_ago(5),
                           sent=days_ago(5))
            # Accepted long ago, scheduled far ahead: still waiting, so kept however old.
            scheduled = await media_file(db, device, days_ago(60), data=b"f" * 10)
            await carrying(db, device, scheduled, Status.QUEUED, created=days_ago(60),
                           send_at=NOW + timedelta(days=30))
            in_flight = await media_file(db, device, days_ago(40), data=b"g" * 10)
            await carrying(db, device, in_flight, Status.SENDING, created=days_ago(40))
            # A bulk batch shares one file: one message still queued keeps it for all.
            batch_waiting = await media_file(db, device, days_ago(40), data=b"h" * 10)
            for status in (Status.SENT, Status.SENT, Status.QUEUED):
                await carrying(db, device, batch_waiting, status, created=days_ago(40),
                               sent=days_ago(40) if status == Status.SENT else None)
            # Scheduled long ago and sent lately: kept for the retention from its send.
            sent_lately = await media_file(db, device, days_ago(45), data=b"i" * 10)
            await carrying(db, device, sent_lately, Status.DELIVERED, created=days_ago(45),
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
                                                                 "faktur.pdf", SHA256)
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
                media_id = await media_file(db, device, days_ago(40 + n / 100), data=b"x" * 10)
                await carrying(db, device, media_id, Status.DELIVERED, created=days_ago(40),
                               sent=days_ago(40))
        counts = await asyncio.gather(drop_media_bytes(database, CUTOFF, batch_size=3),
                                      drop_media_bytes(other, CUTOFF, batch_size=3))
        assert sum(counts, Counter()) == Counter(files=40, bytes=400)


async def test_a_file_whose_bytes_went_is_gone_over_http(deployment: Deployment) -> None:
    server = deployment.serve(media_retention_days="30")
    api = Api(server.url)
    try:
        alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
        sent = send(api, alice, to=bob.phone, type="document", fileName="faktur.pdf",
                    media=base64.b64encode(b"%PDF-1.4 faktur").decode(), text="Fakturnya")
        wait_until(lambda: message(api, alice, sent["id"])["status"] == "delivered",
                   timeout=15)
        [received] = wait_until(lambda: inbox(api, bob), timeout=15)
        urls = {alice.token: f"/api/messages/{sent['id']}/media",
                bob.token: f"/api/messages/{received['id']}/media"}
        for token, url in urls.items():  # bob's is downloaded through his session, and kept
            assert api.http.get(url, headers=api.auth(token)).content == b"%PDF-1.4 faktur"

        # Forty days pass for these two devices' messages and files.
        async with opened(deployment) as database:
            async with database.session_scope() as db:
                keys = [uuid.UUID(party.device["id"]) for party in (alice, bob)]
                await db.execute(update(Message).where(Message.device_id.in_(keys))
                                 .values(created_at=days_ago(40)))
                await db.execute(update(Message).where(Message.device_id.in_(keys),
                                                       Message.sent_at.is_not(None))
                                 .values(sent_at=days_ago(40)))
                await db.execute(update(Media).where(Media.device_id.in_(keys))
                                 .values(created_at=days_ago(40)))
            await prune_once(Settings(database_url=deployment.database_url,
                                      data_dir=deployment.data_dir, media_retention_days=30),
                             database, utc_now())

        for token, url in urls.items():
            answer = api.http.get(url, headers=api.auth(token))
            assert answer.status_code == 410
            assert answer.json() == {"error": "File sudah dihapus (lebih dari 30 hari)",
                                             "code": "file_deleted"}
        # The message still describes its file.
        media = message(api, bob, received["id"])["media"]
        assert (media["fileName"], media["size"]) == ("faktur.pdf", len(b"%PDF-1.4 faktur"))
    finally:
        api.close()


class RefusingStore(MediaStore):
    """A bucket that keeps some objects (a lock, a policy) and deletes the rest."""

    keeps_objects = True

    def __init__(self, kept: set[str]) -> None:
        self.kept = kept
        self.deleted: list[str] = []

    async def delete(self, keys: Sequence[str]) -> list[str]:
        self.deleted += [key for key in keys if key not in self.kept]
        return [key for key in keys if key in self.kept]


async def queued_keys(database: Database) -> list[str]:
    async with database.session_scope() as db:
        return list(await db.scalars(select(UnneededObject.key).order_by(UnneededObject.id)))


async def test_an_object_the_store_keeps_holds_back_none_of_the_others(
        migrated: Deployment) -> None:
    keys = [f"files/{n}" for n in range(7)]
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            await db.execute(insert(UnneededObject), [{"key": key} for key in keys])
        store = RefusingStore({keys[0], keys[3]})
        went = await delete_unneeded_objects(database, store, batch_size=2)
        assert went == Counter(objects=5, refused=2)
        assert store.deleted == [key for key in keys if key not in store.kept]
        # The refused stay queued for the next pass, which tries only them.
        assert await queued_keys(database) == [keys[0], keys[3]]
        store.kept = set()
        assert await delete_unneeded_objects(database, store) == Counter(objects=2, refused=0)
        assert await queued_keys(database) == []
        # The database's store deletes nothing: the queue waits for a bucket again.
        async with database.session_scope() as db:
            await db.execute(insert(UnneededObject), [{"key": keys[0]}])
        assert await delete_unneeded_objects(database, MediaStore()) == Counter()
        assert await queued_keys(database) == [keys[0]]


async def test_a_file_delivered_twice_queues_the_second_copy_s_object(
        migrated: Deployment) -> None:
    """WhatsApp may deliver a message again; its file was then written to the store again
    (before the transaction) under a new key, which no row keeps."""
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, NOW)
            db.add(DeviceSession(device_id=device.id, runner="runner-a", epoch=3))
        lease = Lease(device.id, 3)
        phone = Party("6281234567890@s.whatsapp.net", "6281234567890")
        event = InboundMessage("3EB0AA01", phone, phone, False, NOW, "document",
                               media=EngineMedia("text/plain", b"ref", "nota.txt", 4))

        async def deliver(key: str) -> None:
            file = inbound_file(device.user_id, device.id, event.media or EngineMedia("", b""))
            file.object_key = key  # as the S3 store's `put` leaves it
            async with database.session_scope() as db:
                store = InboundStore(db, "runner-a", lease, device.public_id)
                await store.record_inbound(device.user_id, [event], files=[file])

        await deliver("files/first")
        await deliver("files/again")
        async with database.session_scope() as db:
            named = set(await db.scalars(select(Media.object_key)))
        assert named == {"files/first"}
        assert await queued_keys(database) == ["files/again"]


async def test_a_download_no_row_takes_queues_its_object_unless_its_file_is_still_wanted(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, NOW)
            db.add(DeviceSession(device_id=device.id, runner="runner-a", epoch=3))
            dropped = await media_file(db, device, days_ago(40), data=None)
            await db.execute(update(Media).where(Media.id == dropped)
                             .values(bytes_dropped_at=NOW))
            wanted = await media_file(db, device, NOW, data=None, ref=b"ref")

        async def keep(media_id: uuid.UUID, key: str, epoch: int) -> None:
            async with database.session_scope() as db:
                file = await db.get_one(Media, media_id)
                file.object_key = key  # as the S3 store's `put` leaves it
                db.expunge(file)
                downloads = Downloads(db, "runner-a", Lease(device.id, epoch), device.public_id)
                await downloads.keep_download(file, 4)

        # Retention dropped the file while it was being downloaded: its object goes.
        await keep(dropped, "files/dropped", 3)
        # The lease went to another runner meanwhile, which downloads it again under the
        # same key: that object stays.
        await keep(wanted, "files/wanted", 2)
        assert await queued_keys(database) == ["files/dropped"]
        async with database.session_scope() as db:
            keys = dict((await db.execute(select(Media.id, Media.object_key))).all())
        assert keys[dropped] is None and keys[wanted] is None
