from wapiz.calls.repository import caller_of
from wapiz.devices.live import ask_live
from wapiz.devices.reader import DeviceReader
from wapiz.devices.requests import REJECT_CALL
from wapiz.kit.errors import NotFound
from wapiz.kit.text import Text

CALL_NOT_FOUND = Text("Panggilan tidak ditemukan", "Call not found")


class CallService:
    def __init__(self, devices: DeviceReader) -> None:
        self.devices = devices

    async def reject(self, raw_id: str, call_id: str) -> None:
        """Decline a call that rang the device (its call.received event names it)."""
        device = await self.devices.get(raw_id)
        async with self.devices.database.session_scope() as db:
            caller = await caller_of(db, device.id, call_id)
        if caller is None:
            raise NotFound(CALL_NOT_FOUND, code="call_not_found")
        await ask_live(self.devices, raw_id, REJECT_CALL, {"callId": call_id, "caller": caller})
