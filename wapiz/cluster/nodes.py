"""A process's own row in `nodes` (join, heartbeat, leave) and what runners read of the
others' rows. Written by every API and runner process, so it imports only the database.

A heartbeat is one UPDATE; a row it does not find (pruned while its process was cut off from
the database) is inserted again. Every PRUNE_EVERY_S an API node also deletes the rows of nodes
silent for FORGET_AFTER (processes that died without leaving).
"""

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz import __version__
from wapiz.cluster.models import Node, NodeRole
from wapiz.db.clock import database_now
from wapiz.db.database import Database
from wapiz.db.results import rows_changed

log = logging.getLogger(__name__)

FORGET_AFTER = timedelta(minutes=10)
PRUNE_EVERY_S = 60.0
RETRY_S = 1.0


@dataclass(frozen=True)
class NodeCard:
    """What a process says of itself."""

    name: str
    role: NodeRole
    runner_role: str | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class LiveRunner:
    name: str
    capacity: int


def alive_since(session: AsyncSession, alive_for: timedelta) -> object:
    """The oldest heartbeat of a node still alive (one silent for `alive_for` is not)."""
    return database_now(session) - alive_for


class NodeRows:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def join(self, card: NodeCard, draining: bool = False) -> None:
        now = database_now(self.session)
        await self.session.execute(delete(Node).where(Node.name == card.name))
        await self.session.execute(insert(Node).values(
            name=card.name, role=card.role, runner_role=card.runner_role,
            host=socket.gethostname(), pid=os.getpid(), version=__version__,
            capacity=card.capacity, started_at=now, heartbeat_at=now, draining=draining))

    async def beat(self, name: str, draining: bool) -> bool:
        """Whether the row was there to update."""
        result = await self.session.execute(
            update(Node).where(Node.name == name)
            .values(heartbeat_at=database_now(self.session), draining=draining))
        return rows_changed(result) == 1

    async def leave(self, name: str) -> None:
        await self.session.execute(delete(Node).where(Node.name == name))

    async def forget_silent(self, after: timedelta) -> None:
        # Rows another transaction holds are skipped (pruned next time): a node cut off
        # mid-beat may hold its row for as long as the server takes to notice.
        silent = (select(Node.name).where(Node.heartbeat_at < alive_since(self.session, after))
                  .with_for_update(skip_locked=True))
        await self.session.execute(delete(Node).where(Node.name.in_(silent)))

    async def live_runners(self, runner_role: str, alive_for: timedelta) -> Sequence[LiveRunner]:
        """The runners of a kind that are alive and not draining: those sharing its devices."""
        statement = select(Node.name, Node.capacity).where(
            Node.role == NodeRole.RUNNER, Node.runner_role == runner_role,
            Node.draining.is_(False), Node.heartbeat_at > alive_since(self.session, alive_for))
        return [LiveRunner(name, capacity or 0)
                for name, capacity in await self.session.execute(statement)]


class Heartbeat:
    """A process's presence in `nodes`: joined at start, beaten in the caller's transactions
    (a runner beats beside its lease renewals, so it is seen dead when its leases lapse),
    left at a clean stop. The beat touches this node's row alone: a runner's renewal must
    never wait for another's row (pruning is the API nodes', in a transaction of its own)."""

    def __init__(self, card: NodeCard) -> None:
        self.card = card

    async def join(self, session: AsyncSession) -> None:
        await NodeRows(session).join(self.card)

    async def beat(self, session: AsyncSession, draining: bool = False) -> None:
        rows = NodeRows(session)
        if not await rows.beat(self.card.name, draining):
            await rows.join(self.card, draining)

    async def leave(self, session: AsyncSession) -> None:
        await NodeRows(session).leave(self.card.name)


async def beat_forever(database: Database, heartbeat: Heartbeat, every_s: float) -> None:
    """An API process's heartbeat, until cancelled; its row goes when it is."""
    pruned_at: float | None = None
    try:
        while True:
            try:
                async with database.session_scope() as db:
                    await heartbeat.beat(db)
                now = asyncio.get_running_loop().time()
                if pruned_at is None or now - pruned_at >= PRUNE_EVERY_S:
                    pruned_at = now
                    async with database.session_scope() as db:
                        await NodeRows(db).forget_silent(FORGET_AFTER)
            except Exception as exc:  # the database is away: shown as silent meanwhile
                log.warning("node heartbeat failed: %r", exc)
                await asyncio.sleep(RETRY_S)
                continue
            await asyncio.sleep(every_s)
    finally:
        try:
            async with database.session_scope() as db:
                await heartbeat.leave(db)
        except Exception:
            log.warning("could not remove this node's row; it ages out")
