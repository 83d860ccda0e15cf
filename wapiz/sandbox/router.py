"""The sandbox's phone over HTTP: it stands in for scanning the QR code and for removing the
linked device on the handset. Mounted only when the sandbox engine is configured."""

from fastapi import APIRouter, Response, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.devices.deps import DeviceReads
from wapiz.devices.status import DeviceStatus
from wapiz.kit.schemas import ErrorBody, error_responses
from wapiz.sandbox.schemas import InboundIn, InboundOut, LinkIn, LinkOut
from wapiz.sandbox.service import SandboxPhoneService

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
