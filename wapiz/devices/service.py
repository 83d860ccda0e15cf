"""Device rules: plan limits, deletion, webhooks, status and QR. Never commits."""

import asyncio
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.plans import device_limit, plan_display_name
from wapiz.accounts.principal import Principal
from wapiz.accounts.repository import UserRepository
from wapiz.cache import TTLCache
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DEFAULT_LABEL, Device
from wapiz.devices.repository import DeviceRepository, parse_uuid
from wapiz.devices.status import DeviceStatus, SessionView, current_qr, current_status
from wapiz.errors import Forbidden, NotFound, ServiceUnavailable

DEVICE_NOT_FOUND = "Device tidak ditemukan"
POLL_INTERVAL_S = 0.1
QR_RETRY_AFTER_S = 2
T = TypeVar("T")


def device_uuid(raw_id: str) -> uuid.UUID:
    device_id = parse_uuid(raw_id)
    if device_id is None:
        raise NotFound(DEVICE_NOT_FOUND)
    return device_id


async def load_session_view(devices: DeviceRepository, device_id: uuid.UUID) -> SessionView | None:
    exists, row = await devices.session_view(device_id)
    if not exists:
        raise NotFound(DEVICE_NOT_FOUND)
    return row


async def read_status(
    database: Database, statuses: "StatusCache", user: Principal, raw_id: str
) -> DeviceStatus:
    """A device's status for pollers of /status: from this process's short-lived cache, or
    one read in a session of its own (no request transaction is needed to answer it)."""
    device_id = device_uuid(raw_id)

    async def load() -> SessionView | None:
        async with database.session_scope() as session:
            return await load_session_view(DeviceRepository(session, user.id), device_id)

    return current_status(await statuses.get_or_load((user.id, device_id), load), utc_now())


class PlanLimitReached(Forbidden):
    def __init__(self, plan: str, limit: int) -> None:
        super().__init__(f"Paket {plan_display_name(plan)} maksimal {limit} device")


StatusCache = TTLCache[tuple[uuid.UUID, uuid.UUID], SessionView | None]


class DeviceService:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        user: Principal,
        statuses: StatusCache | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.devices = DeviceRepository(session, user.id)
        # Recent session rows, for `WAPIZ_STATUS_CACHE_SECONDS`: pollers of /status hit this.
        self.statuses: StatusCache = statuses or TTLCache(0)

    async def list(self) -> Sequence[Device]:
        return await self.devices.list()

    async def get(self, raw_id: str) -> Device:
        device = await self.devices.get(self._device_uuid(raw_id))
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND)
        return device

    async def create(self, label: str | None) -> Device:
        # Lock the user first: simultaneous creates then count one after another. The plan is
        # read under the lock, so a plan changed a moment ago counts.
        users = UserRepository(self.session)
        await users.lock(self.user.id, utc_now())
        user = await users.get(self.user.id)
        if user is None:
            raise NotFound(DEVICE_NOT_FOUND)
        limit = device_limit(self.settings, user.plan)
        if await self.devices.count() >= limit:
            raise PlanLimitReached(user.plan, limit)
        return await self.devices.add(Device(label=label or DEFAULT_LABEL))

    async def delete(self, raw_id: str) -> None:
        device = await self.get(raw_id)
        await self.devices.mark_deleted(device, utc_now())
        self.statuses.evict((self.user.id, device.id))

    async def set_webhook(self, raw_id: str, url: str | None) -> Device:
        device = await self.get(raw_id)
        device.webhook_url = url
        await self.session.flush()
        return device

    def _device_uuid(self, raw_id: str) -> uuid.UUID:
        return device_uuid(raw_id)

    async def _session_view(self, raw_id: str) -> SessionView | None:
        """Fresh from the database (and remembered for the status cache)."""
        device_id = self._device_uuid(raw_id)
        row = await load_session_view(self.devices, device_id)
        self.statuses.put((self.user.id, device_id), row)
        return row

    async def status(self, raw_id: str) -> DeviceStatus:
        """The status as of now, read fresh (pollers use `read_status`)."""
        return current_status(await self._session_view(raw_id), utc_now())

    async def wait_for(
        self, raw_id: str, read: Callable[[SessionView | None], T | None], within: float
    ) -> T | None:
        """Poll the device's session row until `read` returns something, or time runs out."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            found = read(await self._session_view(raw_id))
            if found is not None or asyncio.get_running_loop().time() >= deadline:
                return found
            await asyncio.sleep(POLL_INTERVAL_S)

    async def qr_or_status(self, raw_id: str) -> str | DeviceStatus:
        """The QR code to show, or the status once the device is logged in (else 503).

        Right after a device is created the runner needs a moment to present a first QR:
        wait a little for it rather than send the client away at once.
        """

        def qr_or_logged_in(row: SessionView | None) -> str | DeviceStatus | None:
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
