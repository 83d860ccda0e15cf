"""Reads of a user's devices that need no request transaction: status, QR, waiting.

Each read is a short session of its own, so a poller (`/status`, `/qr` waiting for a first
code, the sandbox phone waiting for a login) never pins a pooled connection while it waits.
Statuses are kept for `WAPIZ_STATUS_CACHE_SECONDS` in a per-process cache.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import Device
from wapiz.devices.repository import DeviceRepository
from wapiz.devices.status import (
    DeviceStatus,
    SessionView,
    current_qr,
    current_status,
    qr_coming,
)
from wapiz.kit.cache import TTLCache
from wapiz.kit.errors import NotFound, ServiceUnavailable
from wapiz.kit.ids import parse_uuid
from wapiz.kit.text import Text

DEVICE_NOT_FOUND = Text("Device tidak ditemukan", "Device not found")
NOT_LOGGED_IN = Text("Device belum terhubung ke WhatsApp",
                     "The device is not logged in to WhatsApp")
ALREADY_LINKED = Text("Device sudah terhubung", "The device is already linked")
POLL_INTERVAL_S = 0.1
QR_RETRY_AFTER_S = 2
T = TypeVar("T")

StatusCache = TTLCache[tuple[uuid.UUID, uuid.UUID], SessionView | None]


def device_uuid(raw_id: str) -> uuid.UUID:
    """A device id from a URL; a malformed one is simply a device that does not exist."""
    device_id = parse_uuid(raw_id)
    if device_id is None:
        raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
    return device_id


@dataclass(frozen=True, slots=True)
class ShownQr:
    """The QR code to show, and when it stops being good (the next one replaces it)."""

    code: str
    expires_at: datetime | None


class DeviceReader:
    def __init__(
        self, database: Database, settings: Settings, user: Principal, statuses: StatusCache
    ) -> None:
        self.database = database
        self.settings = settings
        self.user = user
        self.statuses = statuses

    async def get(self, raw_id: str) -> Device:
        async with self.database.session_scope() as session:
            device = await DeviceRepository.for_caller(session, self.user).get(device_uuid(raw_id))
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        return device

    async def _load(self, device_id: uuid.UUID) -> SessionView | None:
        async with self.database.session_scope() as session:
            devices = DeviceRepository.for_caller(session, self.user)
            exists, view = await devices.session_view(device_id)
        if not exists:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        return view

    async def view(self, raw_id: str) -> SessionView | None:
        """The session row as it is now (and remembered for the status cache)."""
        device_id = device_uuid(raw_id)
        view = await self._load(device_id)
        self.statuses.put((self.user.id, device_id), view)
        return view

    async def status(self, raw_id: str) -> DeviceStatus:
        """The status for pollers: at most `WAPIZ_STATUS_CACHE_SECONDS` old."""
        return await self.status_of(device_uuid(raw_id))

    async def status_of(self, device_id: uuid.UUID) -> DeviceStatus:
        # The cache is the account's: a key limited to another device must not read it.
        if not self.user.reaches(device_id):
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        view = await self.statuses.get_or_load(
            (self.user.id, device_id), lambda: self._load(device_id)
        )
        return current_status(view, utc_now())

    async def wait_for(
        self, raw_id: str, read: Callable[[SessionView | None], T | None], within: float,
        worth_waiting: Callable[[SessionView | None], bool] = lambda _: True,
    ) -> T | None:
        """Poll the session row until `read` returns something, time runs out, or the row
        says that nothing is coming (`worth_waiting` false)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            view = await self.view(raw_id)
            found = read(view)
            if (found is not None or not worth_waiting(view)
                    or asyncio.get_running_loop().time() >= deadline):
                return found
            await asyncio.sleep(POLL_INTERVAL_S)

    async def qr_or_status(self, raw_id: str) -> ShownQr | DeviceStatus:
        """The QR code to show, or the status once the device is logged in (else 503).

        Right after a device is created, or while it connects, the runner needs a moment to
        present a QR: wait a little for it rather than send the client away at once. When no
        code can come soon (connecting failed, no runner holds the device) answer at once.
        """

        def qr_or_logged_in(view: SessionView | None) -> ShownQr | DeviceStatus | None:
            status = current_status(view, utc_now())
            if status.logged_in:
                return status
            code = current_qr(view, utc_now())
            return ShownQr(code, view.qr_expires_at) if code and view else None

        found: ShownQr | DeviceStatus | None = await self.wait_for(
            raw_id, qr_or_logged_in, self.settings.qr_wait_seconds,
            lambda view: qr_coming(view, utc_now()))
        if found is None:
            status = current_status(await self.view(raw_id), utc_now())
            raise ServiceUnavailable(
                Text("QR code belum tersedia ({state}), coba lagi",
                     "No QR code yet ({state}); try again")
                .format(state=status.reason or status.status),
                retry_after=QR_RETRY_AFTER_S, code="qr_not_ready",
            )
        return found
