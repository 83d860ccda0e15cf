"""Wake-ups between processes: "a message is due", "a device request is waiting", "an event
is to be delivered".

Runners find their work by reading the database, and would find all of it by polling alone.
On PostgreSQL a writer also announces its change with NOTIFY, sent when its transaction
commits (never for a change rolled back), and each runner LISTENs on a connection of its own,
so the work is picked up at once and the polls can be slow. SQLite has no such thing: its
runners poll often. A lost wake-up (a listener reconnecting) costs latency, never work.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = logging.getLogger(__name__)

CHANNEL = "wapiz_wake"
DUE_MESSAGES = "messages"
DEVICE_REQUESTS = "requests"
WEBHOOKS = "webhooks"
TOPICS = (DUE_MESSAGES, DEVICE_REQUESTS, WEBHOOKS)
RECONNECT_S = 1.0


async def announce(session: AsyncSession, topic: str) -> None:
    """Tell the runners, when this session's transaction commits (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, topic)))


class Listener:
    """A runner's ear for announcements: one event per topic, set when one comes.

    `live` says whether announcements can be heard now: a loop polls slowly while it is
    true, and as often as it would without wake-ups while it is not.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.live = False
        self._heard = {topic: asyncio.Event() for topic in TOPICS}

    def heard(self, topic: str) -> asyncio.Event:
        return self._heard[topic]

    async def wait(self, topic: str, quiet_s: float, busy_s: float) -> None:
        """Until `topic` is announced, or for `quiet_s` while listening (`busy_s` while
        not); the event is cleared for the next wait."""
        heard = self._heard[topic]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(heard.wait(), quiet_s if self.live else busy_s)
        heard.clear()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting after a lost connection (PostgreSQL only)."""
        if self.engine.dialect.name != "postgresql":
            return
        while True:
            try:
                async with self._listening() as lost:
                    await lost.wait()
            except Exception as exc:
                log.warning("wake-ups: cannot listen (%r); polling until it can", exc)
            self.live = False
            await asyncio.sleep(RECONNECT_S)

    @contextlib.asynccontextmanager
    async def _listening(self) -> AsyncIterator[asyncio.Event]:
        lost = asyncio.Event()

        def on_notify(_connection: Any, _pid: int, _channel: str, topic: str) -> None:
            if topic in self._heard:
                self._heard[topic].set()

        async with self.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            raw.add_termination_listener(lambda _connection: lost.set())
            await raw.add_listener(CHANNEL, on_notify)
            self.live = True
            for heard in self._heard.values():  # anything announced before now was missed
                heard.set()
            try:
                yield lost
            finally:
                self.live = False
                with contextlib.suppress(Exception):
                    await raw.remove_listener(CHANNEL, on_notify)
