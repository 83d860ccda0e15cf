"""Every query on a user's devices, scoped to that user from the first line."""

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime

from sqlalchemy import Select, func, select, update

from wapiz.accounts.principal import CallerRows
from wapiz.devices.models import Device, DeviceSession
from wapiz.devices.status import SessionView


class DeviceRepository(CallerRows):

    def _owned(self) -> Select[Device]:
        """The user's live devices (of them, the key's one); every query here starts from
        this."""
        statement = select(Device).where(Device.user_id == self.user_id,
                                         Device.deleted_at.is_(None))
        if self.only_device is not None:
            statement = statement.where(Device.id == self.only_device)
        return statement

    async def list(self) -> Sequence[Device]:
        statement = self._owned().order_by(Device.created_at, Device.id)
        return (await self.session.scalars(statement)).all()

    async def get(self, device_id: uuid.UUID) -> Device | None:
        return await self.session.scalar(self._owned().where(Device.id == device_id))

    async def by_public_id(self, public_id: uuid.UUID) -> Device | None:
        """The device whose public `deviceId` this is."""
        return await self.session.scalar(self._owned().where(Device.public_id == public_id))

    async def count(self) -> int:
        subquery = self._owned().subquery()
        return await self.session.scalar(select(func.count()).select_from(subquery)) or 0

    async def add(self, device: Device) -> Device:
        """A new device, with the (not yet leased) session row runners will claim."""
        device.user_id = self.user_id
        self.session.add(device)
        await self.session.flush()
        self.session.add(DeviceSession(device_id=device.id))
        await self.session.flush()
        return device

    async def mark_deleted(self, device: Device, now: datetime) -> None:
        await self.session.execute(
            update(Device)
            .where(Device.id == device.id, Device.user_id == self.user_id)
            .values(deleted_at=now)
        )

    async def session_view(self, device_id: uuid.UUID) -> tuple[bool, SessionView | None]:
        """(device exists, a snapshot of its session row), read fresh in one query."""
        columns = [getattr(DeviceSession, f.name) for f in fields(SessionView)]
        statement = (
            self._owned()
            .with_only_columns(Device.id, *columns)
            .outerjoin(DeviceSession, DeviceSession.device_id == Device.id)
            .where(Device.id == device_id)
        )
        row = (await self.session.execute(statement)).first()
        if row is None:
            return False, None
        if row.epoch is None:  # no session row
            return True, None
        return True, SessionView(*row[1:])
