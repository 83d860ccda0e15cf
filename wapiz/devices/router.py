from fastapi import APIRouter, Body, Request, Response, status

from wapiz.accounts.deps import CurrentUser, TokenFirstRoute
from wapiz.db.base import utc_now
from wapiz.devices import live
from wapiz.devices.deps import DeviceReads, Devices, reader_for
from wapiz.devices.qr import qr_png
from wapiz.devices.schemas import (
    CheckIn,
    CheckOut,
    DeviceCreate,
    DeviceOut,
    DeviceRename,
    DeviceSettings,
    DeviceSettingsIn,
    PairIn,
    PairOut,
)
from wapiz.devices.status import DeviceStatus
from wapiz.http.etag import NOT_MODIFIED, conditional, conditional_json
from wapiz.kit.schemas import ErrorBody, OkBody, error_responses

# Token-first: a caller without a token gets 401 before any of its body is read.
QR_EXPIRES_IN = "X-QR-Expires-In"
router = APIRouter(prefix="/api/devices", tags=["devices"],
                   route_class=TokenFirstRoute)


# The status route comes first: clients poll it, and routes are matched in order.
@router.get(
    "/{id}/status", response_model=DeviceStatus, responses=NOT_MODIFIED | error_responses(401, 404),
    summary="The device's connection status (with an ETag: If-None-Match gives a 304)",
)
async def device_status(id: str, user: CurrentUser, request: Request) -> Response:
    # The most polled route: the reader is built here rather than by a dependency of its own.
    return conditional_json(request, await reader_for(request, user).status(id))


@router.get("", responses=error_responses(401), summary="List the account's devices")
async def list_devices(devices: Devices) -> list[DeviceOut]:
    return [DeviceOut.model_validate(device) for device in await devices.list()]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403),
    summary="Add a device (within the plan's device limit)",
)
async def create_device(devices: Devices, body: DeviceCreate | None = Body(None)) -> DeviceOut:
    return DeviceOut.model_validate(await devices.create(body.label if body else None))


@router.patch("/{id}", responses=error_responses(401, 404), summary="Rename a device")
async def rename_device(id: str, body: DeviceRename, devices: Devices) -> DeviceOut:
    return DeviceOut.model_validate(await devices.rename(id, body.label))


@router.delete(
    "/{id}",
    responses=error_responses(401, 404),
    summary="Delete a device: log it out, stop its session and remove its keys",
)
async def delete_device(id: str, devices: Devices) -> OkBody:
    await devices.delete(id)
    return OkBody()


@router.get(
    "/{id}/qr",
    response_model=DeviceStatus,
    responses={
        200: {
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
            "description": "PNG of the current QR code while the device is not logged in "
            "(X-QR-Expires-In: seconds until the next code replaces it); JSON status once it "
            "is.",
        },
        **NOT_MODIFIED,
        **error_responses(401, 404),
        503: {"model": ErrorBody, "description": "No QR code yet; see Retry-After."},
    },
    summary="The QR code to link the device (PNG), or its status once logged in",
)
async def device_qr(id: str, devices: DeviceReads, request: Request) -> Response | DeviceStatus:
    found = await devices.qr_or_status(id)
    if isinstance(found, DeviceStatus):
        return found
    # An ETag: a page polling for the next code gets a 304 while the code is the same. How
    # long until the next code replaces it, in seconds from now: a count, not a time, so no
    # client needs a clock in step with ours (and the server's `Date` can lag under load).
    headers = {"Cache-Control": "no-store"}
    if found.expires_at is not None:
        left = max(0.0, (found.expires_at - utc_now()).total_seconds())
        headers[QR_EXPIRES_IN] = f"{left:.1f}"
    return conditional(request, Response(qr_png(found.code), media_type="image/png",
                                         headers=headers))


@router.post(
    "/{id}/pair",
    responses={
        **error_responses(401, 404, 409),
        503: {"model": ErrorBody, "description": "The session is not showing QR codes yet, or "
              "WhatsApp refused; see Retry-After."},
    },
    summary="Link by pairing code: a code to type into WhatsApp on the given phone",
)
async def pair_device(id: str, body: PairIn, devices: DeviceReads) -> PairOut:
    return PairOut(code=await live.pairing_code(devices, id, body.phone))


@router.post(
    "/{id}/logout",
    responses={
        **error_responses(401, 404, 409),
        503: {"model": ErrorBody, "description": "The session did not answer; see Retry-After."},
    },
    summary="Unlink the WhatsApp number, keeping the device: pairing starts over (new QR)",
)
async def logout_device(id: str, devices: DeviceReads) -> OkBody:
    await live.logout(devices, id)
    return OkBody()


@router.post(
    "/{id}/restart",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **error_responses(401, 404),
        503: {"model": ErrorBody, "description": "No runner holds the device now, or it did "
              "not answer; see Retry-After."},
    },
    summary="Reconnect the device's session (its keys kept)",
)
async def restart_device(id: str, devices: DeviceReads) -> OkBody:
    await live.restart(devices, id)
    return OkBody()


@router.get("/{id}/settings", responses=error_responses(401, 404), summary="Device settings")
async def get_settings(id: str, devices: Devices) -> DeviceSettings:
    return DeviceSettings.model_validate(await devices.get(id))


@router.patch(
    "/{id}/settings",
    responses=error_responses(401, 404),
    summary="Change device settings; the session reconnects if its connection settings changed",
)
async def update_settings(id: str, body: DeviceSettingsIn, devices: Devices) -> DeviceSettings:
    changes = body.model_dump(include=body.model_fields_set)
    return DeviceSettings.model_validate(await devices.update_settings(id, changes))


@router.post(
    "/{id}/check",
    responses={
        **error_responses(401, 404, 409),
        503: {"model": ErrorBody, "description": "The session did not answer; see Retry-After."},
    },
    summary="Which numbers are on WhatsApp (asked through the device's session)",
)
async def check_numbers(id: str, body: CheckIn, devices: DeviceReads) -> CheckOut:
    return await live.check_numbers(devices, id, body.phones)
