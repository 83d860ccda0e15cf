from typing import Annotated

from fastapi import APIRouter, Path

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.calls.deps import Calls
from wapiz.kit.schemas import ErrorBody, OkBody, error_responses

router = APIRouter(prefix="/api/devices", tags=["calls"], route_class=TokenFirstRoute)

CallId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]


@router.post(
    "/{id}/calls/{call_id}/reject",
    responses={
        **error_responses(401, 404, 409, 422, 501, 502),
        503: {"model": ErrorBody, "description": "The session did not answer; see Retry-After."},
    },
    summary="Decline a call that rings the device (its callId from call.received)",
)
async def reject_call(id: str, call_id: CallId, calls: Calls) -> OkBody:
    await calls.reject(id, call_id)
    return OkBody()
