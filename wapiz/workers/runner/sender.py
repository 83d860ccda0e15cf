"""A logged-in device's send loop: takes its due messages in order and sends them, paced.

Pacing (per device): a random pause of `min_delay_ms` to `max_delay_ms` between sends,
"typing…" shown before a text, and at most `per_minute` sends in any minute. A send that
fails where retrying can help goes back in the queue with backoff; WhatsApp's rate limits
pause the whole queue instead of burning through retries.
"""

import asyncio
import contextlib
import logging
import random
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.groups import GroupCommit
from wapiz.engines.base import (
    FORBIDDEN,
    EngineError,
    EngineSession,
    NotConnected,
    OutboundMessage,
)
from wapiz.engines.events import InboundMessage, Notice, Receipt
from wapiz.kit.backoff import Backoff
from wapiz.kit.retry import RetryPolicy
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Media, Message
from wapiz.messages.outbound import outbound_message
from wapiz.messages.store import (
    MEDIA_STORE_UNAVAILABLE,
    MediaStore,
    MediaStoreDown,
    forget_written,
)
from wapiz.workers.runner import metrics
from wapiz.workers.runner.device_rows import DeviceRows
from wapiz.workers.runner.downloads import Downloads
from wapiz.workers.runner.inbound import InboundStore, inbound_file
from wapiz.workers.runner.leases import Lease
from wapiz.workers.runner.notices import NOTICES, NoticeRows
from wapiz.workers.runner.receipts import Receipts
from wapiz.workers.runner.send_queue import Pacing, SendQueue

log = logging.getLogger(__name__)
Job = TypeVar("Job", bound=DeviceRows)

# A safety net only: the runner wakes the senders of devices with a message due, with one
# read for all of them (Runner._wake_senders). A poll a second per device cost a runner
# holding 1,000 idle devices about a core (bench/README.md).
IDLE_POLL_S = 30.0
SETTLE_ATTEMPTS = 12
STORE_BATCH = 50  # inbound messages stored in one transaction, at most
RECENT_SENDS = 10_000  # kept for the per-minute cap (a cap is at most this)
TYPING_S = (0.5, 1.5)
# WhatsApp's answers that mean "slow down": pause the device's queue, do not fail messages.
RATE_LIMITED = re.compile(r"\b(429|463)\b|rate-overlimit|reachout", re.IGNORECASE)


def outbound(message: Message, file: Media | None, data: bytes | None) -> OutboundMessage:
    return outbound_message(
        message.chat, message.type, message.text, MessageBody.from_json(message.body),
        wa_message_id=message.wa_message_id, data=data,
        mimetype=file.mimetype if file else None, file_name=file.file_name if file else None)


def send_retries(resends_keep_ids: bool) -> RetryPolicy[EngineError]:
    """A failed send's retries: five attempts in all, 1 to 2 s after the first failure and
    doubling up to 1 to 2 min. A message the engine cannot send, or WhatsApp does not allow
    (a group the number is not in, or where only admins send), is failed at once, and so is
    one that timed out where a resend would carry a new id (it may have gone out).
    (WhatsApp's rate limits are not failures of the message: the queue pauses instead.)"""
    def retryable(exc: EngineError) -> bool:
        return (exc.reason not in ("unsupported", FORBIDDEN)
                and (exc.reason != "timeout" or resends_keep_ids))

    return RetryPolicy(max_attempts=5, base=2.0, cap=120.0, jitter=(0.5, 1.0),
                       retryable=retryable)


def _pause(min_ms: int, max_ms: int) -> float:
    """A random pause between two sends, in seconds."""
    return random.uniform(min_ms, max(min_ms, max_ms)) / 1000


def next_send_at(state: "DeviceMessages", pacing: Pacing, message: Message) -> float:
    """When (on `time.monotonic()`'s clock) the message may go out: a random pause of the
    device's min to max delay after its last send; with a per-minute cap, not before the
    cap-th latest send is a minute old; and a batch's message a pause of the batch's own
    after the batch's last send."""
    ready_at = state.last_send + _pause(pacing.min_delay_ms, pacing.max_delay_ms)
    if pacing.per_minute and len(state.recent) >= pacing.per_minute:
        ready_at = max(ready_at, state.recent[-pacing.per_minute] + 60.0)
    batch_pacing = MessageBody.from_json(message.body).batch_pacing
    if message.batch_id is not None and batch_pacing:
        # A batch keeps its own (slower) spacing, even when its messages fell due together.
        last = state.last_batch_send.get(message.batch_id, 0.0)
        ready_at = max(ready_at, last + _pause(*batch_pacing))
    return ready_at


class DeviceMessages:
    """One device's messages as its runner handles them: its queue (fenced by the lease),
    inbound messages and receipts, and what pacing must remember across reconnects (the
    last sends, a rate-limit pause)."""

    def __init__(self, database: Database, runner: str, lease: Lease,
                 device_public_id: uuid.UUID, user_id: uuid.UUID, resends_keep_ids: bool,
                 base_url: str = "", media: MediaStore | None = None) -> None:
        self.database = database
        self.media = media or MediaStore()  # where files' bytes are kept
        self.base_url = base_url
        self.runner = runner
        self.lease = lease
        self.device_id = lease.device_id
        self.device_public_id = device_public_id  # the API's deviceId, for webhook events
        self.user_id = user_id
        self.resends_keep_ids = resends_keep_ids
        self.retries = send_retries(resends_keep_ids)
        self.last_send = 0.0
        self.recent: deque[float] = deque(maxlen=RECENT_SENDS)
        self.last_batch_send: dict[uuid.UUID, float] = {}
        self.rate_limit_backoff = Backoff(base=5.0, cap=300.0)
        # A media store that is down pauses the queue too: its file is not the message's
        # fault, so no attempt is counted and nothing fails.
        self.store_backoff = Backoff(base=1.0, cap=60.0)
        # Bounded groups: a long transaction would hold SQLite's one write lock from the
        # other writers (lease renewals, webhook records) for its whole length.
        self._arrived = GroupCommit(self._store, STORE_BATCH, f"inbound-{self.device_id}")
        # Set by the runner when it sees a message due for this device (see Runner).
        self.wake = asyncio.Event()

    def rows(self, db: AsyncSession, job: type[Job]) -> Job:
        """The device's rows for one job (the send queue, inbound storage, receipts,
        downloads) in the transaction `db`, fenced by the lease."""
        return job(db, self.runner, self.lease, self.device_public_id, self.base_url)

    def queue(self, db: AsyncSession) -> SendQueue:
        return self.rows(db, SendQueue)

    @contextlib.asynccontextmanager
    async def writing(self, job: type[Job]) -> AsyncIterator[Job]:
        """A job's rows in a transaction of its own (its webhook events are announced to
        the dispatchers when it commits: webhooks/outbox.py)."""
        async with self.database.session_scope() as db:
            yield self.rows(db, job)

    async def recover(self) -> None:
        """Settle what a previous runner left `sending` (see SendQueue.recover_interrupted)."""
        async with self.writing(SendQueue) as queue:
            recovered = await queue.recover_interrupted(self.resends_keep_ids)
        if recovered:
            log.warning("device %s: %d message(s) were interrupted mid-send", self.device_id,
                        recovered)

    async def inbound(self, event: InboundMessage) -> None:
        """Store an inbound message (with its webhook event); returns once committed.
        Messages that arrive while a commit is under way are stored together in the next
        one, in the order they arrived (db/groups.py)."""
        await self._arrived.submit(event)

    async def _store(self, arrived: list[InboundMessage]) -> list[None]:
        files = [inbound_file(self.user_id, self.device_id, event.media)
                 if event.media is not None else None for event in arrived]
        for file in files:  # before the transaction: none is held open on the store
            if file is not None and file.data is not None:
                await self._keep_inbound(file, file.data)
        try:
            async with self.writing(InboundStore) as store:
                await store.record_inbound(self.user_id, arrived, files=files)
        except Exception:  # (not a cancellation: a stopping runner must not wait on it)
            await forget_written(self.database, [
                file.object_key for file in files if file is not None and file.object_key])
            raise
        return [None] * len(arrived)

    async def _keep_inbound(self, file: Media, data: bytes) -> None:
        """An inbound file's bytes that came with it, into the store; while the store is
        down they stay on the row instead (read as any row's bytes are): the message is
        never lost for its file."""
        try:
            await self.media.put(file, data)
        except MediaStoreDown:
            log.warning("device %s: media store down; file %s kept in the database",
                        self.device_id, file.id)

    async def download(self, session: EngineSession, media_id: uuid.UUID) -> int:
        """Fetch an inbound file through the session and keep it; its size."""
        async with self.database.session_scope() as db:
            file = await self.rows(db, Downloads).file(media_id)
        if file is None or not (file.has_bytes or file.ref is not None):
            raise EngineError("not_found", "no such file on this device")
        if file.has_bytes:
            return file.size or 0
        data = await session.download(file.ref or b"")
        try:
            await self.media.put(file, data)
        except MediaStoreDown as down:
            log.warning("device %s: the media store is down: %s", self.device_id, down)
            raise EngineError(MEDIA_STORE_UNAVAILABLE) from None
        async with self.database.session_scope() as db:
            await self.rows(db, Downloads).keep_download(file, len(data))
        return len(data)

    async def receipt(self, event: Receipt) -> None:
        async with self.writing(Receipts) as receipts:
            await receipts.apply_receipt(event)

    async def notice(self, event: Notice) -> None:
        """Write what a notice tells (workers/runner/notices/), fenced by the lease."""
        write = NOTICES.get(type(event))
        if write is None:
            log.warning("device %s: no writer for %s; dropped", self.device_id,
                        type(event).__name__)
            return
        async with self.writing(NoticeRows) as rows:
            await rows.check_held()
            await write(rows, event)


class Sender:
    """Sends a logged-in device's queue; ends when the device is no longer logged in."""

    def __init__(self, messages: DeviceMessages, session: EngineSession) -> None:
        self.messages = messages
        self.database = messages.database
        self.device_id = messages.device_id
        self.session = session
        # A hand-over asks the sender to end after the send under way, whose outcome is then
        # known, rather than cut it short (an unknown outcome the next holder must settle).
        self.finishing = False
        self.sending = False  # a message taken and not yet settled

    async def run(self) -> None:
        while not self.finishing:
            try:
                # Cleared before the read: a wake that comes during it is not lost.
                self.messages.wake.clear()
                async with self.database.session_scope() as db:
                    queue = self.messages.queue(db)
                    message = await queue.next_due(utc_now())
                    # Read for every message: a settings change counts from the next send.
                    pacing = await queue.pacing() if message is not None else None
                if message is None or pacing is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.messages.wake.wait(), IDLE_POLL_S)
                    continue
                # Wait first, take after: a message is `sending` only while it is sent.
                await self._pace(message, pacing)
                if self.finishing:
                    return
                async with self.database.session_scope() as db:
                    queue = self.messages.queue(db)
                    file = await queue.file(message.media_id) if message.media_id else None
                try:  # its bytes before it is taken: a store that is down leaves it queued
                    data = await self.messages.media.get(file) if file is not None else None
                except MediaStoreDown as down:
                    await self._wait_for_store(message, down)
                    continue
                self.messages.store_backoff.reset()
                self.sending = True
                try:
                    async with self.database.session_scope() as db:
                        taken = await self.messages.queue(db).take(message.id)
                    if taken:
                        await self._send(message, file, data)
                finally:
                    self.sending = False
            except (NotConnected, asyncio.CancelledError):
                raise
            except Exception:
                log.exception("device %s: send loop failed; going on", self.device_id)
                await asyncio.sleep(1)

    async def _pace(self, message: Message, pacing: Pacing) -> None:
        remaining = next_send_at(self.messages, pacing, message) - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        if pacing.typing and message.type == "text":
            with contextlib.suppress(EngineError):
                await self.session.send_presence(message.chat, "typing")
                await asyncio.sleep(random.uniform(*TYPING_S))

    async def _send(self, message: Message, file: Media | None, data: bytes | None) -> None:
        state = self.messages
        started = time.monotonic()
        try:
            if message.media_id is not None and data is None:
                raise EngineError("unsupported", "the message's file is gone")
            result = await self.session.send(outbound(message, file, data))
        except NotConnected:
            metrics.SENDS.labels("not_connected").observe(time.monotonic() - started)
            # The device dropped before the send: it waits in the queue for the reconnect.
            await self._settle(lambda queue: queue.requeue(message.id, None, False))
            raise
        except EngineError as exc:
            metrics.SENDS.labels("error").observe(time.monotonic() - started)
            await self._failed_send(message, exc)
            return
        finally:
            state.last_send = time.monotonic()
            state.recent.append(state.last_send)
            if message.batch_id is not None:
                if len(state.last_batch_send) > RECENT_SENDS:
                    state.last_batch_send.clear()
                state.last_batch_send[message.batch_id] = state.last_send
        metrics.SENDS.labels("sent").observe(time.monotonic() - started)
        state.rate_limit_backoff.reset()
        await self._settle(lambda queue: queue.sent(message, result.message_id,
                                                    result.timestamp))

    async def _wait_for_store(self, message: Message, down: MediaStoreDown) -> None:
        """The file cannot be read now: the message keeps its place, queued (no attempt
        counted, the reason on it), and the queue waits, longer each time, until the store
        answers."""
        async with self.messages.writing(SendQueue) as queue:
            await queue.note_waiting(message.id, MEDIA_STORE_UNAVAILABLE)
        delay = self.messages.store_backoff.next_delay()
        log.warning("device %s: the file of %s cannot be read (%s); the queue waits %.0fs",
                    self.device_id, message.id, down, delay)
        await asyncio.sleep(delay)

    async def _failed_send(self, message: Message, exc: EngineError) -> None:
        """Retry where it can help; the message keeps its place (and the whole queue waits),
        so sends still go out in order of acceptance."""
        error = (f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason)[:500]
        retries = self.messages.retries
        rate_limited = retries.retryable(exc) and RATE_LIMITED.search(error) is not None
        delay = (self.messages.rate_limit_backoff.next_delay() if rate_limited
                 else retries.delay(message.attempts + 1, exc))
        if delay is None:
            if exc.reason == "timeout" and not retries.retryable(exc):
                # It may have gone out; resending would show the recipient a second message.
                error = "unknown: WhatsApp did not answer in time; it may have been sent"
            await self._fail(message, error)
            return
        await self._settle(lambda queue: queue.requeue(message.id, error, not rate_limited))
        log.warning("device %s: send of %s failed (%s); the queue waits %.0fs",
                    self.device_id, message.id, error, delay)
        await asyncio.sleep(delay)

    async def _fail(self, message: Message, error: str) -> None:
        log.warning("device %s: message %s failed (%s)", self.device_id, message.id, error)
        await self._settle(lambda queue: queue.failed(message.id, error))

    async def _settle(self, write: Callable[[SendQueue], Awaitable[bool]]) -> None:
        """Record a send's outcome; retried, as a message must not stay `sending`."""
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                async with self.messages.writing(SendQueue) as queue:
                    await write(queue)
                return
            except Exception:
                log.exception("device %s: could not record a send; retrying", self.device_id)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
