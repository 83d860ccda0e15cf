"""The S3 media store (WAPIZ_MEDIA_STORE=s3://bucket/prefix) against moto's standalone S3
server on loopback: files' bytes live in the bucket and only their description (and key) in
the database, through upload, send, inbound, download and retention; a store that stops
answering costs neither an upload half-written nor a queued send; and the objects no row
names any more (retention, a deleted device) are deleted once the store answers again."""

import asyncio
import base64
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy import func, select, update

from tests.messages.parties import Party, inbox, linked_party, message, send, unique_phone
from tests.rows import days_ago, opened
from tests.support import Api, Deployment, free_port, wait_until
from tests.test_metrics import BEARER, TOKEN, eventually, key
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.messages.models import Media, Message, UnneededObject
from wapiz.messages.store import MediaStoreDown, media_store_for
from wapiz.workers.retention.prune import prune_once

PREFIX = "wapiz-files"
INVOICE = b"Pesanan 1001: 2 x Kopi Susu, total Rp 40.000\n"


@dataclass
class Moto:
    """moto's S3 server, a bucket on it, and a client to look inside."""

    process: subprocess.Popen[bytes]
    url: str
    bucket: str
    s3: Any  # boto3's S3 client

    def objects(self) -> set[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        return {item["Key"] for item in listed.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def settings(self, **more: str) -> dict[str, str]:
        """The gateway's settings for this store."""
        return {"media_store": f"s3://{self.bucket}/{PREFIX}", "s3_endpoint_url": self.url,
                "s3_region": "us-east-1", "s3_addressing_style": "path", **more}


@pytest.fixture
def moto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Moto]:
    # The gateway's processes take their credentials from the usual AWS variables.
    for name, value in (("AWS_ACCESS_KEY_ID", "wapiz-test"),
                        ("AWS_SECRET_ACCESS_KEY", "wapiz-test-secret")):
        monkeypatch.setenv(name, value)
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _listening(port), timeout=30)
        url = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="wapiz-test",
                          aws_secret_access_key="wapiz-test-secret")
        bucket = f"media-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        yield Moto(process, url, bucket, s3)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a test that stopped it
            process.terminate()
            process.wait(10)
        log.close()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def upload(api: Api, sender: Party, to: str, data: bytes, **fields: str) -> httpx.Response:
    return api.http.post("/api/messages/upload", headers=api.auth(sender.token),
                         data={"deviceId": sender.device["deviceId"], "to": to,
                               "type": "document", "text": "Rinciannya", **fields},
                         files={"file": ("pesanan.txt", data, "text/plain")})


async def stored_files(deployment: Deployment, *parties: Party
                       ) -> dict[str, tuple[bytes | None, str | None]]:
    """Each file row of these parties' devices, by its message's id: the bytes on the row,
    and the object's key."""
    async with opened(deployment) as database, database.session_scope() as db:
        rows = await db.execute(
            select(Message.id, Media.data, Media.object_key)
            .join(Media, Media.id == Message.media_id)
            .where(Message.device_id.in_([uuid.UUID(party.device["id"]) for party in parties])))
        return {str(message_id): (data, key) for message_id, data, key in rows}


async def file_rows(deployment: Deployment) -> int:
    async with opened(deployment) as database, database.session_scope() as db:
        return int(await db.scalar(select(func.count(Media.id))) or 0)


async def attempts(deployment: Deployment, message_id: str) -> int:
    async with opened(deployment) as database, database.session_scope() as db:
        return int(await db.scalar(select(Message.attempts)
                                   .where(Message.id == uuid.UUID(message_id))) or 0)


async def queued_deletions(deployment: Deployment) -> set[str]:
    """The objects waiting to be deleted from the store."""
    async with opened(deployment) as database, database.session_scope() as db:
        return set(await db.scalars(select(UnneededObject.key)))


def download(api: Api, party: Party, message_id: str) -> httpx.Response:
    return api.http.get(f"/api/messages/{message_id}/media", headers=api.auth(party.token))


async def age(deployment: Deployment, *parties: Party, days: int = 40) -> None:
    """Their messages and files, as if accepted and sent `days` ago."""
    async with opened(deployment) as database, database.session_scope() as db:
        devices = [uuid.UUID(party.device["id"]) for party in parties]
        await db.execute(update(Message).where(Message.device_id.in_(devices))
                         .values(created_at=days_ago(days), sent_at=days_ago(days)))
        await db.execute(update(Media).where(Media.device_id.in_(devices))
                         .values(created_at=days_ago(days)))


async def prune(deployment: Deployment, moto: Moto, **more: Any) -> None:
    """One retention pass, as a runner makes it, with files kept 30 days."""
    settings = Settings(database_url=deployment.database_url, data_dir=deployment.data_dir,
                        media_retention_days=30, **moto.settings(), **more)
    store = media_store_for(settings)
    async with opened(deployment) as database:
        try:
            await prune_once(settings, database, utc_now(), store)
        finally:
            await store.close()


async def test_files_live_in_the_bucket_from_upload_to_retention(
        deployment: Deployment, moto: Moto) -> None:
    server = deployment.serve(**moto.settings())
    api = Api(server.url)
    try:
        alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
        answer = upload(api, alice, bob.phone, INVOICE)
        assert answer.status_code == 202, answer.text
        sent = answer.json()
        # The bytes are in the bucket, under the sender's device, and not in the database.
        [key] = moto.objects()
        assert key.startswith(f"{PREFIX}/") and moto.read(key) == INVOICE
        files = await stored_files(deployment, alice)
        assert files == {sent["id"]: (None, key)}

        wait_until(lambda: message(api, alice, sent["id"])["status"] == "delivered",
                   timeout=30)
        [received] = wait_until(lambda: inbox(api, bob), timeout=30)
        assert received["media"]["fileName"] == "pesanan.txt"
        # Bob's copy came with the message (the sandbox carries the bytes): into the
        # bucket as well.
        bob_files = await stored_files(deployment, bob)
        [(on_row, bob_key)] = bob_files.values()
        assert on_row is None and bob_key != key and moto.read(bob_key) == INVOICE
        assert moto.objects() == {key, bob_key}
        for party, message_id in ((alice, sent["id"]), (bob, received["id"])):
            got = download(api, party, message_id)
            assert got.status_code == 200 and got.content == INVOICE

        # Forty days pass: retention deletes the objects and the rows forget them.
        await age(deployment, alice, bob)
        await prune(deployment, moto)
        assert moto.objects() == set()
        assert set((await stored_files(deployment, alice, bob)).values()) == {(None, None)}
        assert await queued_deletions(deployment) == set()
        for party, message_id in ((alice, sent["id"]), (bob, received["id"])):
            gone = download(api, party, message_id)
            assert gone.status_code == 410 and gone.json()["code"] == "file_deleted"
    finally:
        api.close()


async def test_a_store_that_stops_answering(deployment: Deployment, moto: Moto) -> None:
    server = deployment.serve(**moto.settings(s3_timeout_seconds="2"))
    api = Api(server.url)
    try:
        alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
        # Accepted while the store answers, due a few seconds later.
        due = utc_now() + timedelta(seconds=3)
        queued = send(api, alice, to=bob.phone, type="document", fileName="faktur.txt",
                      media="data:text/plain;base64," + base64.b64encode(INVOICE).decode(),
                      sendAt=due.isoformat())
        [key] = moto.objects()

        moto.process.send_signal(signal.SIGSTOP)  # the store stops answering
        stopped_at = time.monotonic()
        try:
            refused = upload(api, alice, bob.phone, b"another file\n")
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "media_store_unavailable"
            assert int(refused.headers["Retry-After"]) > 0
            # Nothing half-written: only the queued send and its file are stored.
            assert set(await stored_files(deployment, alice)) == {queued["id"]}
            assert await file_rows(deployment) == 1

            # The send falls due and waits for its file: queued, not failed, not counted.
            wait_until(lambda: message(api, alice, queued["id"]).get("error")
                       == "media_store_unavailable", timeout=30)
            await asyncio.sleep(max(0.0, 8 - (time.monotonic() - stopped_at)))
            waiting = message(api, alice, queued["id"])
            assert waiting["status"] == "queued", waiting
            assert inbox(api, bob) == []
        finally:
            moto.process.send_signal(signal.SIGCONT)  # the store is back

        wait_until(lambda: message(api, alice, queued["id"])["status"] == "delivered",
                   timeout=60)
        [received] = wait_until(lambda: inbox(api, bob), timeout=30)
        got = download(api, bob, received["id"])
        assert got.status_code == 200 and got.content == INVOICE
        assert key in moto.objects()
        # The store's outage cost the message none of its attempts.
        assert await attempts(deployment, queued["id"]) == 0
    finally:
        api.close()


async def test_objects_no_row_names_are_deleted_once_the_store_answers_again(
        deployment: Deployment, moto: Moto) -> None:
    # The server's runner drops no file's bytes of its own (30 s after start it would have
    # dropped alice's before the store stopped); its passes may still delete queued objects,
    # which changes nothing below: the store is down meanwhile, and gone is gone after.
    server = deployment.serve(**moto.settings(s3_timeout_seconds="1"), metrics_token=TOKEN,
                              media_retention_days="0")
    api = Api(server.url)
    try:
        alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
        sent = upload(api, alice, bob.phone, INVOICE).json()
        wait_until(lambda: message(api, alice, sent["id"])["status"] == "delivered",
                   timeout=30)
        [received] = wait_until(lambda: inbox(api, bob), timeout=30)
        [(_, alice_key)] = (await stored_files(deployment, alice)).values()
        [(_, bob_key)] = (await stored_files(deployment, bob)).values()
        assert moto.objects() == {alice_key, bob_key}
        await age(deployment, alice)  # alice's copy is past the retention, bob's is not

        moto.process.send_signal(signal.SIGSTOP)  # the store stops answering
        try:
            refused = download(api, bob, received["id"])
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "media_store_unavailable"
            assert int(refused.headers["Retry-After"]) > 0

            # Retention drops alice's file all the same; its object waits in the queue.
            with pytest.raises(MediaStoreDown):
                await prune(deployment, moto, s3_timeout_seconds=1)
            gone = download(api, alice, sent["id"])
            assert gone.status_code == 410 and gone.json()["code"] == "file_deleted"
            assert await stored_files(deployment, alice) == {sent["id"]: (None, None)}
            assert await queued_deletions(deployment) == {alice_key}

            # Bob deletes his device: its runner removes it, its file's object is queued.
            deleted = api.http.delete(f"/api/devices/{bob.device['id']}",
                                      headers=api.auth(bob.token))
            assert deleted.status_code == 200, deleted.text
            deadline = time.monotonic() + 30
            while await stored_files(deployment, bob):
                assert time.monotonic() < deadline, "the deleted device was not removed"
                await asyncio.sleep(0.2)
            assert await queued_deletions(deployment) == {alice_key, bob_key}
            eventually(server.url, {key("wapiz_media_unneeded_objects"): 2}, BEARER)
        finally:
            moto.process.send_signal(signal.SIGCONT)  # the store is back

        # (The delete that timed out may still be carried out now: the queue keeps its key
        # all the same, and deleting an object already gone is no error.)
        await prune(deployment, moto)
        assert moto.objects() == set()
        assert await queued_deletions(deployment) == set()
        eventually(server.url, {key("wapiz_media_unneeded_objects"): 0}, BEARER)
    finally:
        api.close()


def test_a_store_that_is_not_a_bucket_url_stops_the_gateway(deployment: Deployment) -> None:
    deployment.migrate()
    done = subprocess.run([sys.executable, "-m", "wapiz", "api"],
                          env=deployment.env(media_store="s3:/no-bucket"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "media_store" in done.stderr, done.stderr
