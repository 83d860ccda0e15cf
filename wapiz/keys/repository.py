"""Every query on API keys: a user's own, from the first line; and the lookup of the key a
request presents (which the user is not known before)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import User
from wapiz.db.results import rows_changed
from wapiz.devices.models import Device
from wapiz.keys.models import ApiKey


@dataclass(frozen=True, slots=True)
class PresentedKey:
    """What a request's key stands for: its user, and the device it is limited to."""

    key_id: uuid.UUID
    user_id: uuid.UUID
    device_id: uuid.UUID | None
    last_used_at: datetime | None


async def presented_key(session: AsyncSession, key_hash: str) -> PresentedKey | None:
    """The key with this hash, if its user is not disabled."""
    statement = (
        select(ApiKey.id, ApiKey.user_id, ApiKey.device_id, ApiKey.last_used_at)
        .join(User, User.id == ApiKey.user_id)
        .where(ApiKey.key_hash == key_hash, User.disabled.is_(False))
    )
    row = (await session.execute(statement)).first()
    return PresentedKey(*row) if row else None


async def touch(session: AsyncSession, key_id: uuid.UUID, now: datetime,
                not_since: datetime) -> None:
    """Record a use, unless one since `not_since` already was (one statement: of parallel
    requests, one writes)."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id,
               or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < not_since))
        .values(last_used_at=now))


class KeyRepository:
    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    def _owned(self) -> Select[ApiKey]:
        return select(ApiKey).where(ApiKey.user_id == self.user_id)

    async def list(self) -> Sequence[tuple[ApiKey, uuid.UUID | None]]:
        """The user's keys, each with its device's public `deviceId` (None: no limit)."""
        statement = (self._owned().add_columns(Device.public_id)
                     .outerjoin(Device, Device.id == ApiKey.device_id)
                     .order_by(ApiKey.created_at, ApiKey.id))
        return [(key, public_id)
                for key, public_id in (await self.session.execute(statement))]

    async def count(self) -> int:
        subquery = self._owned().subquery()
        return await self.session.scalar(select(func.count()).select_from(subquery)) or 0

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.scalar(self._owned().where(ApiKey.id == key_id))

    async def add(self, key: ApiKey) -> ApiKey:
        key.user_id = self.user_id
        self.session.add(key)
        await self.session.flush()
        return key

    async def remove(self, key_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == self.user_id))
        return rows_changed(result) == 1
