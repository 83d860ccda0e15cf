"""Announcements reach the processes listening for them at commit, and only then: through
NOTIFY on PostgreSQL, through sockets beside the database file on SQLite."""

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.rows import days_ago, opened, user_with_device
from tests.support import Deployment
from wapiz.db import wakeups
from wapiz.db.database import Database
from wapiz.db.wakeups import Listener
from wapiz.devices.models import Device

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_an_announcement_is_heard_when_its_transaction_commits(
        migrated: Deployment) -> None:
    async with opened(migrated) as database:
        listener = Listener(database.engine, (wakeups.DUE_MESSAGES, wakeups.WEBHOOKS))
        listening = asyncio.create_task(listener.run())
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not listener.live:
                assert asyncio.get_running_loop().time() < deadline, "never listening"
                await asyncio.sleep(0.05)
            # Set once on connecting: what came before was missed.
            for topic in (wakeups.DUE_MESSAGES, wakeups.WEBHOOKS):
                listener.heard(topic).clear()
            heard = listener.heard(wakeups.DUE_MESSAGES)

            with pytest.raises(RuntimeError):
                async with database.session_scope() as session:
                    await wakeups.announce(session, wakeups.DUE_MESSAGES)
                    raise RuntimeError("rolled back")
            await asyncio.sleep(0.3)
            assert not heard.is_set()  # a change rolled back is not announced

            async with database.session_scope() as session:
                await wakeups.announce(session, wakeups.DUE_MESSAGES)
                await asyncio.sleep(0.3)
                assert not heard.is_set()  # not before the commit
            await asyncio.wait_for(heard.wait(), 5)
            assert not listener.heard(wakeups.WEBHOOKS).is_set()
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)


@contextlib.asynccontextmanager
async def opened_locally(migrated: Deployment,
                         backend: str) -> AsyncIterator[tuple[Database, Path]]:
    """The database and its wake-ups folder (SQLite only: the test is skipped otherwise)."""
    if backend != "sqlite":
        pytest.skip("sockets beside the database are SQLite's wake-ups")
    async with opened(migrated) as database:
        folder = wakeups.local_folder(database.engine.url)
        assert folder is not None
        folder.mkdir(exist_ok=True)
        yield database, folder


def bound_socket(path: Path) -> socket.socket:
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    bound.bind(str(path))
    return bound


async def test_a_socket_left_by_a_dead_process_is_dropped(migrated: Deployment,
                                                          backend: str) -> None:
    async with opened_locally(migrated, backend) as (database, folder):
        stale = folder / wakeups.socket_name(wakeups.WEBHOOKS, "999999-dead")
        bound_socket(stale).close()  # the process died without removing it
        async with database.session_scope() as session:
            await wakeups.announce(session, wakeups.WEBHOOKS)
        assert not stale.exists()


async def test_a_socket_gets_only_its_own_topic(migrated: Deployment, backend: str) -> None:
    """A listener's socket is not filled with topics it does not listen to, so a burst of one
    topic (webhooks, say) cannot crowd out another (a message due)."""
    async with opened_locally(migrated, backend) as (database, folder):
        path = folder / wakeups.socket_name(wakeups.DUE_MESSAGES, "1-test")
        receiver = bound_socket(path)
        receiver.setblocking(False)
        try:
            for _ in range(30):  # more than a socket's queue holds
                async with database.session_scope() as session:
                    await wakeups.announce(session, wakeups.WEBHOOKS)
            async with database.session_scope() as session:
                await wakeups.announce(session, wakeups.DUE_MESSAGES)
            assert receiver.recv(64) == wakeups.DUE_MESSAGES.encode()
            with pytest.raises(BlockingIOError):
                receiver.recv(64)
        finally:
            receiver.close()
            path.unlink()


class _OutOfDescriptors:
    """The `os` module as wakeups.py sees it, with no descriptor left to list a folder."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    @staticmethod
    def scandir(_path: object) -> None:
        raise OSError(errno.EMFILE, "Too many open files")


async def test_a_wake_up_that_cannot_be_sent_does_not_fail_the_commit(
        migrated: Deployment, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with opened_locally(migrated, backend) as (database, _folder):
        monkeypatch.setattr(wakeups, "os", _OutOfDescriptors())
        async with database.session_scope() as session:
            device = await user_with_device(session, days_ago(0))
            await wakeups.announce(session, wakeups.WEBHOOKS)
        monkeypatch.undo()
        async with database.session_scope() as session:
            assert await session.get(Device, device.id) is not None  # committed
