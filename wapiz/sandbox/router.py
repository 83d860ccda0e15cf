"""The sandbox's phone over HTTP: it stands in for scanning the QR code and for removing the
linked device on the handset. Mounted only when the sandbox engine is configured."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.devices.deps import DeviceReads
from wapiz.devices.status import DeviceStatus
from wapiz.http.deps import DatabaseDep
from wapiz.kit.schemas import ErrorBody, error_responses
from wapiz.sandbox.schemas import CallIn, CallOut, InboundIn, InboundOut, LinkIn, LinkOut
from wapiz.sandbox.service import SandboxPhoneService, sandbox_picture

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/sandbox", tags=["sandbox"],
                   route_class=TokenFirstRoute)


@router.post(
    "/devices/{id}/link",
    responses={
        **error_responses(401, 404, 409),
        202: {"model": LinkOut, "description": "Scanned; the runner has not confirmed yet."},
        503: {"model": ErrorBody, "description": "No QR code to scan yet; see Retry-After."},
    },
    summary="Link the device from a simulated phone: scan its QR code, or enter its pairing code",
)
async def link_device(
    id: str,
    body: LinkIn,
    response: Response,
    devices: DeviceReads,
) -> LinkOut:
    jid, now = await SandboxPhoneService(devices).link(id, body.phone, body.code)
    if not now.logged_in:
        response.status_code = status.HTTP_202_ACCEPTED
    return LinkOut(jid=jid, connected=now.connected, logged_in=now.logged_in, status=now.status)


@router.post(
    "/devices/{id}/unlink",
    responses=error_responses(401, 404, 409),
    summary="Remove the linked device on the simulated phone: the device is logged out",
)
async def unlink_device(id: str, devices: DeviceReads) -> DeviceStatus:
    return await SandboxPhoneService(devices).unlink(id)


@router.post(
    "/devices/{id}/inbound",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 409, 413),
    summary="A message to the device from any number (to test integrations)",
)
async def inject_inbound(id: str, body: InboundIn, devices: DeviceReads) -> InboundOut:
    return InboundOut(wa_message_id=await SandboxPhoneService(devices).inject(id, body))


@router.post(
    "/devices/{id}/call",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 409, 422),
    summary="A call to the device from any number: it rings (call.received)",
)
async def ring_device(id: str, body: CallIn, devices: DeviceReads) -> CallOut:
    return CallOut(call_id=await SandboxPhoneService(devices).call(id, body.sender, body.is_video))


# Profile pictures as WhatsApp's servers hand them out: to whoever has the URL (its id is
# random and new for every picture), without a login.
pictures_router = APIRouter(prefix="/api/sandbox", tags=["sandbox"])


@pictures_router.get(
    "/pictures/{picture_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {"schema": {"type": "string",
                                                           "format": "binary"}}}},
               **error_responses(404)},
    summary="A sandbox number's profile picture (the pictureUrl of a profile or contact)",
)
async def picture(picture_id: Annotated[str, Path(max_length=64)],
                  database: DatabaseDep) -> Response:
    return Response(await sandbox_picture(database, picture_id), media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=60"})
