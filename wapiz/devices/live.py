"""What only a device's live session can answer: a pairing code (linking without a QR
scan), which numbers are on WhatsApp, and (`ask_live`) whatever a domain asks of it. The
request goes to the runner through the database (devices/requests.py)."""

from typing import Any

from wapiz.db.base import utc_now
from wapiz.devices.reader import ALREADY_LINKED, NOT_LOGGED_IN, DeviceReader
from wapiz.devices.requests import (
    CHECK_NUMBERS,
    LOGOUT,
    PAIR_PHONE,
    RESTART,
    RequestFailed,
    ask_session,
    no_runner,
)
from wapiz.devices.schemas import CheckOut, NumberCheck
from wapiz.devices.status import DeviceStatus, current_status, lease_alive
from wapiz.engines.base import FORBIDDEN, NOT_FOUND, NOT_SUPPORTED
from wapiz.kit.errors import (
    BadGateway,
    Conflict,
    Forbidden,
    NotFound,
    NotSupportedByEngine,
    ServiceUnavailable,
    WapizError,
)
from wapiz.kit.phones import phone_digits
from wapiz.kit.text import Text

# Longer than the engine's own limit on asking WhatsApp (20 s): a code that comes late must
# still reach the user, whose phone has already been told to expect it.
PAIR_WAIT_S = 30.0
CHECK_WAIT_S = 40.0  # longer than the engine's limit on one call (30 s)
NOT_READY_RETRY_AFTER_S = 2
# Longer than the engine's limit on one call (engine_call_timeout_seconds): its answer must
# still reach us.
CALL_WAIT_MARGIN_S = 10.0


def refusal(failure: RequestFailed) -> WapizError:
    """The HTTP error for a session's refusal: 501 where the engine lacks the call, 503
    while the session is not connected, 403 for what WhatsApp does not allow this number
    (a group's admins only), 404 for what WhatsApp does not know, else 502 with WhatsApp's
    reason."""
    if failure.reason == NOT_SUPPORTED:
        return NotSupportedByEngine(Text(
            "Engine WhatsApp server ini tidak mendukung ini: {detail}",
            "This server's WhatsApp engine does not support this: {detail}",
        ).format(detail=failure.detail or failure.reason))
    if failure.reason == "not_connected":
        return ServiceUnavailable(Text("Device sedang tidak terhubung, coba lagi",
                                       "The device is not connected; try again"),
                                  retry_after=NOT_READY_RETRY_AFTER_S, code="device_not_ready")
    if failure.reason == FORBIDDEN:
        return Forbidden(Text("WhatsApp tidak mengizinkan: {detail}",
                              "WhatsApp does not allow it: {detail}")
                         .format(detail=failure.detail or failure.reason),
                         code="whatsapp_forbidden")
    if failure.reason == NOT_FOUND:
        return NotFound(Text("Tidak dikenal WhatsApp: {detail}",
                             "WhatsApp does not know it: {detail}")
                        .format(detail=failure.detail or failure.reason),
                        code="whatsapp_not_found")
    return BadGateway(Text("WhatsApp menolak: {reason}", "WhatsApp refused: {reason}")
                      .format(reason=failure), code="whatsapp_refused")


async def held_status(devices: DeviceReader, raw_id: str) -> DeviceStatus:
    """The device's status for an operation its live session must do. While no runner holds
    it: a device with no number linked (new, or logged out) is reported as it is, not logged
    in, since no runner could change that; a linked one is 503 `runner_unavailable`, since
    nobody can tell whether it is still logged in."""
    row, now = await devices.view(raw_id), utc_now()
    if row is not None and row.jid is not None and not lease_alive(row, now):
        raise no_runner()
    return current_status(row, now)


async def ask_live(devices: DeviceReader, raw_id: str, kind: str, payload: dict[str, Any],
                   *, needs_login: bool = True) -> dict[str, Any]:
    """Have the device's session do `kind` (a call in workers/runner/calls/): its answer.
    409 if it must be logged in and is not; a refusal as `refusal` words it."""
    device = await devices.get(raw_id)
    if not (await held_status(devices, raw_id)).logged_in and needs_login:
        raise Conflict(NOT_LOGGED_IN, code="device_not_logged_in")
    try:
        return await ask_session(devices.database, device.id, kind, payload,
                                 devices.settings.engine_call_timeout_seconds
                                 + CALL_WAIT_MARGIN_S)
    except RequestFailed as failure:
        raise refusal(failure) from None


async def pairing_code(devices: DeviceReader, raw_id: str, phone: str) -> str:
    device = await devices.get(raw_id)
    status = await held_status(devices, raw_id)
    if status.logged_in:
        raise Conflict(ALREADY_LINKED, code="device_already_linked")
    try:
        result = await ask_session(devices.database, device.id, PAIR_PHONE, {"phone": phone},
                                   PAIR_WAIT_S)
    except RequestFailed as failure:
        if failure.reason == "not_connected":
            raise ServiceUnavailable(
                Text("Device belum siap untuk pairing ({state}), coba lagi",
                     "The device is not ready for pairing ({state}); try again")
                .format(state=status.reason or status.status),
                retry_after=NOT_READY_RETRY_AFTER_S, code="device_not_ready",
            ) from None
        raise ServiceUnavailable(Text("Pairing ditolak: {reason}", "Pairing refused: {reason}")
                                 .format(reason=failure),
                                 retry_after=NOT_READY_RETRY_AFTER_S,
                                 code="pairing_refused") from None
    return str(result["code"])


async def numbers_on_whatsapp(devices: DeviceReader, raw_id: str,
                              phones: list[str]) -> dict[str, str | None]:
    """phone → its WhatsApp id, or None when the number is not on WhatsApp."""
    device = await devices.get(raw_id)
    status = await held_status(devices, raw_id)
    if not status.logged_in:
        raise Conflict(NOT_LOGGED_IN, code="device_not_logged_in")
    try:
        result = await ask_session(devices.database, device.id, CHECK_NUMBERS,
                                   {"phones": phones}, CHECK_WAIT_S)
    except RequestFailed as failure:
        raise ServiceUnavailable(Text("Pengecekan nomor gagal: {reason}",
                                      "The number check failed: {reason}").format(reason=failure),
                                 retry_after=NOT_READY_RETRY_AFTER_S,
                                 code="check_failed") from None
    return dict(result["found"])


async def check_numbers(devices: DeviceReader, raw_id: str, raw_phones: list[str]) -> CheckOut:
    """Each number as given, read as people write it, and whether it is on WhatsApp (the
    session is asked once, for the distinct valid ones)."""
    country = devices.settings.default_country_code
    given = [(raw, phone_digits(raw, country)) for raw in raw_phones]
    found = await numbers_on_whatsapp(devices, raw_id, sorted({p for _, p in given if p}))
    return CheckOut(results=[
        NumberCheck(phone=raw, normalized=phone, on_whatsapp=bool(found.get(phone or "")),
                    jid=found.get(phone or "")) for raw, phone in given
    ])


async def logout(devices: DeviceReader, raw_id: str) -> None:
    """Unlink the number; the device stays (settings, webhook, messages) and shows a new QR
    code for the next pairing."""
    await ask_live(devices, raw_id, LOGOUT, {})


async def restart(devices: DeviceReader, raw_id: str) -> None:
    """Reconnect the device's session from the start, whatever state it is in."""
    await ask_live(devices, raw_id, RESTART, {}, needs_login=False)
