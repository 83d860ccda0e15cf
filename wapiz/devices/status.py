"""A device's status as the user should see it: the runner's view, unless the runner is gone.

The row says what the runner holding the lease last saw; a lease that has lapsed means no
runner is watching, so the device is reported disconnected rather than trusted stale.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from pydantic import Field

from wapiz.devices.models import DeviceSession, StatusName
from wapiz.engines.events import CONNECTING, phone_of
from wapiz.kit.schemas import ApiModel, Timestamp

# The field as the API describes it: inline, as the enum's values (the OpenAPI document names
# no separate schema for it).
StatusField = Literal[StatusName.LOGGED_IN, StatusName.CONNECTED, StatusName.DISCONNECTED]

# Reasons reported while no runner holds the device.
WAITING_FOR_RUNNER = "waiting_for_runner"
RUNNER_UNAVAILABLE = "runner_unavailable"


@dataclass(frozen=True, slots=True)
class SessionView:
    """What the API reads of a `device_sessions` row: an immutable snapshot (cacheable)."""

    runner: str | None
    epoch: int
    lease_expires_at: datetime | None
    connected: bool
    logged_in: bool
    reason: str | None
    detail: str | None
    last_reason: str | None
    last_detail: str | None
    last_disconnect_at: datetime | None
    jid: str | None
    qr_code: str | None
    qr_expires_at: datetime | None
    failures: int


def view_of(row: DeviceSession) -> SessionView:
    """The snapshot of a loaded `device_sessions` row."""
    return SessionView(*(getattr(row, field.name) for field in fields(SessionView)))


class LastDisconnect(ApiModel):
    reason: str
    detail: str | None
    at: Timestamp


class DeviceStatus(ApiModel):
    connected: bool
    logged_in: bool
    status: StatusField
    reason: str | None = Field(
        None,
        description="Why the device is not logged in, if known: removed_from_phone, "
        "temporary_ban, stream_replaced, keepalive_timeout, connect_failed, watchdog_silent, …",
    )
    detail: str | None = Field(None, description="More about the reason, as the engine said it.")
    last_disconnect: LastDisconnect | None = Field(
        None, description="The latest time the session dropped or was logged out, and why; "
        "kept after it recovers."
    )
    phone: str | None = Field(None, description="The linked WhatsApp number, once logged in.")


def status_name(connected: bool, logged_in: bool) -> StatusName:
    if connected and logged_in:
        return StatusName.LOGGED_IN
    return StatusName.CONNECTED if connected else StatusName.DISCONNECTED


def lease_alive(row: SessionView, now: datetime) -> bool:
    return (
        row.runner is not None and row.lease_expires_at is not None and (row.lease_expires_at > now)
    )


def last_disconnect(row: SessionView) -> LastDisconnect | None:
    if row.last_reason is None or row.last_disconnect_at is None:
        return None
    return LastDisconnect(reason=row.last_reason, detail=row.last_detail,
                          at=row.last_disconnect_at)


def current_status(row: SessionView | None, now: datetime) -> DeviceStatus:
    if row is None or row.epoch == 0:
        return DeviceStatus(
            connected=False, logged_in=False, status=StatusName.DISCONNECTED,
            reason=WAITING_FOR_RUNNER
        )
    if not lease_alive(row, now):
        reason = row.reason if row.runner is None and row.reason else RUNNER_UNAVAILABLE
        return DeviceStatus(connected=False, logged_in=False, status=StatusName.DISCONNECTED,
                            reason=reason,
                            last_disconnect=last_disconnect(row))
    logged_in = row.connected and row.logged_in
    return DeviceStatus(
        connected=row.connected,
        logged_in=logged_in,
        status=status_name(row.connected, row.logged_in),
        reason=None if logged_in else row.reason,
        detail=None if logged_in else row.detail,
        last_disconnect=last_disconnect(row),
        phone=phone_of(row.jid) if logged_in else None,
    )


def current_qr(row: SessionView | None, now: datetime) -> str | None:
    """The QR code a phone could scan right now, if any."""
    if row is None or not lease_alive(row, now) or row.logged_in or not row.qr_code:
        return None
    if row.qr_expires_at is not None and row.qr_expires_at <= now:
        return None
    return row.qr_code


def qr_coming(row: SessionView | None, now: datetime) -> bool:
    """Whether a QR code can be expected within moments: the device was just added (a runner
    takes it within its poll), or a runner holds it and is connecting, or showing codes,
    with no failure behind it. A device that failed to connect, waits out a backoff, or that
    no runner holds any more shows no code soon: nobody should wait for one."""
    if row is None or row.epoch == 0:
        return True
    if not lease_alive(row, now) or row.logged_in:
        return False
    return row.connected or (row.failures == 0 and row.reason in (None, CONNECTING))
