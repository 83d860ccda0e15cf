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
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.engines.base import EngineError, EngineSession, NotConnected, OutboundMessage
from wapiz.engines.events import InboundMessage, Receipt
from wapiz.messages.models import Message
from wapiz.messages.queue import SendQueue
from wapiz.runner.backoff import Backoff

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.2
MAX_ATTEMPTS = 5
TYPING_S = (0.5, 1.5)
# WhatsApp's answers that mean "slow down": pause the device's queue, do not fail messages.
RATE_LIMITED = ("429", "463", "rate-overlimit", "reachout")


@dataclass(frozen=True)
class Pacing:
    min_delay_ms: int = 1000
    max_delay_ms: int = 3000
    typing: bool = True
    per_minute: int | None = None


def outbound(message: Message) -> OutboundMessage:
    body = message.body or {}
    reaction = body.get("reaction") or {}
    return OutboundMessage(
        id=message.wa_message_id, to=message.chat, type=message.type, text=message.text,
        location=body.get("location"), contact=body.get("contact"), poll=body.get("poll"),
        target_id=body.get("targetWaMessageId"), reaction=reaction.get("emoji"),
        quoted_id=body.get("quotedWaMessageId"), mentions=tuple(body.get("mentions", ())),
    )


def _pause(min_ms: int, max_ms: int) -> float:
    """A random pause between two sends, in seconds."""
    return random.uniform(min_ms, max(min_ms, max_ms)) / 1000


class DeviceMessages:
    """One device's messages as its runner handles them: its queue (fenced by the lease),
    inbound messages and receipts, and its pacing (changed live by the settings route)."""

    def __init__(self, database: Database, runner: str, lease: tuple[uuid.UUID, int],
                 device_id: uuid.UUID, user_id: uuid.UUID, pacing: Pacing,
                 resends_keep_ids: bool) -> None:
        self.database = database
        self.runner = runner
        self.lease = lease
        self.device_id = device_id
        self.user_id = user_id
        self.pacing = pacing
        self.resends_keep_ids = resends_keep_ids

    def queue(self, db: Any) -> SendQueue:
        return SendQueue(db, self.runner, self.lease, self.device_id)

    async def inbound(self, event: InboundMessage) -> None:
        async with self.database.session_scope() as db:
            await self.queue(db).record_inbound(self.user_id, event)

    async def receipt(self, event: Receipt) -> None:
        async with self.database.session_scope() as db:
            await self.queue(db).apply_receipt(event)


class Sender:
    def __init__(self, messages: DeviceMessages, session: EngineSession) -> None:
        self.messages = messages
        self.database = messages.database
        self.device_id = messages.device_id
        self.session = session
        self._last_send = 0.0
        self._recent: deque[float] = deque()
        self._last_batch_send: dict[uuid.UUID, float] = {}
        self._rate_limit_backoff = Backoff(base=5.0, cap=300.0)

    def _queue(self, db: Any) -> SendQueue:
        return self.messages.queue(db)

    async def run(self) -> None:
        """Until cancelled, or until the device is no longer logged in (NotConnected)."""
        async with self.database.session_scope() as db:
            recovered = await self._queue(db).recover_interrupted(
                self.messages.resends_keep_ids)
        if recovered:
            log.warning("device %s: %d message(s) were interrupted mid-send", self.device_id,
                        recovered)
        while True:
            try:
                async with self.database.session_scope() as db:
                    queue = self._queue(db)
                    message = await queue.take_next(utc_now())
                    if message is not None:  # a settings change counts from the next send
                        current = await queue.pacing()
                        if current is not None:
                            self.messages.pacing = Pacing(*current)
                if message is None:
                    await asyncio.sleep(IDLE_POLL_S)
                    continue
                await self._pace(message)
                await self._send(message)
            except (NotConnected, asyncio.CancelledError):
                raise
            except Exception:
                log.exception("device %s: send loop failed; going on", self.device_id)
                await asyncio.sleep(1)

    async def _pace(self, message: Message) -> None:
        pacing = self.messages.pacing
        if pacing.per_minute:
            while len(self._recent) >= pacing.per_minute:
                wait = 60.0 - (time.monotonic() - self._recent[0])
                if wait <= 0:
                    self._recent.popleft()
                else:
                    await asyncio.sleep(wait)
        ready_at = self._last_send + _pause(pacing.min_delay_ms, pacing.max_delay_ms)
        batch_pacing = (message.body or {}).get("batchPacing")
        if message.batch_id is not None and batch_pacing:
            # A batch keeps its own (slower) spacing, even when its messages fell due together.
            last = self._last_batch_send.get(message.batch_id, 0.0)
            ready_at = max(ready_at, last + _pause(*batch_pacing))
        remaining = ready_at - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)
        if message.batch_id is not None:
            self._last_batch_send[message.batch_id] = time.monotonic()
        if pacing.typing and message.type == "text":
            with contextlib.suppress(EngineError):
                await self.session.send_presence(message.chat, True)
                await asyncio.sleep(random.uniform(*TYPING_S))

    async def _send(self, message: Message) -> None:
        try:
            result = await self.session.send(outbound(message))
        except NotConnected:
            # The device dropped: the message waits in the queue for the reconnect.
            async with self.database.session_scope() as db:
                await self._queue(db).requeue(message.id, None)
            raise
        except EngineError as exc:
            await self._failed_send(message, exc)
            return
        finally:
            self._last_send = time.monotonic()
            self._recent.append(self._last_send)
        self._rate_limit_backoff.reset()
        async with self.database.session_scope() as db:
            await self._queue(db).sent(message.id, result.message_id, result.timestamp)

    async def _failed_send(self, message: Message, exc: EngineError) -> None:
        """Retry where it can help; the message keeps its place (and the whole queue waits),
        so sends still go out in order of acceptance."""
        error = (f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason)[:500]
        rate_limited = any(marker in error for marker in RATE_LIMITED)
        retry = rate_limited or message.attempts < MAX_ATTEMPTS
        async with self.database.session_scope() as db:
            queue = self._queue(db)
            if retry:
                await queue.requeue(message.id, error)
            else:
                await queue.failed(message.id, error)
        if not retry:
            log.warning("device %s: message %s failed for good (%s)", self.device_id,
                        message.id, error)
            return
        delay = (self._rate_limit_backoff.next_delay() if rate_limited
                 else Backoff(base=2.0, cap=120.0, attempt=message.attempts - 1).next_delay())
        log.warning("device %s: send of %s failed (%s); queue waits %.0fs", self.device_id,
                    message.id, error, delay)
        await asyncio.sleep(delay)
