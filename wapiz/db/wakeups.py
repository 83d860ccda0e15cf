"""Wake-ups between processes: "a message is due", "a device request is waiting", "an event
is to be delivered", "the sandbox network has mail for a session".

Runners and webhook dispatchers find their work by reading the database, and would find all
of it by polling alone. A writer also announces its change, once its transaction has
committed (never a change rolled back), and they listen, so the work is picked up at once
and the polls can be slow:
- on PostgreSQL with NOTIFY (sent at commit), each listener LISTENing on a connection of its
  own;
- on SQLite (one machine) with datagrams over Unix sockets in a folder beside the database
  (`wapiz.db-wakeups/`): a listening process binds one there for each topic it listens to
  (named after the topic), and a writer sends the topic to each of its sockets after the
  commit. A socket holds only its own topic's wake-ups, so when its buffer is full, the
  listener has that very wake-up waiting already.
A lost wake-up (a listener reconnecting, a full socket buffer) costs latency, never work; a
wake-up that cannot be sent never fails the commit it follows.
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
SANDBOX_MAIL = "sandbox"  # the simulated network has something for a session
SPREAD = "spread"  # devices handed over, a runner joined or drains: runners look again
TOPICS = (DUE_MESSAGES, DEVICE_REQUESTS, WEBHOOKS, SANDBOX_MAIL, SPREAD)
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
    elif (folder := local_folder(bind.engine.url)) is not None:
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


def socket_name(topic: str, owner: str) -> str:
    return f"{topic}.{owner}.sock"


def tell_local(folder: Path, topics: Iterable[str]) -> None:
    """Send each topic to every socket listening for it in the folder (best effort: it runs
    after a commit, which must not look failed because a wake-up was not sent)."""
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.endswith(".sock")]
    except OSError as exc:  # no folder: nobody has listened yet
        if not isinstance(exc, FileNotFoundError):
            log.debug("wake-ups: cannot read %s (%r)", folder, exc)
        return
    for topic in topics:
        prefix = f"{topic}."
        for name in names:
            if not name.startswith(prefix):
                continue
            path = folder / name
            try:
                _sender.sendto(topic.encode(), str(path))
            except (ConnectionRefusedError, FileNotFoundError):
                # Left by a process that died: nobody listens there any more.
                with contextlib.suppress(OSError):
                    path.unlink()
            except BlockingIOError:  # a full buffer: this wake-up is waiting there already
                pass
            except OSError as exc:
                log.debug("wake-ups: cannot tell %s (%r)", path, exc)


class Listener:
    """A process's ear for announcements: one event per topic, set when one comes.

    `live` says whether announcements can be heard now: a loop polls slowly while it is
    true, and as often as it would without wake-ups while it is not.
    """

    def __init__(self, engine: AsyncEngine, topics: Iterable[str]) -> None:
        self.engine = engine
        self.live = False
        self._heard = {topic: asyncio.Event() for topic in topics}
        if unknown := set(self._heard) - set(TOPICS):
            raise ValueError(f"no such wake-up topic: {', '.join(sorted(unknown))}")

    def heard(self, topic: str) -> asyncio.Event:
        return self._heard[topic]

    async def wait(self, topic: str, quiet_s: float, busy_s: float) -> bool:
        """Until `topic` is announced, or for `quiet_s` while listening (`busy_s` while
        not); whether it was announced. The event is cleared for the next wait."""
        heard = self._heard[topic]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(quiet_s if self.live else busy_s):
                await heard.wait()
        announced = heard.is_set()
        heard.clear()
        return announced

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
            assert raw is not None, "a live connection has its driver's (asyncpg's)"
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
        """SQLite: a datagram socket of this process's in the folder for each topic, until
        cancelled."""
        owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        loop = asyncio.get_running_loop()
        bound: list[tuple[socket.socket, Path]] = []
        try:
            for topic in self._heard:
                path = folder / socket_name(topic, owner)
                receiver = _bound_socket(path)
                if receiver is None:
                    return
                bound.append((receiver, path))
                loop.add_reader(receiver.fileno(), self._read, receiver)
            self.live = True
            for heard in self._heard.values():  # anything announced before now was missed
                heard.set()
            await asyncio.Event().wait()
        finally:
            self.live = False
            for receiver, path in bound:
                loop.remove_reader(receiver.fileno())
                receiver.close()
                with contextlib.suppress(OSError):
                    path.unlink()

    def _read(self, receiver: socket.socket) -> None:
        with contextlib.suppress(BlockingIOError):
            while True:
                self._hear(receiver.recv(64).decode(errors="replace"))


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
