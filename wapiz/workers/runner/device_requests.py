"""The runner's side of device requests (`wapiz.devices.requests` is the API's): the
pending requests for the devices this runner holds, and their answers or refusals. A request
is closed only while still pending, so an expired or forgotten one is never answered, and
only while the device is still this runner's at the epoch it was carried out under: a
runner that lost the device (a stall, a partition) leaves the request to its new holder."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.devices.models import DeviceRequest, RequestStatus
from wapiz.workers.runner.leases import Lease, held


class PendingRequests:
    def __init__(self, session: AsyncSession, runner: str) -> None:
        self.session = session
        self.runner = runner

    async def pending_for(self, device_ids: Sequence[uuid.UUID], now: datetime,
                          limit: int = 100) -> Sequence[DeviceRequest]:
        if not device_ids:
            return []
        statement = (
            select(DeviceRequest)
            .where(DeviceRequest.device_id.in_(device_ids),
                   DeviceRequest.status == RequestStatus.PENDING,
                   DeviceRequest.expires_at > now)
            .order_by(DeviceRequest.created_at)
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def answer(self, request_id: uuid.UUID, lease: Lease, result: dict[str, Any]) -> None:
        await self._close(request_id, lease, RequestStatus.DONE, result=result)

    async def refuse(self, request_id: uuid.UUID, lease: Lease, reason: str,
                     detail: str | None) -> None:
        await self._close(request_id, lease, RequestStatus.FAILED, error=reason[:500],
                          result={"detail": (detail or "")[:500]})

    async def _close(self, request_id: uuid.UUID, lease: Lease, status: RequestStatus,
                     **values: Any) -> None:
        await self.session.execute(
            update(DeviceRequest)
            .where(DeviceRequest.id == request_id, DeviceRequest.device_id == lease.device_id,
                   DeviceRequest.status == RequestStatus.PENDING, held(self.runner, lease))
            .values(status=status, **values)
        )

    async def delete_expired(self, device_ids: Sequence[uuid.UUID], now: datetime) -> None:
        """Those of our devices (another runner's are its own to clean up)."""
        if device_ids:
            await self.session.execute(
                delete(DeviceRequest).where(DeviceRequest.device_id.in_(device_ids),
                                            DeviceRequest.expires_at < now))
