"""Wake-ups between processes: "a message is due", "a device request is waiting", "an event
is to be delivered".

Runners and webhook dispatchers find their work by reading the database, and would find all
of it by polling alone. A writer also announces its change, once its transaction has
committed (never a change rolled back), and they listen, so the work is picked up at once
and the polls can be slow:
- on PostgreSQL with NOTIFY (sent at commit), each listener LISTENing on a connection of its
  own;
- on SQLite (one machine) with datagrams over Unix sockets in a folder beside the database
  (`wapiz.db-wakeups/`): each listening process binds one there, and a writer sends the
  topic to each after the commit.
A lost wake-up (a listener reconnecting, a full socket buffer) costs latency, never work.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "wapiz_wake"
DUE_MESSAGES = "messages"
DEVICE_REQUESTS = "requests"
WEBHOOKS = "webhooks"
TOPICS = (DUE_MESSAGES, DEVICE_REQUESTS, WEBHOOKS)
RECONNECT_S = 1.0
# Topics a session announces on SQLite, told once it commits.
TO_TELL = "wapiz_wakeups"


def local_folder(url: URL) -> Path | None:
    """Where a SQLite database's listeners bind their sockets (None: no file, no wake-ups)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(f"{url.database}-wakeups")


async def announce(session: AsyncSession, topic: str) -> None:
    """Tell the listening processes, when this session's transaction commits."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        await session.execute(select(func.pg_notify(CHANNEL, topic)))
    elif (folder := local_folder(bind.url)) is not None:
        await session.connection()  # a transaction, so that a commit comes to tell it
        session.sync_session.info.setdefault(TO_TELL, (folder, set()))[1].add(topic)


@event.listens_for(Session, "after_commit")
def _tell_after_commit(session: Session) -> None:
    if (told := session.info.pop(TO_TELL, None)) is not None:
        tell_local(*told)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(TO_TELL, None)


_sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
_sender.setblocking(False)


def tell_local(folder: Path, topics: Iterable[str]) -> None:
    """Send the topics to every process listening in the folder (best effort)."""
    try:
        listeners = [entry.path for entry in os.scandir(folder) if entry.name.endswith(".sock")]
    except FileNotFoundError:  # nobody has listened yet
        return
    for path in listeners:
        for topic in topics:
            try:
                _sender.sendto(topic.encode(), path)
            except (ConnectionRefusedError, FileNotFoundError):
                # Left by a process that died: nobody listens there any more.
                with contextlib.suppress(OSError):
                    os.unlink(path)
                break
            except OSError:  # a full buffer: that listener has wake-ups waiting already
                break


class Listener:
    """A process's ear for announcements: one event per topic, set when one comes.

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
            async with asyncio.timeout(quiet_s if self.live else busy_s):
                await heard.wait()
        heard.clear()

    async def run(self) -> None:
        """Listen until cancelled (on PostgreSQL reconnecting after a lost connection)."""
        if self.engine.dialect.name != "postgresql":
            folder = local_folder(self.engine.url)
            if folder is not None:
                await self._listen_locally(folder)
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
            self._hear(topic)

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

    def _hear(self, topic: str) -> None:
        if topic in self._heard:
            self._heard[topic].set()

    async def _listen_locally(self, folder: Path) -> None:
        """SQLite: a datagram socket of this process's in the folder, until cancelled."""
        path = folder / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        receiver = _bound_socket(path)
        if receiver is None:
            return

        def readable() -> None:
            with contextlib.suppress(BlockingIOError):
                while True:
                    self._hear(receiver.recv(64).decode(errors="replace"))

        loop = asyncio.get_running_loop()
        loop.add_reader(receiver.fileno(), readable)
        self.live = True
        for heard in self._heard.values():  # anything announced before now was missed
            heard.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.live = False
            loop.remove_reader(receiver.fileno())
            receiver.close()
            with contextlib.suppress(OSError):
                path.unlink()


def _bound_socket(path: Path) -> socket.socket | None:
    """A non-blocking datagram socket bound at `path` (None, and a warning, if it cannot be:
    a path longer than a socket's name may be, for one)."""
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        path.parent.mkdir(exist_ok=True)
        receiver.bind(str(path))
    except OSError as exc:
        receiver.close()
        log.warning("wake-ups: cannot listen at %s (%r); polling instead", path, exc)
        return None
    receiver.setblocking(False)
    return receiver
