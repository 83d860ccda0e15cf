"""Device rules: plan limits, deletion, webhooks, status and QR. Never commits."""

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import User
from wapiz.accounts.plans import device_limit, plan_display_name
from wapiz.accounts.repository import UserRepository
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.models import DEFAULT_LABEL, Device, DeviceSession
from wapiz.devices.repository import DeviceRepository, parse_uuid
from wapiz.devices.status import DeviceStatus, current_qr, current_status
from wapiz.errors import Forbidden, NotFound, ServiceUnavailable

DEVICE_NOT_FOUND = "Device tidak ditemukan"
POLL_INTERVAL_S = 0.1
QR_RETRY_AFTER_S = 2
T = TypeVar("T")


class PlanLimitReached(Forbidden):
    def __init__(self, plan: str, limit: int) -> None:
        super().__init__(f"Paket {plan_display_name(plan)} maksimal {limit} device")


class DeviceService:
    def __init__(self, session: AsyncSession, settings: Settings, user: User) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.devices = DeviceRepository(session, user.id)

    async def list(self) -> Sequence[Device]:
        return await self.devices.list()

    async def get(self, raw_id: str) -> Device:
        device_id = parse_uuid(raw_id)
        device = await self.devices.get(device_id) if device_id else None
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND)
        return device

    async def create(self, label: str | None) -> Device:
        # Lock the user first: simultaneous creates then count one after another.
        await UserRepository(self.session).lock(self.user.id, utc_now())
        limit = device_limit(self.settings, self.user.plan)
        if await self.devices.count() >= limit:
            raise PlanLimitReached(self.user.plan, limit)
        return await self.devices.add(Device(label=label or DEFAULT_LABEL))

    async def delete(self, raw_id: str) -> None:
        device = await self.get(raw_id)
        await self.devices.mark_deleted(device, utc_now())

    async def set_webhook(self, raw_id: str, url: str | None) -> Device:
        device = await self.get(raw_id)
        device.webhook_url = url
        await self.session.flush()
        return device

    async def _session_row(self, raw_id: str) -> DeviceSession | None:
        device_id = parse_uuid(raw_id)
        exists, row = await self.devices.session_row(device_id) if device_id else (False, None)
        if not exists:
            raise NotFound(DEVICE_NOT_FOUND)
        return row

    async def status(self, raw_id: str) -> DeviceStatus:
        return current_status(await self._session_row(raw_id), utc_now())

    async def wait_for(
        self, raw_id: str, read: Callable[[DeviceSession | None], T | None], within: float
    ) -> T | None:
        """Poll the device's session row until `read` returns something, or time runs out."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = read(await self._session_row(raw_id))
            if found is not None or asyncio.get_running_loop().time() >= deadline:
                return found
            await asyncio.sleep(POLL_INTERVAL_S)

    async def qr_or_status(self, raw_id: str) -> str | DeviceStatus:
        """The QR code to show, or the status once the device is logged in (else 503).

        Right after a device is created the runner needs a moment to present a first QR:
        wait a little for it rather than send the client away at once.
        """

        def qr_or_logged_in(row: DeviceSession | None) -> str | DeviceStatus | None:
            status = current_status(row, utc_now())
            return status if status.logged_in else current_qr(row, utc_now())

        found = await self.wait_for(raw_id, qr_or_logged_in, self.settings.qr_wait_seconds)
        if found is None:
            status = await self.status(raw_id)
            raise ServiceUnavailable(
                f"QR code belum tersedia ({status.reason or status.status}), coba lagi",
                retry_after=QR_RETRY_AFTER_S,
            )
        return found
