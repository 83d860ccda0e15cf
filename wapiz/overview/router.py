"""A device's overview: `GET /api/devices/:id/stats`."""

from fastapi import APIRouter, Query

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.db.base import utc_now
from wapiz.kit.schemas import error_responses
from wapiz.overview.deps import Overview
from wapiz.overview.schemas import DeviceStats
from wapiz.overview.service import MAX_DAYS

router = APIRouter(prefix="/api/devices", tags=["overview"], route_class=TokenFirstRoute)


@router.get("/{id}/stats", responses=error_responses(401, 404),
            summary="The device's figures: messages and webhook success per day, queue depth, "
            "last event")
async def device_stats(id: str, overview: Overview,
                       days: int = Query(14, ge=1, le=MAX_DAYS, description=(
                           "How many days (UTC), today included."))) -> DeviceStats:
    return await overview.device_stats(id, days, utc_now())
