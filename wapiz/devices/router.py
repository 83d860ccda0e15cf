from fastapi import APIRouter, Body, Response, status

from wapiz.accounts.deps import CurrentUser
from wapiz.deps import SessionDep, SettingsDep
from wapiz.devices.qr import qr_png
from wapiz.devices.schemas import DeviceCreate, DeviceOut, WebhookIn, WebhookOut
from wapiz.devices.service import DeviceService
from wapiz.devices.status import DeviceStatus
from wapiz.schemas import ErrorBody, OkBody, error_responses

router = APIRouter(prefix="/api/devices", tags=["devices"])


@router.get("", responses=error_responses(401), summary="List the account's devices")
async def list_devices(
    user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[DeviceOut]:
    devices = await DeviceService(session, settings, user).list()
    return [DeviceOut.model_validate(device) for device in devices]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403),
    summary="Add a device (within the plan's device limit)",
)
async def create_device(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    body: DeviceCreate | None = Body(None),
) -> DeviceOut:
    device = await DeviceService(session, settings, user).create(body.label if body else None)
    return DeviceOut.model_validate(device)


@router.delete(
    "/{id}",
    responses=error_responses(401, 404),
    summary="Delete a device: log it out, stop its session and remove its keys",
)
async def delete_device(
    id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> OkBody:
    await DeviceService(session, settings, user).delete(id)
    return OkBody()


@router.get(
    "/{id}/qr",
    response_model=DeviceStatus,
    responses={
        200: {
            "content": {"image/png": {}},
            "description": "PNG of the current QR code while the device is not logged in; "
            "JSON status once it is.",
        },
        **error_responses(401, 404),
        503: {"model": ErrorBody, "description": "No QR code yet; see Retry-After."},
    },
    summary="The QR code to link the device (PNG), or its status once logged in",
)
async def device_qr(
    id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response | DeviceStatus:
    found = await DeviceService(session, settings, user).qr_or_status(id)
    if isinstance(found, DeviceStatus):
        return found
    return Response(qr_png(found), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get(
    "/{id}/status", responses=error_responses(401, 404), summary="The device's connection status"
)
async def device_status(
    id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> DeviceStatus:
    return await DeviceService(session, settings, user).status(id)


@router.patch(
    "/{id}/webhook", responses=error_responses(401, 404), summary="Set or clear the webhook URL"
)
async def set_webhook(
    id: str, body: WebhookIn, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> WebhookOut:
    device = await DeviceService(session, settings, user).set_webhook(id, body.webhook_url)
    return WebhookOut(webhookUrl=device.webhook_url)
