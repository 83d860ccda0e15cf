"""The rules of a stream: who sees which events, where a resume starts, and the seam between
the stored events and the live feed (see feed.py)."""

import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass

from wapiz.accounts.principal import Principal
from wapiz.db.database import Database
from wapiz.devices.reader import DEVICE_NOT_FOUND, device_uuid
from wapiz.events.feed import Feed, FeedEvent, Subscription
from wapiz.events.repository import EventRows
from wapiz.kit.errors import Gone, NotFound
from wapiz.kit.text import Text

PAGE = 500  # stored events read per query while catching up
RESUME_GONE = Text(
    "Event {id} tidak ada (lewat masa simpan, atau bukan milik akun ini): sambung lagi tanpa "
    "Last-Event-ID / after untuk event mulai sekarang",
    "Event {id} is not there (past the retention, or not this account's): connect again "
    "without Last-Event-ID / after for the events from now on")


@dataclass(frozen=True, slots=True)
class Filter:
    """What a client wants: events of these devices (`deviceId`s) and types; None: all."""

    devices: frozenset[uuid.UUID] | None
    types: frozenset[str] | None

    def __call__(self, event: FeedEvent) -> bool:
        return ((self.devices is None or event.device_public_id in self.devices)
                and (self.types is None or event.type in self.types))


class Stream:
    """One client's events: the stored ones after its resume point, then the live ones,
    each once and in order. `overflowed` once it fell more than the buffer behind;
    `last_id` is the last event handed out."""

    def __init__(self, database: Database, feed: Feed, caller: Principal, wanted: Filter,
                 after: int | None, capacity: int) -> None:
        self.database = database
        self.feed = feed
        self.caller = caller
        self.wanted = wanted
        self.cursor = after
        self.capacity = capacity
        self.overflowed = False
        self.last_id: str | None = None

    async def batches(self) -> AsyncIterator[list[FeedEvent]]:
        """Batches of events as they come, until the client falls behind."""
        await self.feed.ready.wait()
        if self.cursor is not None:  # the stored events, before any buffer is held
            async for page in self._stored(lambda: self.feed.position):
                yield page
        subscription = self._subscribe()
        try:
            if self.cursor is not None:  # and those stored while that was read
                async for page in self._stored(lambda: subscription.position):
                    yield page
            while True:
                events = await subscription.next()
                if subscription.overflowed:
                    self.overflowed = True
                    return
                if self.cursor is not None:  # those the stored ones already had
                    events = [event for event in events if event.seq > self.cursor]
                if events:
                    yield self._handed_out(events)
        finally:
            subscription.close()

    def _subscribe(self) -> Subscription:
        caller, wanted = self.caller, self.wanted

        def wants(event: FeedEvent) -> bool:
            return caller.reaches(event.device_id) and wanted(event)

        return self.feed.subscribe(caller.id, wants, self.capacity)

    async def _stored(self, upto: Callable[[], int]) -> AsyncIterator[list[FeedEvent]]:
        assert self.cursor is not None
        while True:
            async with self.database.session_scope() as session:
                page = await EventRows.for_caller(session, self.caller).page(
                    self.cursor, upto(), self.wanted.devices, self.wanted.types, PAGE)
            if page:
                yield self._handed_out(page)
            if len(page) < PAGE:
                return

    def _handed_out(self, events: list[FeedEvent]) -> list[FeedEvent]:
        if events:
            self.cursor = events[-1].seq
            self.last_id = events[-1].id
        return events


class EventStreams:
    """Opens streams for a caller: checks the filter's devices and the resume point first, so
    that a refusal is an HTTP answer, not a broken stream."""

    def __init__(self, database: Database, feed: Feed, caller: Principal, capacity: int) -> None:
        self.database = database
        self.feed = feed
        self.caller = caller
        self.capacity = capacity

    async def open(self, device_ids: Collection[str], types: Collection[str],
                   after: str | None) -> Stream:
        """404 `device_not_found` for a `deviceId` that is not the caller's; 410
        `event_gone` for a resume point the caller cannot see (any more)."""
        devices = frozenset(device_uuid(raw) for raw in device_ids) or None
        async with self.database.session_scope() as session:
            rows = EventRows.for_caller(session, self.caller)
            if devices is not None and await rows.devices_named(devices) != devices:
                raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
            seq = None if after is None else await rows.seq_of(after)
        if after is not None and seq is None:
            raise Gone(RESUME_GONE.format(id=after[:64]), code="event_gone")
        return Stream(self.database, self.feed, self.caller,
                      Filter(devices, frozenset(types) or None), seq, self.capacity)
