"""Factories for rows written straight into a migrated database, for tests of background work
(retention) that need rows of given ages and states rather than a server's traffic."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from tests.support import Deployment
from wapiz.accounts.models import User
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.devices.models import Device


@contextlib.asynccontextmanager
async def opened(deployment: Deployment, name: str = "test") -> AsyncIterator[Database]:
    """The deployment's database (migrate it first), opened in the test's own process."""
    database = Database(Settings(database_url=deployment.database_url,
                                 data_dir=deployment.data_dir), name)
    try:
        yield database
    finally:
        await database.dispose()


async def user_with_device(db: AsyncSession, created_at: datetime) -> Device:
    user = User(id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:10]}@example.com", name="Uji",
                password_hash="-", created_at=created_at, updated_at=created_at)
    device = Device(id=uuid.uuid4(), device_id=uuid.uuid4(), user_id=user.id,
                    created_at=created_at)
    db.add(user)
    await db.flush()
    db.add(device)
    await db.flush()
    return device
