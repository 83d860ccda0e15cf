"""Leases and fenced state writes: the runner's side of `device_sessions`.

A lease is (runner, epoch, lease_expires_at) on a device's session row. Claiming bumps the
epoch; every write a runner makes names the epoch it holds, so a runner that lost its lease
(stalled, partitioned, presumed dead) can no longer change these rows. Lease times come from
the database's clock on PostgreSQL, so runners on hosts with skewed clocks still agree.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.clock import database_now
from wapiz.db.results import rows_changed
from wapiz.devices.models import Device, DeviceSession
from wapiz.engines.base import SessionConfig
from wapiz.engines.events import CONNECTING
from wapiz.messages.models import Media
from wapiz.messages.store import delete_later


@dataclass(frozen=True, slots=True)
class Lease:
    """A device this runner holds: its session row's device (devices.id) and the epoch the
    claim gave it. Every fenced write names both."""

    device_id: uuid.UUID
    epoch: int


def held(runner: str, lease: Lease) -> ColumnElement[bool]:
    """The fence a write for a device names: the device is still this runner's, at the
    lease's epoch."""
    return exists().where(DeviceSession.device_id == lease.device_id,
                          DeviceSession.runner == runner, DeviceSession.epoch == lease.epoch)


class LeaseLost(Exception):
    """Another runner holds the device now: this runner must stop touching it (and an event
    it was storing stays with the network)."""


@dataclass(frozen=True)
class DeviceStart:
    config: SessionConfig
    failures: int
    device_public_id: uuid.UUID  # the API's deviceId, which its webhook events carry
    user_id: uuid.UUID


class LeaseRepository:
    def __init__(self, session: AsyncSession, runner: str) -> None:
        self.session = session
        self.runner = runner

    def _is_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _clock(self) -> Any:
        return database_now(self.session)

    def _free(self) -> ColumnElement[bool]:
        now = self._clock()
        return or_(DeviceSession.lease_expires_at.is_(None), DeviceSession.lease_expires_at < now)

    async def claim(self, ttl: timedelta, limit: int,
                    fits: ColumnElement[bool] | None = None) -> Sequence[Lease]:
        """Take up to `limit` devices that no live lease covers (and that `fits`, the rows a
        runner of its role may hold: runner/roles.py), in one statement.

        On SQLite the single UPDATE runs under the database's write lock, so two runners
        cannot take the same row; on PostgreSQL the candidates are locked, skipping rows
        another runner is taking at the same moment.
        """
        now = self._clock()
        free = self._free()
        fits = true() if fits is None else fits
        candidates = (
            select(DeviceSession.device_id)
            .where(free, fits)
            .order_by(DeviceSession.device_id)
            .limit(limit)
        )
        if self._is_postgres():
            candidates = candidates.with_for_update(skip_locked=True)
        statement = (
            update(DeviceSession)
            # `free` again: on PostgreSQL a row taken meanwhile is re-checked after the lock.
            .where(DeviceSession.device_id.in_(candidates.scalar_subquery()), free, fits)
            .values(
                runner=self.runner,
                epoch=DeviceSession.epoch + 1,
                lease_expires_at=now + ttl,
                connected=False,
                qr_code=None,
                qr_expires_at=None,
                reason=CONNECTING,
                detail=None,
                updated_at=utc_now(),
            )
            .returning(DeviceSession.device_id, DeviceSession.epoch)
        )
        return [Lease(row[0], row[1]) for row in await self.session.execute(statement)]

    async def renew(self, leases: Sequence[Lease], ttl: timedelta) -> set[Lease]:
        """Extend the given leases; the ones missing from the answer were taken over."""
        if not leases:
            return set()
        statement = (
            update(DeviceSession)
            .where(
                DeviceSession.runner == self.runner,
                DeviceSession.device_id.in_([lease.device_id for lease in leases]),
            )
            .values(lease_expires_at=self._clock() + ttl)
            .returning(DeviceSession.device_id, DeviceSession.epoch)
        )
        renewed = {Lease(row[0], row[1]) for row in await self.session.execute(statement)}
        return renewed & set(leases)

    async def write_state(self, lease: Lease, now: datetime, **values: Any) -> bool:
        """Record what the session saw; False when the lease is no longer ours."""
        result = await self.session.execute(
            update(DeviceSession)
            .where(
                DeviceSession.device_id == lease.device_id,
                DeviceSession.runner == self.runner,
                DeviceSession.epoch == lease.epoch,
            )
            .values(updated_at=now, **values)
        )
        return rows_changed(result) == 1

    async def release_all(self, now: datetime, reason: str) -> None:
        """Hand every lease back at once, so the next runner need not wait for expiry."""
        await self.session.execute(
            update(DeviceSession)
            .where(DeviceSession.runner == self.runner)
            .values(
                runner=None,
                lease_expires_at=None,
                connected=False,
                qr_code=None,
                qr_expires_at=None,
                reason=reason,
                detail=None,
                updated_at=now,
            )
        )

    async def release(self, leases: Sequence[Lease], now: datetime, reason: str) -> None:
        """Hand these leases back (those still ours, by epoch), for another runner to claim."""
        for lease in leases:
            await self.session.execute(
                update(DeviceSession)
                .where(DeviceSession.device_id == lease.device_id,
                       DeviceSession.runner == self.runner, DeviceSession.epoch == lease.epoch)
                .values(runner=None, lease_expires_at=None, connected=False, qr_code=None,
                        qr_expires_at=None, reason=reason, detail=None, updated_at=now)
            )

    async def misfits_among_mine(self, fits: ColumnElement[bool]) -> Sequence[Lease]:
        """The leases we hold on rows that no longer fit our role (runner/roles.py)."""
        statement = select(DeviceSession.device_id, DeviceSession.epoch).where(
            DeviceSession.runner == self.runner, ~fits)
        return [Lease(row[0], row[1]) for row in await self.session.execute(statement)]

    async def count_fitting(self, fits: ColumnElement[bool]) -> int:
        """How many devices a runner of a role may hold, held or not (runner/spread.py)."""
        return await self.session.scalar(
            select(func.count()).select_from(DeviceSession).where(fits)) or 0

    async def live_count(self) -> int:
        """How many devices this runner holds under a live lease (a lease of its own that
        lapsed in a stall is free to claim again, its old session replaced)."""
        return await self.session.scalar(
            select(func.count()).select_from(DeviceSession)
            .where(DeviceSession.runner == self.runner, ~self._free())) or 0

    async def taken_by_others(self, device_ids: Sequence[uuid.UUID]) -> int:
        """Of these devices (handed over by us), how many another runner holds now, or are
        gone (deleted meanwhile)."""
        held_here = (select(func.count()).select_from(DeviceSession)
                     .where(DeviceSession.device_id.in_(device_ids),
                            or_(DeviceSession.runner.is_(None),
                                DeviceSession.runner == self.runner, self._free())))
        return len(device_ids) - (await self.session.scalar(held_here) or 0)

    async def claimable(self, fits: ColumnElement[bool]) -> bool:
        """Whether a device that fits is free to claim (a supervisor's question: is there
        work for a runner of this role? A deleted device is work too: its keys go.)"""
        statement = select(DeviceSession.device_id).where(self._free(), fits).limit(1)
        return (await self.session.execute(statement)).first() is not None

    async def deleted_among_mine(self) -> Sequence[Lease]:
        statement = (
            select(Device.id, DeviceSession.epoch)
            .join(DeviceSession, DeviceSession.device_id == Device.id)
            .where(DeviceSession.runner == self.runner, Device.deleted_at.is_not(None))
        )
        return [Lease(row[0], row[1]) for row in await self.session.execute(statement)]

    async def remove_device(self, lease: Lease) -> None:
        """Delete a device marked deleted, if we still hold it (its session row and its
        files' rows cascade; their objects are queued for the store first)."""
        removable = and_(Device.id == lease.device_id, Device.deleted_at.is_not(None),
                         held(self.runner, lease))
        # Its session row locked first: on PostgreSQL no takeover can come between the
        # queueing and the delete, each of which would otherwise check the lease anew.
        if await self.session.scalar(
                select(DeviceSession.device_id)
                .join(Device, Device.id == DeviceSession.device_id)
                .where(DeviceSession.device_id == lease.device_id,
                       DeviceSession.runner == self.runner, DeviceSession.epoch == lease.epoch,
                       Device.deleted_at.is_not(None))
                .with_for_update(of=DeviceSession)) is None:
            return
        await delete_later(self.session, select(Media.object_key).where(
            Media.device_id == lease.device_id))
        await self.session.execute(delete(Device).where(removable))

    async def starting_points(
        self, device_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, DeviceStart]:
        """What a device's worker starts from: its settings and its failed connects so far."""
        if not device_ids:
            return {}
        statement = (
            select(Device, DeviceSession.failures)
            .join(DeviceSession, DeviceSession.device_id == Device.id)
            .where(Device.id.in_(device_ids))
        )
        return {
            device.id: DeviceStart(
                config=SessionConfig(
                    proxy=device.proxy,
                    history_sync_days=device.history_sync_days if device.history_sync
                    else None),
                failures=failures or 0, device_public_id=device.public_id,
                user_id=device.user_id,
            )
            for device, failures in await self.session.execute(statement)
        }
