"""A device's overview figures. Reads only; never commits."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.devices.reader import DEVICE_NOT_FOUND, device_uuid
from wapiz.kit.errors import NotFound
from wapiz.overview.repository import DeviceStatsQueries
from wapiz.overview.schemas import DeviceStats
from wapiz.webhooks.models import DeliveryStatus

MAX_DAYS = 31


def day_bounds(days: int, now: datetime) -> list[datetime]:
    """The starts of the last `days` UTC days (today included), and tomorrow's start."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return [today - timedelta(days=days - 1 - n) for n in range(days + 1)]


def _rate(succeeded: int, failed: int) -> float | None:
    finished = succeeded + failed
    return round(succeeded / finished, 4) if finished else None


class OverviewService:
    def __init__(self, session: AsyncSession, user: Principal) -> None:
        self.user = user
        self.queries = DeviceStatsQueries(session, user.id)

    async def device_stats(self, raw_id: str, days: int, now: datetime) -> DeviceStats:
        device = await self.queries.owned_device(device_uuid(raw_id))
        # A key limited to one device sees no other, as if it were not there.
        if device is None or not self.user.reaches(device.id):
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        bounds = day_bounds(days, now)
        sent, received = await self.queries.sent_and_received(device, bounds)
        finished = await self.queries.deliveries_finished(device, bounds)
        succeeded = finished[DeliveryStatus.SUCCEEDED]
        failed = finished[DeliveryStatus.FAILED]
        return DeviceStats(
            days=[start.date() for start in bounds[:-1]],
            sent=sent, received=received,
            webhook_succeeded=succeeded, webhook_failed=failed,
            webhook_success_rate=[_rate(s, f) for s, f in zip(succeeded, failed, strict=True)],
            queue_depth=await self.queries.queue_depth(device),
            webhook_pending=await self.queries.webhook_pending(device),
            last_event_at=await self.queries.last_event_at(device),
        )
