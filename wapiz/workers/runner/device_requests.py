"""The runner's side of device requests (`wapiz.devices.requests` is the API's): the
pending requests for the devices this runner holds, and their answers or refusals. A request
is closed only while still pending, so an expired or forgotten one is never answered."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.devices.models import DeviceRequest, RequestStatus


class PendingRequests:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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

    async def answer(self, request_id: uuid.UUID, result: dict[str, Any]) -> None:
        await self._close(request_id, RequestStatus.DONE, result=result)

    async def refuse(self, request_id: uuid.UUID, reason: str, detail: str | None) -> None:
        await self._close(request_id, RequestStatus.FAILED, error=reason[:500],
                          result={"detail": (detail or "")[:500]})

    async def _close(self, request_id: uuid.UUID, status: RequestStatus, **values: Any) -> None:
        await self.session.execute(
            update(DeviceRequest)
            .where(DeviceRequest.id == request_id, DeviceRequest.status == RequestStatus.PENDING)
            .values(status=status, **values)
        )

    async def delete_expired(self, now: datetime) -> None:
        await self.session.execute(delete(DeviceRequest).where(DeviceRequest.expires_at < now))
