"""The broker outputs: every event, from its row, to each output the operator configured
(WAPIZ_EVENTS_NATS_URL, WAPIZ_EVENTS_AMQP_URL). They run in every API process, beside the
webhook dispatcher and for the same reason (away from the WhatsApp sessions); one process at
a time publishes an output (a lease on its row, queue.py), the others wait to take over.

At least once: a device's cursor moves only past events the broker confirmed, so an event
published by a process that died before writing it down is published again, with the same
message id (JetStream's duplicate window drops it; an AMQP consumer sees `message_id`).
Order: events are published in `seq` order, a group at a time, their confirmations awaited
together; a device's cursor stops before its first unconfirmed event, and the next group
starts from there. A broker that is down: the events wait in their rows, the output tries
again with backoff (at most BACKOFF_CAP_S apart) and drains the backlog when it returns.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.wakeups import Listener
from wapiz.kit.addresses import mask_credentials
from wapiz.kit.backoff import Backoff
from wapiz.outputs.configured import OutputConfig, configured_outputs
from wapiz.workers.outputs.publishers import (
    Confirmation,
    Outgoing,
    Publisher,
    publisher_for,
)
from wapiz.workers.outputs.queue import OutputRows, PendingEvent

log = logging.getLogger(__name__)

GROUP = 1000  # events published before their confirmations are awaited
GROUP_DEVICES = 200  # a statement of one part per device (SQLite allows 500)
PUBLISH_TIMEOUT_S = 10.0  # a connect, or a group's confirmations
LEASE_S = 15.0
SAFETY_POLL_S = 1.0  # while announcements can be heard
POLL_S = 0.25  # while they cannot
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 5.0  # below the lease: a process waiting out a broker keeps its output

PUBLISHED = Counter("wapiz_output_published_total", "Events a broker output published and "
                    "the broker confirmed (from this process).", ["output"])
FAILURES = Counter("wapiz_output_failures_total", "Times a broker output failed (a connect, "
                   "a publish or a confirmation) and went back to reconnecting.", ["output"])


def confirmed_cursors(events: Sequence[PendingEvent],
                      confirmations: Sequence[Confirmation]) -> tuple[dict[uuid.UUID, int], int]:
    """Each device's last event confirmed with all of the device's events before it (in
    this group), and how many events that is."""
    cursors: dict[uuid.UUID, int] = {}
    stopped: set[uuid.UUID] = set()
    count = 0
    for event, confirmation in zip(events, confirmations, strict=True):
        if event.device_id in stopped:
            continue
        if confirmation is not None:
            stopped.add(event.device_id)
            continue
        cursors[event.device_id] = event.seq
        count += 1
    return cursors, count


def _words(error: BaseException) -> str:
    """An error as the operator reads it (a URL in it with its password masked)."""
    return mask_credentials(f"{type(error).__name__}: {error}" if str(error)
                            else type(error).__name__)


class OutputWorker:
    """One output, published from this process while it holds the output."""

    def __init__(self, config: OutputConfig, database: Database, name: str,
                 publisher: Publisher | None = None) -> None:
        self.config = config
        self.database = database
        self.name = name
        self.publisher = publisher or publisher_for(config, PUBLISH_TIMEOUT_S)
        for counter in (PUBLISHED, FAILURES):  # shown from the start, at 0
            counter.labels(config.name)
        self.woken = asyncio.Event()
        self.listening = False
        self._held_until = 0.0  # loop time the lease lasts till, as far as this process knows
        self._backoff = Backoff(BACKOFF_BASE_S, BACKOFF_CAP_S)

    def rows(self, session: AsyncSession) -> OutputRows:
        return OutputRows(session, self.config.name, self.name)

    async def run(self) -> None:
        """Until cancelled."""
        try:
            while True:
                try:
                    if not await self._hold():
                        await self._wait(LEASE_S / 3)  # another process publishes it
                        continue
                    if not self.publisher.connected:
                        await self.publisher.close()
                        await self.publisher.connect()
                        await self._report(connected=True, error=None)
                        log.info("outputs: %s connected to %s", self.config.name,
                                 self.config.target)
                    if not await self.publish_once():
                        await self._wait(SAFETY_POLL_S)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await self._failed(exc)
        finally:
            await self._stop()

    async def publish_once(self) -> bool:
        """Publish one group of waiting events; False if none was waiting. Raises what kept
        any of them from being confirmed (after writing down those that were)."""
        async with self.database.session_scope() as db:
            events = await self.rows(db).pending(GROUP_DEVICES, GROUP)
        if not events:
            return False
        confirmations = await self.publisher.publish([self._outgoing(e) for e in events])
        cursors, count = confirmed_cursors(events, confirmations)
        loop = asyncio.get_running_loop()
        async with self.database.session_scope() as db:
            held = await self.rows(db).advance(cursors, count, utc_now(), LEASE_S)
        self._held_until = loop.time() + LEASE_S if held else 0.0
        PUBLISHED.labels(self.config.name).inc(count)
        if (error := next((c for c in confirmations if c is not None), None)) is not None:
            raise error
        self._backoff.reset()
        return True

    def _outgoing(self, event: PendingEvent) -> Outgoing:
        return Outgoing(event.seq, event.event_id, event.device_id, event.event_type,
                        self.config.subject(event.user_id, event.device_public_id,
                                            event.event_type),
                        event.body.encode())

    async def _hold(self) -> bool:
        """Whether this process publishes the output now: the lease is taken, or renewed
        once a third of it is gone."""
        loop = asyncio.get_running_loop()
        if self._held_until - loop.time() > LEASE_S * 2 / 3:
            return True
        async with self.database.session_scope() as db:
            held = await self.rows(db).take(utc_now(), LEASE_S)
        self._held_until = loop.time() + LEASE_S if held else 0.0
        if not held and self.publisher.connected:
            await self.publisher.close()  # another process took over
        return held

    async def _wait(self, seconds: float) -> None:
        """Until an event is announced, or `seconds` (POLL_S while announcements cannot be
        heard)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds if self.listening else min(seconds, POLL_S)):
                await self.woken.wait()
        self.woken.clear()

    async def _failed(self, error: BaseException) -> None:
        FAILURES.labels(self.config.name).inc()
        words = _words(error)
        delay = self._backoff.next_delay()
        log.warning("outputs: %s (%s): %s; trying again in %.1fs", self.config.name,
                    self.config.target, words, delay)
        await self.publisher.close()
        with contextlib.suppress(Exception):
            await self._report(connected=False, error=words)
        await asyncio.sleep(delay)

    async def _report(self, connected: bool, error: str | None) -> None:
        async with self.database.session_scope() as db:
            await self.rows(db).report(connected, error, utc_now())

    async def _stop(self) -> None:
        """Close the connection and hand the output back, so another process takes it at
        once (never raising: the process is stopping)."""
        with contextlib.suppress(Exception):
            await asyncio.shield(self.publisher.close())
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                async with self.database.session_scope() as db:
                    await self.rows(db).let_go()


class Outputs:
    """Every configured output, woken when events are announced."""

    def __init__(self, settings: Settings, database: Database, name: str) -> None:
        self.workers = [OutputWorker(config, database, name)
                        for config in configured_outputs(settings)]
        self.wake_ups = Listener(database.engine, (wakeups.WEBHOOKS,))

    async def run(self) -> None:
        """Until cancelled (at once if no output is configured)."""
        if not self.workers:
            return
        tasks = [asyncio.create_task(worker.run(), name=f"output-{worker.config.name}")
                 for worker in self.workers]
        tasks.append(asyncio.create_task(self.wake_ups.run(), name="output-wake-ups"))
        heard = self.wake_ups.heard(wakeups.WEBHOOKS)
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(SAFETY_POLL_S):
                        await heard.wait()
                announced = heard.is_set()
                heard.clear()
                for worker in self.workers:
                    worker.listening = self.wake_ups.live
                    if announced:
                        worker.woken.set()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
