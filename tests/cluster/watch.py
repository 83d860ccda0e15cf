"""Who holds which device, read from the database, and a watch on every device's session
while runners come and go: how long each was without one (not held under a live lease,
connected and logged in)."""

import asyncio
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import db_rows

SESSIONS = ("SELECT device_id, runner, connected, logged_in, lease_expires_at "
            "FROM device_sessions")


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def held(database_url: str) -> Counter[str]:
    """Devices under a lease, by runner name (the part before the pid)."""
    rows = db_rows(database_url, "SELECT runner FROM device_sessions WHERE runner IS NOT NULL")
    return Counter(runner.split(":")[0] for (runner,) in rows)


def evenly_held(database_url: str, runners: set[str], devices: int) -> bool:
    """Every device held and logged in, by exactly these runners, evenly (a runner holds up
    to its share plus the slack of one: runner/spread.py)."""
    holders = held(database_url)
    logged_in = db_rows(database_url, "SELECT count(*) FROM device_sessions WHERE runner IS "
                        "NOT NULL AND connected AND logged_in")[0][0]
    return (set(holders) == runners and sum(holders.values()) == devices == logged_in
            and max(holders.values()) - min(holders.values()) <= 2)


class SessionWatch:
    """Reads the session rows every `every_s` in a thread of its own; `longest_gap` is the
    longest time any device was seen without a session, `moved` the devices another runner
    took over (a hand-over quicker than one read shows no gap, yet a move), `holders` who
    held what last."""

    def __init__(self, database_url: str, every_s: float = 0.1) -> None:
        self.database_url = database_url
        self.every_s = every_s
        self.gaps: dict[str, float] = {}  # device → its longest time without a session
        self.holders: dict[str, str | None] = {}
        self.moved: set[str] = set()
        self._first_holder: dict[str, str] = {}  # device → the runner name first seen
        self._down_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True)
        self._started = threading.Event()

    def __enter__(self) -> "SessionWatch":
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)
        now = time.monotonic()
        for device, since in self._down_since.items():  # still without a session
            self.gaps[device] = max(self.gaps.get(device, 0.0), now - since)

    @property
    def longest_gap(self) -> float:
        return max(self.gaps.values(), default=0.0)

    def held_by(self) -> Counter[str]:
        """Devices per runner name (the part before the pid), as last seen."""
        return Counter(runner.split(":")[0] for runner in self.holders.values() if runner)

    async def _watch(self) -> None:
        engine = create_async_engine(self.database_url)
        try:
            while not self._stop.is_set():
                async with engine.connect() as connection:
                    rows = (await connection.execute(text(SESSIONS))).all()
                seen, now = time.monotonic(), datetime.now(UTC)
                for device_id, runner, connected, logged_in, expires in rows:
                    device = str(device_id)
                    lease = _moment(expires)
                    up = bool(runner and connected and logged_in and lease and lease > now)
                    self.holders[device] = runner
                    if runner:
                        name = runner.split(":")[0]
                        if self._first_holder.setdefault(device, name) != name:
                            self.moved.add(device)
                    if up:
                        if (since := self._down_since.pop(device, None)) is not None:
                            self.gaps[device] = max(self.gaps.get(device, 0.0), seen - since)
                    else:
                        self._down_since.setdefault(device, seen)
                self._started.set()
                await asyncio.sleep(self.every_s)
        finally:
            await engine.dispose()
