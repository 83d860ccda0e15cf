"""Inbound storage: messages (and their files' descriptions) as they arrive, each once,
with what they edit, revoke or vote in. Each is told as `message.received`; an edit or a
revoke of a stored message also as `message.updated` and `message.edited`/`message.revoked`
(that message as it is now, and what changed), a reaction also as `message.reaction`."""

import dataclasses
import hashlib
import uuid
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.chats import rows as chat_rows
from wapiz.db.base import utc_now
from wapiz.db.upsert import column_values, insert_for
from wapiz.engines import events
from wapiz.engines.events import InboundMessage
from wapiz.messages import models
from wapiz.messages.body import MessageBody, ReactionBody, Received, Sender, VoteBody
from wapiz.messages.models import Media, Message, MessageStatus, described_safely, no_nul
from wapiz.messages.store import delete_later
from wapiz.webhooks.events import (
    MESSAGE_EDITED,
    MESSAGE_REACTION,
    MESSAGE_RECEIVED,
    MESSAGE_REVOKED,
    MESSAGE_UPDATED,
    MessageChange,
)
from wapiz.workers.runner.device_rows import DeviceRows
from wapiz.workers.runner.leases import Lease, LeaseLost

# Inbound types that name an earlier message by looking it up.
REFERS_TO_STORED = (models.EDIT, models.REVOKE, "poll_vote")


class InboundStore(DeviceRows):
    """Storing a device's inbound messages."""

    def __init__(self, session: AsyncSession, runner: str, lease: Lease,
                 device_public_id: uuid.UUID, base_url: str = "") -> None:
        super().__init__(session, runner, lease, device_public_id, base_url)
        self._lease_checked = False  # once per transaction
        self._from_history = False

    async def record_inbound(self, user_id: uuid.UUID, arrived: Sequence[InboundMessage],
                             from_history: bool = False,
                             files: Sequence[Media | None] | None = None) -> int:
        """Store inbound messages, each once (WhatsApp may deliver one again after a
        reconnect), with their webhook events, in a few statements for the lot; how many
        were new. LeaseLost if this runner no longer holds the device. `from_history`: past
        messages of a history sync, stored at their own time, unannounced (no events: a
        history sync is told once per chat) and not counted unread here. `files`: each
        message's file row, its bytes already in the media store (sender.py); by default
        made here, the bytes an engine gave on the row."""
        self._from_history = from_history
        if not self._lease_checked:
            if not await self.session.scalar(select(self._held)):
                raise LeaseLost(f"device {self.device_id} is held by another runner now")
            self._lease_checked = True
        if files is None:
            files = [inbound_file(user_id, self.device_id, event.media)
                     if event.media is not None else None for event in arrived]
        happened: list[tuple[str, Message, MessageChange | None]] = []
        run: list[tuple[InboundMessage, Media | None]] = []
        for event, file in zip(arrived, files, strict=True):
            if event.type in REFERS_TO_STORED:
                # It names a message that may be in this very group: store those first.
                await self._store_inbound(user_id, run, happened)
                run = []
            run.append((event, file))
        await self._store_inbound(user_id, run, happened)
        await chat_rows.touch(self.session, [
            _touch(user_id, message, from_history)
            for event_type, message, _ in happened if event_type == MESSAGE_RECEIVED])
        if not from_history:
            await self._events(happened)
        return sum(1 for event_type, _, _ in happened if event_type == MESSAGE_RECEIVED)

    async def _store_inbound(self, user_id: uuid.UUID,
                             run: Sequence[tuple[InboundMessage, Media | None]],
                             happened: list[tuple[str, Message, MessageChange | None]]
                             ) -> None:
        """Insert the messages (and files) in one statement each; what the user hears of
        them is added to `happened`."""
        if not run:
            return
        arrived = [event for event, _ in run]
        rows = [await self._inbound_row(user_id, event, file) for event, file in run]
        files = [column_values(file) for _, file, _ in rows if file is not None]
        if files:
            await self.session.execute(insert(Media.__table__), files)
        # One statement compiled once (an executemany), however many rows.
        stored = set(await self.session.scalars(
            insert_for(self.session, Message.__table__)
            .on_conflict_do_nothing(index_elements=["device_id", "direction", "wa_message_id"])
            .returning(Message.id), [column_values(message) for message, _, _ in rows]))
        await self._forget_repeated_files(
            [file for message, file, _ in rows if message.id not in stored and file])
        for event, (message, _, target) in zip(arrived, rows, strict=True):
            if message.id not in stored:
                continue
            happened.append((MESSAGE_RECEIVED, message, None))
            change = MessageChange(message.id, event.sender.phone, event.from_me,
                                   event.timestamp)
            if target is not None:
                edit = event.type == models.EDIT
                previous = (await self.session.scalar(select(Message.text)
                                                      .where(Message.id == target))
                            if edit else None)
                # Edited or deleted by its sender: the message it names shows it.
                await self._acted_on(Message.id == target, event.type, no_nul(event.text),
                                     event.timestamp)
                acted_on = await self._reread(target)
                happened.append((MESSAGE_UPDATED, acted_on, None))
                happened.append((MESSAGE_EDITED if edit else MESSAGE_REVOKED, acted_on,
                                 dataclasses.replace(change, previous_text=previous)))
            elif event.type == "reaction":
                happened.append((MESSAGE_REACTION, message, dataclasses.replace(
                    change, emoji=event.reaction, target_id=await self._reacted_to(event),
                    target_wa_message_id=event.target_id or None)))

    async def _forget_repeated_files(self, repeats: list[Media]) -> None:
        """The files of messages delivered again: the first delivery has its file already."""
        if repeats:
            repeated = Media.id.in_([file.id for file in repeats])
            await delete_later(self.session, select(Media.object_key).where(repeated))
            await self.session.execute(delete(Media).where(repeated))

    async def _reread(self, message_id: uuid.UUID) -> Message:
        return (await self.session.scalars(
            select(Message).where(Message.id == message_id)
            .execution_options(populate_existing=True))).one()

    async def _inbound_row(self, user_id: uuid.UUID, event: InboundMessage, file: Media | None
                           ) -> tuple[Message, Media | None, uuid.UUID | None]:
        """An inbound message's row, its file's row, and the message it edits or revokes."""
        target = await self._edited_or_revoked(event)
        body = MessageBody(
            received=Received(Sender(event.sender.jid, event.sender.phone, event.sender.lid),
                              event.push_name, event.from_me, event.timestamp,
                              self._from_history),
            location=event.location, contact=event.contact, poll=event.poll,
            reaction=(ReactionBody(event.reaction, target_wa_message_id=event.target_id)
                      if event.type == "reaction" else None),
            quoted_wa_message_id=event.quoted_id or None, mentions=event.mentions,
            target_wa_message_id=(event.target_id or None if event.type in REFERS_TO_STORED
                                  else None),
            target_id=str(target) if target is not None else None,
            vote=await self._vote(event) if event.type == "poll_vote" else None,
            media=file.describe() if file is not None else None,
            ptt=file is not None and event.ptt, link_preview=event.link_preview,
            forwarded=event.forwarded)
        message = Message(
            id=uuid.uuid4(), user_id=user_id, device_id=self.device_id,
            direction=models.INBOUND, chat=event.chat.jid, peer=event.sender.phone,
            type=event.type, body=body.to_json(), text=no_nul(event.text),
            status=MessageStatus.RECEIVED,
            wa_message_id=event.id, attempts=0,
            # History is listed where it happened, not as news.
            created_at=event.timestamp if self._from_history else utc_now(),
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

    async def _reacted_to(self, event: InboundMessage) -> uuid.UUID | None:
        """The stored message a reaction is about (in its chat), if there is one."""
        if not event.target_id:
            return None
        return await self.session.scalar(
            select(Message.id).where(Message.device_id == self.device_id,
                                     Message.chat == event.chat.jid,
                                     Message.wa_message_id == event.target_id).limit(1))

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



def inbound_file(user_id: uuid.UUID, device_id: uuid.UUID, media: events.Media) -> Media:
    """An inbound file's row: its description, the engine's ref to fetch it later, and its
    bytes if the engine has them already (moved into the media store before it is written,
    where one is configured)."""
    return Media(id=uuid.uuid4(), user_id=user_id, device_id=device_id,
                 **described_safely(media.mimetype, media.file_name, media.sha256),
                 size=media.size, seconds=media.seconds, ref=media.ref or None,
                 data=media.data, created_at=utc_now())


def _touch(user_id: uuid.UUID, message: Message, from_history: bool) -> chat_rows.Touch:
    """How a stored message moves its chat: to it, one more unread (not for history, whose
    unread count the phone says), and a one-to-one chat named by the other person."""
    received = MessageBody.from_json(message.body).received
    from_me = received is not None and received.from_me
    name = (received.push_name if received is not None and not from_me
            and not message.chat.endswith("@g.us") else None)
    return chat_rows.Touch(
        user_id, message.device_id, message.chat, message.id, message.created_at,
        unread=not from_history and chat_rows.counts_as_unread(message.type, from_me),
        name=name)
