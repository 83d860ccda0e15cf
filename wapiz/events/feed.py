"""The live event feed of one API process: one reader of `webhook_events`, fanning each new
event out to every connected stream that wants it (GET /api/events, /api/events/ws).

The reader is woken by the outbox's announcement (`wakeups.WEBHOOKS`, sent when an event's
transaction commits) and reads the rows after its `position` in `seq` order, once for all
clients. A row's `seq` is taken at insert, but transactions commit out of that order across
devices (a device's own events are ordered: the outbox locks its row). Reading "after the
last seq seen" could then step over an event whose lower seq commits a moment later. So the
feed publishes only a contiguous run of seqs: at a hole it stops and waits until the hole is
filled, or is known never to be:
- on SQLite, writers take turns and a seq is the table's next rowid, so the rows after
  `position` arrive in seq order: a hole is a deleted row, never one still coming;
- on PostgreSQL a hole is a transaction still running or one rolled back (a sequence value is
  never given back). When the feed first sees a hole it takes a transaction id (after the
  read): every transaction that holds a missing seq took its own id before (it locked its
  device's row before taking the seq, and that seq before the later one the read showed),
  so it is lower. The feed reads each batch with its snapshot's xmin; once that has passed
  the hole's id, every such transaction had ended before those rows were read, so what is
  still missing never committed. A hole still open after HOLE_LIMIT_S (a transaction left
  open that long, anywhere on the server) is passed with a warning; what fills it later is
  read by a resume, not live.
So `position` only moves over settled seqs, and a client that reads the table up to the
position it subscribed at and the feed after it misses nothing and sees nothing twice.
"""

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import ColumnElement, func, literal_column, null, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db import wakeups
from wapiz.db.database import Database
from wapiz.devices.models import Device
from wapiz.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

READ_BATCH = 100  # rows a read holds at once (a stream's buffer holds at least as many)
QUIET_POLL_S = 1.0  # the safety net while wake-ups are heard
BUSY_POLL_S = 0.25  # while they are not
HOLE_POLL_S = 0.02  # while a hole waits: a rolled-back insert announces nothing
HOLE_LIMIT_S = 10.0
# PostgreSQL: the xmin of the snapshot the very statement reads with (its active one): every
# transaction with a lower id had ended before its rows were read.
SNAPSHOT_XMIN: ColumnElement[int] = literal_column(
    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
# An id taken now: above every transaction id given out before (a snapshot's xmax is not:
# it is one past the newest *ended* transaction, and an open one may have a higher id).
NEXT_XID = text("SELECT pg_current_xact_id()::text::bigint")


@dataclass(slots=True, eq=False)
class FeedEvent:
    """A stored event as the streams show it, with its wire forms made once for every client."""

    seq: int
    id: str  # msg_…: the webhook-id
    type: str
    device_id: uuid.UUID  # the row's `devices.id`
    device_public_id: uuid.UUID  # the API's `deviceId`
    user_id: uuid.UUID
    body: str  # the webhook's exact JSON
    _sse: bytes | None = field(default=None, repr=False)
    _frame: str | None = field(default=None, repr=False)

    def sse(self) -> bytes:
        """As a server-sent event. The body is one line of JSON (newlines in it are escaped)."""
        if self._sse is None:
            self._sse = f"id: {self.id}\nevent: {self.type}\ndata: {self.body}\n\n".encode()
        return self._sse

    def frame(self) -> str:
        """As a WebSocket text frame: `{"id", "type", "data"...}`, the body's fields after
        the id (its `type`, `timestamp` and `data`)."""
        if self._frame is None:
            self._frame = f'{{"id":"{self.id}",{self.body[1:]}'
        return self._frame


EVENT_COLUMNS = (WebhookEvent.seq, WebhookEvent.id, WebhookEvent.type, WebhookEvent.device_id,
                 Device.public_id, Device.user_id, WebhookEvent.body)


def feed_event(row: Sequence[Any]) -> FeedEvent:
    """An event from a row that starts with EVENT_COLUMNS."""
    return FeedEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


STREAM_CLIENTS = Gauge("wapiz_event_stream_clients", "Event stream clients connected to this "
                       "API process (GET /api/events and /api/events/ws).")
STREAM_OVERFLOWS = Counter("wapiz_event_stream_overflows_total", "Event streams ended because "
                           "their client fell more than WAPIZ_STREAM_BUFFER_EVENTS behind.")


class Subscription:
    """One client's place in the feed: the events it wants that are not yet sent, at most
    `capacity`. A client that lets more pile up is dropped (`overflowed`), its buffer freed:
    it resumes from the last id it received."""

    def __init__(self, feed: "Feed", user_id: uuid.UUID, wants: Callable[[FeedEvent], bool],
                 capacity: int) -> None:
        self.feed = feed
        self.user_id = user_id
        self.wants = wants
        self.capacity = capacity
        self.position = feed.position  # every event after this reaches the buffer
        self.overflowed = False
        self._pending: deque[FeedEvent] = deque()
        self._arrived = asyncio.Event()

    def offer(self, event: FeedEvent) -> None:
        if self.overflowed or not self.wants(event):
            return
        if len(self._pending) >= self.capacity:
            STREAM_OVERFLOWS.inc()
            self.overflowed = True
            self._pending.clear()
            self.feed.unsubscribe(self)
        else:
            self._pending.append(event)
        self._arrived.set()

    async def next(self) -> list[FeedEvent]:
        """What arrived since the last call (waiting for something); empty once overflowed."""
        if not self._pending and not self.overflowed:
            await self._arrived.wait()
        self._arrived.clear()
        taken = list(self._pending)
        self._pending.clear()
        return taken

    def close(self) -> None:
        self.feed.unsubscribe(self)


class Feed:
    """The process's one reader of new events (see the module's docstring)."""

    def __init__(self, database: Database,
                 heard: Callable[[FeedEvent], None] = lambda event: None) -> None:
        self.database = database
        # Told of every event as it is published (the process's caches that it makes stale).
        self.heard = heard
        self.position = 0  # every seq up to this is published or known never to commit
        self.ready = asyncio.Event()  # the position is settled
        self._by_user: dict[uuid.UUID, set[Subscription]] = {}
        self._postgres = database.engine.dialect.name == "postgresql"
        # A hole after `position`: its horizon (see _horizon), the highest seq seen when it
        # was first seen (holes below it are settled by that horizon), and when.
        self._hole: tuple[int, int, float] | None = None
        STREAM_CLIENTS.set_function(lambda: self.clients)  # counted when scraped

    def subscribe(self, user_id: uuid.UUID, wants: Callable[[FeedEvent], bool],
                  capacity: int) -> Subscription:
        subscription = Subscription(self, user_id, wants, capacity)
        self._by_user.setdefault(user_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._by_user.get(subscription.user_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_user[subscription.user_id]

    @property
    def clients(self) -> int:
        return sum(len(subscribers) for subscribers in self._by_user.values())

    async def run(self) -> None:
        """Read and publish until cancelled."""
        listener = wakeups.Listener(self.database.engine, (wakeups.WEBHOOKS,))
        listening = asyncio.create_task(listener.run(), name="event-feed-wakeups")
        try:
            await self._start()
            while True:
                try:
                    more = await self.read()
                except Exception:
                    log.exception("event feed: reading failed; trying again")
                    more = False
                    await asyncio.sleep(BUSY_POLL_S)
                if more:
                    continue
                quiet = HOLE_POLL_S if self._hole is not None else QUIET_POLL_S
                await listener.wait(wakeups.WEBHOOKS, quiet, min(quiet, BUSY_POLL_S))
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    async def _start(self) -> None:
        """The position to start from: the newest event, once every transaction that could
        still commit an older one has ended."""
        while True:
            try:
                async with self.database.session_scope() as session:
                    newest = await session.scalar(select(func.max(WebhookEvent.seq)))
                    horizon = await self._horizon(session) if self._postgres else None
                break
            except Exception:
                log.exception("event feed: cannot read the newest event; trying again")
                await asyncio.sleep(BUSY_POLL_S)
        self.position = newest or 0
        if horizon is not None:
            self._hole = (horizon, self.position, time.monotonic())
            while self._hole is not None:
                async with self.database.session_scope() as session:
                    oldest = await session.scalar(select(SNAPSHOT_XMIN))
                if (oldest is not None and oldest >= self._hole[0]) or self._waited_too_long():
                    self._hole = None
                else:
                    await asyncio.sleep(HOLE_POLL_S)
        self.ready.set()

    @staticmethod
    async def _horizon(session: AsyncSession) -> int:
        """One past an id taken after what the session has read: once a snapshot's xmin
        reaches it, every transaction open during that read has ended. (The id makes the
        read a transaction of its own: asked only when a hole is first seen.)"""
        return int(await session.scalar(NEXT_XID)) + 1

    async def read(self) -> bool:
        """Publish the settled rows after the position; whether a full batch was read."""
        async with self.database.session_scope() as session:
            # With the rows their snapshot's xmin: once it has passed a hole's horizon,
            # whatever filled that hole is among the rows.
            rows = (await session.execute(
                select(*EVENT_COLUMNS, SNAPSHOT_XMIN if self._postgres else null())
                .join(Device, Device.id == WebhookEvent.device_id)
                .where(WebhookEvent.seq > self.position)
                .order_by(WebhookEvent.seq).limit(READ_BATCH))).all()
            horizon = (await self._horizon(session)
                       if self._postgres and self._new_hole(rows) else None)
        for row in rows:
            seq = row[0]
            if seq != self.position + 1 and not self._hole_settled(seq, row[7], horizon,
                                                                   rows[-1][0]):
                return False
            self._publish(feed_event(row))
        return len(rows) == READ_BATCH

    def _new_hole(self, rows: Sequence[Sequence[Any]]) -> bool:
        """Whether the rows show a hole the pending one (if any) does not cover."""
        expected = self.position + 1
        for row in rows:
            if row[0] != expected and (self._hole is None or row[0] > self._hole[1]):
                return True
            expected = row[0] + 1
        return False

    def _hole_settled(self, seq: int, oldest: int | None, horizon: int | None,
                      newest: int) -> bool:
        """Whether the seqs between the position and `seq` will never commit (`oldest`: the
        rows' snapshot's xmin; `horizon`: for a hole first seen now; `newest`: the highest
        seq read)."""
        if not self._postgres:  # SQLite: nothing is still coming below a row already there
            return True
        assert oldest is not None
        if self._hole is not None and seq <= self._hole[1] and (
                oldest >= self._hole[0] or self._waited_too_long()):
            return True
        if self._hole is None or seq > self._hole[1]:
            assert horizon is not None, "a read that shows a new hole takes a horizon"
            self._hole = (horizon, newest, time.monotonic())
        return False

    def _waited_too_long(self) -> bool:
        if self._hole is None or time.monotonic() - self._hole[2] < HOLE_LIMIT_S:
            return False
        log.warning("event feed: seqs after %d still missing after %.0f s (a transaction "
                    "left open?); going on without them", self.position, HOLE_LIMIT_S)
        return True

    def _publish(self, event: FeedEvent) -> None:
        self.position = event.seq
        self.heard(event)
        if self._hole is not None and event.seq >= self._hole[1]:
            self._hole = None
        for subscription in list(self._by_user.get(event.user_id, ())):
            subscription.offer(event)
