"""The sandbox's phone over HTTP: it stands in for scanning the QR code and for removing the
linked device on the handset. Mounted only when the sandbox engine is configured."""

from fastapi import APIRouter, Response, status

from wapiz.accounts.deps import CurrentUser
from wapiz.deps import DatabaseDep, SessionDep, SettingsDep
from wapiz.devices.status import DeviceStatus
from wapiz.engines.sandbox.schemas import LinkIn, LinkOut
from wapiz.engines.sandbox.service import SandboxPhoneService
from wapiz.schemas import error_responses

router = APIRouter(prefix="/api/sandbox", tags=["sandbox"])


@router.post(
    "/devices/{id}/link",
    responses={
        **error_responses(401, 404, 409),
        202: {"model": LinkOut, "description": "Scanned; the runner has not confirmed yet."},
    },
    summary="Scan the device's current QR code with a simulated phone",
)
async def link_device(
    id: str,
    body: LinkIn,
    response: Response,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    database: DatabaseDep,
) -> LinkOut:
    phone = SandboxPhoneService(session, settings, user, database)
    jid, confirmed = await phone.link(id, body.phone)
    if confirmed is None:
        response.status_code = status.HTTP_202_ACCEPTED
        return LinkOut(jid=jid, connected=True, logged_in=False, status="connected")
    return LinkOut(
        jid=jid,
        connected=confirmed.connected,
        logged_in=confirmed.logged_in,
        status=confirmed.status,
    )


@router.post(
    "/devices/{id}/unlink",
    responses=error_responses(401, 404, 409),
    summary="Remove the linked device on the simulated phone: the device is logged out",
)
async def unlink_device(
    id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, database: DatabaseDep
) -> DeviceStatus:
    return await SandboxPhoneService(session, settings, user, database).unlink(id)
