"""Bulk sends: one template to up to 1,000 recipients, spaced out over time.

Bulk outreach is what gets numbers banned, so a batch is slow by default (15 to 45 s between
messages). Its messages are queued at once, each scheduled a random pause after the one
before, so the device's other messages keep flowing in between; the sender also keeps that
pause between the batch's own sends if the device was offline and they fell due together.
"""

import random
import re
import uuid
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.chats.rows import sent_touches, touch
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.kit.errors import Conflict, InvalidInput, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.text import Text
from wapiz.messages import models
from wapiz.messages.accept import (
    IDEMPOTENCY_KEY_REUSED,
    due_at,
    file_row,
    forget_object,
    outbound_row,
    request_hash,
    take_in_file,
)
from wapiz.messages.models import UNFINISHED, MessageBatch
from wapiz.messages.recipients import InvalidRecipient, Recipient, recipient
from wapiz.messages.repository import MessageRepository
from wapiz.messages.schemas import BatchOut, BulkIn, BulkOut
from wapiz.messages.store import MediaStore

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
BATCH_NOT_FOUND = Text("Batch tidak ditemukan", "Batch not found")
NO_VALUE = Text("recipients[{index}]: tidak ada nilai untuk {name}",
                "recipients[{index}]: no value for {name}")


def fill(template: str, variables: dict[str, str]) -> str:
    """`Halo {{name}}` with {"name": "Budi"} → `Halo Budi`; a missing value is an error."""
    missing = sorted({name for name in PLACEHOLDER.findall(template) if name not in variables})
    if missing:
        raise KeyError(", ".join("{{" + name + "}}" for name in missing))
    return PLACEHOLDER.sub(lambda match: variables[match.group(1)], template)


class BulkService:
    def __init__(self, session: AsyncSession, settings: Settings, user: Principal,
                 store: MediaStore) -> None:
        self.session = session
        self.settings = settings
        self.store = store
        self.user = user
        self.messages = MessageRepository.for_caller(session, user)

    async def send(self, body: BulkIn, idempotency_key: str | None) -> BulkOut:
        fingerprint = request_hash(body)
        if idempotency_key is not None:
            earlier = await self.messages.batch_by_key(idempotency_key)
            if earlier is not None:
                return await self._replay(*earlier, fingerprint)
        device = await self.messages.device(body.device_public_id)
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        chats, texts = self._recipients(body)
        now = utc_now()
        batch = MessageBatch(id=uuid.uuid4(), user_id=self.user.id, device_id=device.id,
                             total=len(chats), min_delay_ms=body.min_delay_ms,
                             max_delay_ms=body.max_delay_ms, idempotency_key=idempotency_key,
                             created_at=now)
        content = replace(body.content(), batch_pacing=(body.min_delay_ms, body.max_delay_ms))
        file = None
        if body.type in models.MEDIA_TYPES:  # one stored file for the whole batch
            incoming = await take_in_file(body, None, self.settings)
            file = await self.messages.add_media(
                await file_row(body, incoming, self.user.id, device.id, self.store))
            content = replace(content, media=file.describe())
        rows = []
        stored = content.to_json()
        send_at = due_at(body.send_at, now)
        for to, text in zip(chats, texts, strict=True):
            rows.append(outbound_row(
                id=uuid.uuid4(), user_id=self.user.id, device_id=device.id,
                chat=to.chat, peer=to.phone, type=body.type, body=stored, text=text,
                created_at=now, send_at=send_at, batch_id=batch.id,
                media_id=file.id if file else None, request_hash=fingerprint))
            send_at += timedelta(milliseconds=random.uniform(body.min_delay_ms,
                                                             body.max_delay_ms))
        # The batch first (its messages refer to it), in one statement that a concurrent
        # retry with the same key cannot pass.
        if not await self.messages.add_batch(batch):
            if file is not None:
                await self.messages.forget_media(file.id)
                await forget_object(self.store, file)
            return await self._replay_concurrent(idempotency_key, fingerprint)
        await self.messages.add_rows(rows)
        await touch(self.session, sent_touches(rows))
        await wakeups.announce(self.session, wakeups.DUE_MESSAGES)
        return BulkOut(batch_id=batch.id, device_public_id=device.public_id, total=batch.total,
                       message_ids=[row["id"] for row in rows],
                       first_send_at=rows[0]["send_at"], last_send_at=rows[-1]["send_at"])

    def _recipients(self, body: BulkIn) -> tuple[list[Recipient], list[str | None]]:
        """Each recipient's chat and filled-in text; every problem at once (the first 20)."""
        texts: list[str | None] = []
        chats, problems = [], []
        for index, target in enumerate(body.recipients):
            try:
                chats.append(recipient(target.to, self.settings.default_country_code))
                texts.append(fill(body.text, target.variables) if body.text else None)
            except InvalidRecipient as exc:
                problems.append(Text(f"recipients[{index}]: {exc.text.id}",
                                     f"recipients[{index}]: {exc.text.en}"))
            except KeyError as missing:
                problems.append(NO_VALUE.format(index=index, name=missing.args[0]))
        if problems:
            more = " …" if len(problems) > 20 else ""
            raise InvalidInput(Text("; ".join(p.id for p in problems[:20]) + more,
                                    "; ".join(p.en for p in problems[:20]) + more),
                               code="invalid_recipient")
        return chats, texts

    async def _replay_concurrent(self, idempotency_key: str | None,
                                 fingerprint: str) -> BulkOut:
        """The answer for a batch another request with the same key wrote meanwhile."""
        earlier = await self.messages.batch_by_key(idempotency_key or "")
        if earlier is None:
            raise Conflict(Text("Permintaan yang sama sedang diproses, coba lagi",
                                "The same request is being processed; try again"),
                           code="request_in_progress")
        return await self._replay(*earlier, fingerprint)

    async def _replay(self, batch: MessageBatch, device_public_id: uuid.UUID,
                      fingerprint: str) -> BulkOut:
        rows = await self.messages.batch_messages(batch.id)
        if rows and rows[0].request_hash != fingerprint:
            raise InvalidInput(IDEMPOTENCY_KEY_REUSED, code="idempotency_key_reused")
        first_send_at, last_send_at = rows[0].send_at, rows[-1].send_at
        assert first_send_at is not None and last_send_at is not None, "a batch is scheduled"
        return BulkOut(batch_id=batch.id, device_public_id=device_public_id, total=batch.total,
                       message_ids=[row.id for row in rows], first_send_at=first_send_at,
                       last_send_at=last_send_at)

    async def progress(self, raw_id: str) -> BatchOut:
        batch_id = parse_uuid(raw_id)
        shown = await self.messages.batch(batch_id) if batch_id is not None else None
        if shown is None:
            raise NotFound(BATCH_NOT_FOUND, code="batch_not_found")
        batch, device_public_id = shown
        counts = await self.messages.batch_counts(batch.id)
        return BatchOut(batch_id=batch.id, device_public_id=device_public_id, total=batch.total,
                        counts=counts, done=not (set(UNFINISHED) & set(counts)),
                        created_at=batch.created_at)
