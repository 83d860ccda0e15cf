"""The runner's side of messages: taking due sends off the queue, recording the outcome,
storing inbound messages and applying receipts.

Every change a runner makes to the queue is fenced by its lease (runner and epoch), like
its state writes: a runner that lost a device can no longer take or settle its messages.
"""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.results import rows_changed
from wapiz.db.upsert import column_values, insert_for
from wapiz.devices.models import Device, DeviceSession
from wapiz.engines import events
from wapiz.engines.events import InboundMessage, Receipt
from wapiz.messages import models
from wapiz.messages.body import MessageBody, ReactionBody, Received, Sender, VoteBody
from wapiz.messages.models import (
    Media,
    Message,
    MessageStatus,
    described_safely,
    no_nul,
)
from wapiz.webhooks import outbox
from wapiz.webhooks.events import MESSAGE_RECEIVED, MESSAGE_UPDATED, message_data
from wapiz.workers.runner.leases import Lease, LeaseLost


@dataclass(frozen=True)
class Pacing:
    """A device's pacing settings (devices.min_delay_ms … per_minute)."""

    min_delay_ms: int
    max_delay_ms: int
    typing: bool
    per_minute: int | None


# Inbound types that name an earlier message by looking it up.
REFERS_TO_STORED = (models.EDIT, models.REVOKE, "poll_vote")
# The status a receipt (the engine's word) moves a message to, and how far along each
# status is: a receipt moves a message forward only, never back.
RECEIPT_STATUS = {"delivered": MessageStatus.DELIVERED, "read": MessageStatus.READ,
                  "played": MessageStatus.READ}
PROGRESS = {MessageStatus.SENDING: 0, MessageStatus.SENT: 0, MessageStatus.DELIVERED: 1,
            MessageStatus.READ: 2}


async def devices_with_due(session: AsyncSession, device_ids: list[uuid.UUID],
                           now: datetime) -> set[uuid.UUID]:
    """Which of these devices have a message due now (one indexed read for a runner)."""
    if not device_ids:
        return set()
    rows = await session.scalars(
        select(Message.device_id).distinct()
        .where(Message.device_id.in_(device_ids), Message.status == MessageStatus.QUEUED,
               Message.send_at <= now))
    return set(rows)


class SendQueue:
    """A device's messages as its runner changes them. Each change a user hears of (an
    inbound message; a message sent, delivered, read or failed) records its webhook event
    in the same transaction (webhooks/outbox.py)."""

    def __init__(self, session: AsyncSession, runner: str, lease: Lease,
                 device_id: uuid.UUID, base_url: str = "") -> None:
        self.session = session
        self.device_id = device_id  # the public deviceId the messages carry
        self.base_url = base_url  # makes file URLs in events absolute
        # Read once per transaction (a burst of inbound messages is one).
        self._target: outbox.Target | None = None
        self._target_read = False
        self._lease_checked = False
        self._held: ColumnElement[bool] = exists().where(
            DeviceSession.device_id == lease.device_id, DeviceSession.runner == runner,
            DeviceSession.epoch == lease.epoch)

    async def recover_interrupted(self, resend: bool) -> int:
        """Messages left `sending` by a runner that stopped mid-send: back in the queue when
        the engine resends under the same WhatsApp id (the recipient sees one message),
        else failed, as it cannot be known whether they went out."""
        values: dict[str, Any] = (
            {"status": MessageStatus.QUEUED} if resend else
            {"status": MessageStatus.FAILED,
             "error": "unknown: the gateway stopped while sending; it may have been sent"})
        result = await self.session.execute(
            update(Message)
            .where(Message.device_id == self.device_id,
                   Message.status == MessageStatus.SENDING, self._held)
            .values(**values).returning(Message.id))
        recovered = list(result.scalars())
        if not resend:
            await self._announce(recovered)
        return len(recovered)

    async def next_due(self, now: datetime) -> Message | None:
        """The device's next due message, in order of acceptance (a read: nothing is locked
        while the sender waits out its pacing)."""
        return await self.session.scalar(
            select(Message)
            .where(Message.device_id == self.device_id, Message.status == MessageStatus.QUEUED,
                   Message.send_at <= now)
            .order_by(Message.send_at, Message.created_at, Message.id)
            .limit(1))

    async def take(self, message_id: uuid.UUID) -> bool:
        """Mark it `sending`, unless it was cancelled meanwhile or the lease is gone."""
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.QUEUED,
                   self._held)
            .values(status=MessageStatus.SENDING))
        return rows_changed(result) == 1

    async def pacing(self) -> Pacing | None:
        """The device's pacing settings as they are now (None: the device is gone)."""
        row = (await self.session.execute(
            select(Device.min_delay_ms, Device.max_delay_ms, Device.typing, Device.per_minute)
            .where(Device.device_id == self.device_id))).first()
        return None if row is None else Pacing(*row)

    async def _settle(self, message_id: uuid.UUID, **values: Any) -> bool:
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.SENDING,
                   self._held)
            .values(**values))
        return rows_changed(result) == 1

    async def _announce(self, message_ids: list[uuid.UUID]) -> None:
        """message.updated events for these messages, as they are now."""
        target = await self._webhook_target()
        if not message_ids or target is None or not target.wants(MESSAGE_UPDATED):
            return
        rows = await self.session.scalars(
            select(Message).where(Message.id.in_(message_ids))
            .order_by(Message.created_at, Message.id)
            .execution_options(populate_existing=True))
        await self._events([(MESSAGE_UPDATED, message) for message in rows])

    async def _webhook_target(self) -> outbox.Target | None:
        if not self._target_read:
            self._target = await outbox.target_of(self.session, device_id=self.device_id)
            self._target_read = True
        return self._target

    async def _events(self, happened: list[tuple[str, Message]]) -> None:
        """The webhook events (type, message) the device wants, in order, written at once."""
        target = await self._webhook_target()
        if target is None:
            return
        await outbox.write(self.session, target, [
            (event_type, message_data(message, base_url=self.base_url))
            for event_type, message in happened if target.wants(event_type)])

    async def file(self, media_id: uuid.UUID) -> Media | None:
        """A file of this device's (with its bytes, or the engine's ref to download it)."""
        return await self.session.scalar(
            select(Media).where(Media.id == media_id, Media.device_id == self.device_id))

    async def keep_download(self, media_id: uuid.UUID, data: bytes) -> None:
        # Not onto a file whose bytes retention dropped while it was being downloaded.
        await self.session.execute(
            update(Media).where(Media.id == media_id, Media.device_id == self.device_id,
                                Media.bytes_dropped_at.is_(None))
            .values(data=data, size=len(data)))

    async def sent(self, message: Message, wa_message_id: str, at: datetime) -> bool:
        """Record a send; an edit or revoke that went out now shows on its message."""
        # A receipt may have moved it on already (it can come before this write): keep that.
        result = await self.session.execute(
            update(Message)
            .where(Message.id == message.id, self._held,
                   Message.status.in_((MessageStatus.SENDING, MessageStatus.DELIVERED,
                                       MessageStatus.READ)))
            .values(status=case((Message.status == MessageStatus.SENDING,
                                 MessageStatus.SENT),
                                else_=Message.status),
                    wa_message_id=wa_message_id, sent_at=at, error=None))
        if rows_changed(result) != 1:
            return False
        target = MessageBody.from_json(message.body).target_id
        if target and message.type in (models.EDIT, models.REVOKE):
            await self._acted_on(Message.id == uuid.UUID(target), message.type, message.text,
                                 at)
        await self._announce([message.id])
        return True

    async def _acted_on(self, target: ColumnElement[bool], action: str, text: str | None,
                        at: datetime) -> None:
        """An edit's new text, or a revoke's mark, on the message it was about."""
        values: dict[str, Any] = (
            {"text": text, "edited_at": at} if action == models.EDIT else {"revoked_at": at})
        await self.session.execute(
            update(Message).where(target, Message.device_id == self.device_id).values(values))

    async def requeue(self, message_id: uuid.UUID, error: str | None,
                      failed_attempt: bool) -> bool:
        """Back in the queue, in its place (to be tried again)."""
        attempts = Message.attempts + 1 if failed_attempt else Message.attempts
        return await self._settle(message_id, status=MessageStatus.QUEUED, error=error,
                                  attempts=attempts)

    async def failed(self, message_id: uuid.UUID, error: str) -> bool:
        settled = await self._settle(message_id, status=MessageStatus.FAILED, error=error,
                                     attempts=Message.attempts + 1)
        if settled:
            await self._announce([message_id])
        return settled

    async def record_inbound(self, user_id: uuid.UUID, arrived: Sequence[InboundMessage]) -> int:
        """Store inbound messages, each once (WhatsApp may deliver one again after a
        reconnect), with their webhook events, in a few statements for the lot; how many
        were new. LeaseLost if this runner no longer holds the device."""
        if not self._lease_checked:
            if not await self.session.scalar(select(self._held)):
                raise LeaseLost(f"device {self.device_id} is held by another runner now")
            self._lease_checked = True
        happened: list[tuple[str, Message]] = []
        run: list[InboundMessage] = []
        for event in arrived:
            if event.type in REFERS_TO_STORED:
                # It names a message that may be in this very group: store those first.
                await self._store_inbound(user_id, run, happened)
                run = []
            run.append(event)
        await self._store_inbound(user_id, run, happened)
        await self._events(happened)
        return sum(1 for event_type, _ in happened if event_type == MESSAGE_RECEIVED)

    async def _store_inbound(self, user_id: uuid.UUID, arrived: Sequence[InboundMessage],
                             happened: list[tuple[str, Message]]) -> None:
        """Insert the messages (and files) in one statement each; what the user hears of
        them is added to `happened`."""
        if not arrived:
            return
        rows = [await self._inbound_row(user_id, event) for event in arrived]
        files = [column_values(file) for _, file, _ in rows if file is not None]
        if files:
            await self.session.execute(insert(Media.__table__), files)
        # One statement compiled once (an executemany), however many rows.
        stored = set(await self.session.scalars(
            insert_for(self.session, Message.__table__)
            .on_conflict_do_nothing(index_elements=["device_id", "direction", "wa_message_id"])
            .returning(Message.id), [column_values(message) for message, _, _ in rows]))
        repeats = [message.media_id for message, file, _ in rows
                   if message.id not in stored and file is not None]
        if repeats:  # the first delivery has its file already
            await self.session.execute(delete(Media).where(Media.id.in_(repeats)))
        for event, (message, _, target) in zip(arrived, rows, strict=True):
            if message.id not in stored:
                continue
            happened.append((MESSAGE_RECEIVED, message))
            if target is not None:
                # Edited or deleted by its sender: the message it names shows it.
                await self._acted_on(Message.id == target, event.type, no_nul(event.text),
                                     event.timestamp)
                happened.append((MESSAGE_UPDATED, await self._reread(target)))

    async def _reread(self, message_id: uuid.UUID) -> Message:
        return (await self.session.scalars(
            select(Message).where(Message.id == message_id)
            .execution_options(populate_existing=True))).one()

    async def _inbound_row(self, user_id: uuid.UUID, event: InboundMessage
                           ) -> tuple[Message, Media | None, uuid.UUID | None]:
        """An inbound message's row, its file's row, and the message it edits or revokes."""
        target = await self._edited_or_revoked(event)
        file = (self._inbound_file(user_id, event.media) if event.media is not None
                else None)
        body = MessageBody(
            received=Received(Sender(event.sender.jid, event.sender.phone, event.sender.lid),
                              event.push_name, event.from_me, event.timestamp),
            location=event.location, contact=event.contact, poll=event.poll,
            reaction=(ReactionBody(event.reaction, target_wa_message_id=event.target_id)
                      if event.type == "reaction" else None),
            quoted_wa_message_id=event.quoted_id or None, mentions=event.mentions,
            target_wa_message_id=(event.target_id or None if event.type in REFERS_TO_STORED
                                  else None),
            target_id=str(target) if target is not None else None,
            vote=await self._vote(event) if event.type == "poll_vote" else None,
            media=file.describe() if file is not None else None,
            ptt=file is not None and event.ptt)
        message = Message(
            id=uuid.uuid4(), user_id=user_id, device_id=self.device_id,
            direction=models.INBOUND, chat=event.chat.jid, peer=event.sender.phone,
            type=event.type, body=body.to_json(), text=no_nul(event.text),
            status=MessageStatus.RECEIVED,
            wa_message_id=event.id, attempts=0, created_at=utc_now(),
            media_id=file.id if file else None)
        return message, file, target

    async def _edited_or_revoked(self, event: InboundMessage) -> uuid.UUID | None:
        """The message an inbound edit or revoke is about: in the same chat, and sent by
        whoever edits or revokes it (ours when it comes from our own phone), so nobody can
        rewrite a message that is not theirs."""
        if not event.target_id or event.type not in (models.EDIT, models.REVOKE):
            return None
        where = [Message.device_id == self.device_id, Message.chat == event.chat.jid,
                 Message.wa_message_id == event.target_id,
                 Message.direction == (models.OUTBOUND if event.from_me else models.INBOUND)]
        if not event.from_me and event.chat.jid.endswith("@g.us"):
            where.append(Message.peer == event.sender.phone)
        return await self.session.scalar(select(Message.id).where(*where))

    async def _vote(self, event: InboundMessage) -> VoteBody:
        """A vote's options by name: WhatsApp carries only their digests, which the poll's
        options (when the poll is one of this device's messages) are matched against."""
        poll = await self.session.scalar(
            select(Message).where(Message.device_id == self.device_id, Message.type == "poll",
                                  Message.wa_message_id == event.target_id))
        carried = MessageBody.from_json(poll.body).poll if poll else None
        offered = carried.options if carried else ()
        by_digest = {hashlib.sha256(str(option).encode()).hexdigest(): str(option)
                     for option in offered}
        unknown = tuple(digest for digest in event.vote if digest not in by_digest)
        return VoteBody(
            tuple(by_digest[digest] for digest in event.vote if digest in by_digest),
            str(poll.id) if poll else None,
            # A poll we never saw: keep what WhatsApp said.
            option_digests=unknown or None)

    def _inbound_file(self, user_id: uuid.UUID, media: events.Media) -> Media:
        """The file's description, the engine's ref to fetch it later, and its bytes if
        the engine has them already."""
        return Media(id=uuid.uuid4(), user_id=user_id, device_id=self.device_id,
                     **described_safely(media.mimetype, media.file_name, media.sha256),
                     size=media.size, seconds=media.seconds, ref=media.ref or None,
                     data=media.data, created_at=utc_now())

    async def apply_receipt(self, receipt: Receipt) -> int:
        """Move our messages named by the receipt forward (delivered, then read)."""
        status = RECEIPT_STATUS[receipt.status]
        column = Message.delivered_at if status == MessageStatus.DELIVERED else Message.read_at
        earlier = [s for s, rank in PROGRESS.items() if rank < PROGRESS[status]]
        # A message failed as "unknown" (interrupted mid-send) that is delivered did go out.
        earlier.append(MessageStatus.FAILED)
        result = await self.session.execute(
            update(Message)
            .where(Message.device_id == self.device_id, Message.direction == models.OUTBOUND,
                   Message.wa_message_id.in_(receipt.message_ids),
                   Message.status.in_(earlier), self._held)
            .values({Message.status: status, column: receipt.timestamp})
            .returning(Message.id))
        moved = list(result.scalars())
        await self._announce(moved)
        return len(moved)
