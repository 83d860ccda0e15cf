"""The simulated phone's actions on a user's device: scan its QR code, or unlink it."""

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import User
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DeviceSession
from wapiz.devices.service import DeviceService
from wapiz.devices.status import DeviceStatus, current_qr, current_status
from wapiz.engines.sandbox.network import SandboxPhone
from wapiz.errors import Conflict

CONFIRM_WAIT_S = 10.0


def _qr(row: DeviceSession | None) -> str | None:
    return current_qr(row, utc_now())


def _logged_in(row: DeviceSession | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return status if status.logged_in else None


def _logged_out(row: DeviceSession | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return None if status.logged_in else status


class SandboxPhoneService:
    def __init__(
        self, session: AsyncSession, settings: Settings, user: User, database: Database
    ) -> None:
        self.devices = DeviceService(session, settings, user)
        self.settings = settings
        self.database = database

    async def link(self, raw_id: str, phone: str) -> tuple[str, DeviceStatus | None]:
        """Scan the QR code the device shows now; returns the JID and, once the runner has
        confirmed the login, the new status (None if it has not within the wait)."""
        await self.devices.get(raw_id)
        code = await self.devices.wait_for(raw_id, _qr, self.settings.qr_wait_seconds)
        if code is None:
            if (await self.devices.status(raw_id)).logged_in:
                raise Conflict("Device sudah terhubung")
            raise Conflict("Belum ada QR code untuk di-scan; coba lagi sebentar lagi")
        # The phone talks to the network, not through this request's transaction: the scan
        # is committed at once, so the runner sees it while we wait for the result.
        async with self.database.session_scope() as network:
            jid = await SandboxPhone(network).scan(code, phone)
        return jid, await self.devices.wait_for(raw_id, _logged_in, CONFIRM_WAIT_S)

    async def unlink(self, raw_id: str) -> DeviceStatus:
        device = await self.devices.get(raw_id)
        async with self.database.session_scope() as network:
            await SandboxPhone(network).remove_linked_device(str(device.id))
        confirmed = await self.devices.wait_for(raw_id, _logged_out, CONFIRM_WAIT_S)
        return confirmed or await self.devices.status(raw_id)
