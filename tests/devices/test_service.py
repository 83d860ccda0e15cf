"""The device rules, called as the routes and the runner call them but without HTTP: a real,
migrated database (both kinds) and the service over one of its sessions."""

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.rows import days_ago, opened, user_with_device
from tests.support import Deployment
from wapiz.accounts.models import User
from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.devices.service import DeviceService, PlanLimitReached
from wapiz.kit.cache import TTLCache
from wapiz.kit.errors import InvalidInput
from wapiz.messages.models import Message
from wapiz.workers.runner.leases import Lease
from wapiz.workers.runner.send_queue import Pacing, SendQueue
from wapiz.workers.runner.sender import DeviceMessages, next_send_at

pytestmark = pytest.mark.asyncio(loop_scope="function")


def service(db: AsyncSession, user_id: uuid.UUID) -> DeviceService:
    user = Principal(id=user_id, token_expires_at=utc_now() + timedelta(hours=1))
    return DeviceService(db, Settings(), user, TTLCache(0.5))


async def test_the_plan_limits_the_devices_and_a_deleted_one_frees_its_slot(
        migrated: Deployment) -> None:
    async with opened(migrated) as database, database.session_scope() as db:
        first = await user_with_device(db, days_ago(1))  # on the free plan: 1 device
        devices = service(db, first.user_id)
        with pytest.raises(PlanLimitReached) as refused:
            await devices.create("Kedua")
        assert refused.value.text.id == "Paket Free maksimal 1 device"  # the seed's words
        assert refused.value.code == "plan_limit_reached"

        await devices.delete(str(first.id))
        second = await devices.create("Kedua")
        assert second.label == "Kedua"

        user = await db.get(User, first.user_id)
        assert user is not None
        user.plan = "regular"  # 3 devices
        await db.flush()
        await devices.create(None)
        third = await devices.create(None)
        assert third.label == "Device Baru"
        with pytest.raises(PlanLimitReached) as refused:
            await devices.create(None)
        assert refused.value.text.id == "Paket Regular maksimal 3 device"


async def test_pacing_settings_keep_the_minimum_at_most_the_maximum(
        migrated: Deployment) -> None:
    async with opened(migrated) as database, database.session_scope() as db:
        device = await user_with_device(db, days_ago(1))
        devices = service(db, device.user_id)
        changed = await devices.update_settings(
            str(device.id), {"min_delay_ms": 2000, "max_delay_ms": 5000, "per_minute": 10})
        assert (changed.min_delay_ms, changed.max_delay_ms, changed.per_minute) == (
            2000, 5000, 10)
        # null: the default again (and no cap).
        defaults = await devices.update_settings(
            str(device.id), {"min_delay_ms": None, "max_delay_ms": None, "per_minute": None})
        assert (defaults.min_delay_ms, defaults.max_delay_ms, defaults.per_minute) == (
            1000, 3000, None)
        with pytest.raises(InvalidInput) as refused:
            await devices.update_settings(str(device.id), {"min_delay_ms": 6000})
        assert refused.value.code == "invalid_settings"
        await db.rollback()  # as the request's transaction is


def message(device: Device, batch_id: uuid.UUID | None = None,
            batch_pacing: list[int] | None = None) -> Message:
    return Message(id=uuid.uuid4(), device_id=device.id, batch_id=batch_id,
                   type="text", body={"batchPacing": batch_pacing} if batch_pacing else {})


async def test_the_runner_paces_sends_by_the_devices_settings(migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            device = await user_with_device(db, days_ago(1))
            await service(db, device.user_id).update_settings(
                str(device.id), {"min_delay_ms": 2000, "max_delay_ms": 4000, "per_minute": 3})
        async with database.session_scope() as db:  # as the sender reads them
            pacing = await SendQueue(db, "runner-1", Lease(device.id, 1),
                                     device.public_id).pacing()
        assert pacing == Pacing(min_delay_ms=2000, max_delay_ms=4000, typing=True, per_minute=3)

        state = DeviceMessages(database, "runner-1", Lease(device.id, 1), device.public_id,
                               device.user_id, resends_keep_ids=True)
        now = time.monotonic()
        state.last_send = now
        for _ in range(50):  # a random pause of min to max delay after the last send
            assert now + 2.0 <= next_send_at(state, pacing, message(device)) <= now + 4.0

        # At most three sends in any minute: the fourth waits for the minute of the first.
        state.recent.extend([now - 50.0, now - 20.0, now - 10.0])
        state.last_send = now - 10.0
        assert next_send_at(state, pacing, message(device)) == pytest.approx(now + 10.0)
        uncapped = Pacing(2000, 4000, True, None)
        assert next_send_at(state, uncapped, message(device)) <= now - 6.0

        # A batch keeps its own, slower spacing after the batch's last send.
        batch = uuid.uuid4()
        state.last_batch_send[batch] = now - 10.0
        for _ in range(50):
            at = next_send_at(state, uncapped, message(device, batch, [15000, 45000]))
            assert now + 5.0 <= at <= now + 35.0
