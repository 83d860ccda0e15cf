"""The rows a notice is written through: the device's, fenced by its lease."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select

from wapiz.webhooks import outbox
from wapiz.webhooks.events import EventData
from wapiz.workers.runner.device_rows import DeviceRows
from wapiz.workers.runner.leases import LeaseLost


class NoticeRows(DeviceRows):
    """A device's rows while a notice is written: the fence first, then its events."""

    async def check_held(self) -> None:
        """LeaseLost unless this runner still holds the device."""
        if not await self.session.scalar(select(self._held)):
            raise LeaseLost(f"device {self.device_id} is held by another runner now")

    async def record(self, event_type: str, data: EventData) -> None:
        """One event of the device's (and its delivery, where its webhook wants it)."""
        target = await self._webhook_target()
        if target is not None:
            await outbox.write(self.session, target, [(event_type, data)])


NoticeWriter = Callable[[NoticeRows, Any], Awaitable[None]]
