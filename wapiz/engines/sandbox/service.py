"""The simulated phone's actions on a user's device: scan its QR code, or unlink it.

The phone is not part of the gateway: it talks to the (simulated) network, so each of its
actions is a unit of work of its own, committed at once so the runner sees it, and the
request holds no transaction while it waits for the runner's answer.
"""

from wapiz.db.base import utc_now
from wapiz.devices.reader import DeviceReader
from wapiz.devices.status import DeviceStatus, SessionView, current_status
from wapiz.engines.sandbox.network import SandboxPhone
from wapiz.errors import Conflict

CONFIRM_WAIT_S = 10.0


def _logged_in(row: SessionView | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return status if status.logged_in else None


def _logged_out(row: SessionView | None) -> DeviceStatus | None:
    status = current_status(row, utc_now())
    return None if status.logged_in else status


class SandboxPhoneService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices
        self.database = devices.database

    async def link(
        self, raw_id: str, phone: str, pair_code: str | None = None
    ) -> tuple[str, DeviceStatus]:
        """Scan the QR code the device shows now, or enter the pairing code it asked for;
        returns the JID and the status: logged in once the runner confirms, or as it
        stands when the wait runs out."""
        if pair_code is not None:
            device = await self.devices.get(raw_id)
            async with self.database.session_scope() as network:
                jid = await SandboxPhone(network).enter_code(str(device.id), pair_code, phone)
        else:
            code = await self.devices.qr_or_status(raw_id)
            if isinstance(code, DeviceStatus):
                raise Conflict("Device sudah terhubung")
            async with self.database.session_scope() as network:
                jid = await SandboxPhone(network).scan(code, phone)
        confirmed = await self.devices.wait_for(raw_id, _logged_in, CONFIRM_WAIT_S)
        return jid, confirmed or await self._status_now(raw_id)

    async def unlink(self, raw_id: str) -> DeviceStatus:
        device = await self.devices.get(raw_id)
        async with self.database.session_scope() as network:
            await SandboxPhone(network).remove_linked_device(str(device.id))
        confirmed = await self.devices.wait_for(raw_id, _logged_out, CONFIRM_WAIT_S)
        return confirmed or await self._status_now(raw_id)

    async def _status_now(self, raw_id: str) -> DeviceStatus:
        return current_status(await self.devices.view(raw_id), utc_now())
