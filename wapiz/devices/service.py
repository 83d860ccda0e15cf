"""Device rules: plan limits, deletion, settings. Never commits (the request does)."""

from collections.abc import Sequence

from sqlalchemy import ColumnDefault
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.plans import device_limit, plan_display_name
from wapiz.accounts.principal import Principal
from wapiz.accounts.repository import UserRepository
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.models import DEFAULT_LABEL, Device
from wapiz.devices.reader import DEVICE_NOT_FOUND, StatusCache, device_uuid
from wapiz.devices.repository import DeviceRepository
from wapiz.kit.addresses import (
    UnsafeAddress,
    check_public_host,
    mask_credentials,
    not_allowed,
    proxy_host_port,
)
from wapiz.kit.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from wapiz.kit.text import Text, same_in_both


def setting_default(name: str) -> object:
    """A device setting's default: its column's."""
    default = Device.__table__.c[name].default
    return default.arg if isinstance(default, ColumnDefault) else None


class PlanLimitReached(Forbidden):
    code = "plan_limit_reached"
    seed_exact = True  # the seed's 403, to the byte

    def __init__(self, plan: str, limit: int) -> None:
        super().__init__(same_in_both(f"Paket {plan_display_name(plan)} maksimal {limit} device"))


class DeviceService:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        user: Principal,
        statuses: StatusCache,
    ) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.devices = DeviceRepository.for_caller(session, user)
        self.statuses = statuses  # evicted when a device goes

    async def list(self) -> Sequence[Device]:
        return await self.devices.list()

    async def get(self, raw_id: str) -> Device:
        device = await self.devices.get(device_uuid(raw_id))
        if device is None:
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        return device

    async def create(self, label: str | None) -> Device:
        self.user.require_whole_account()
        # Lock the user first: simultaneous creates then count one after another. The plan is
        # read under the lock, so a plan changed a moment ago counts.
        users = UserRepository(self.session)
        await users.lock(self.user.id, utc_now())
        user = await users.get(self.user.id)
        if user is None:  # deleted while its token was still cached
            raise Unauthorized()
        limit = device_limit(self.settings, user.plan)
        if await self.devices.count() >= limit:
            raise PlanLimitReached(user.plan, limit)
        return await self.devices.add(Device(label=label or DEFAULT_LABEL))

    async def rename(self, raw_id: str, label: str) -> Device:
        device = await self.get(raw_id)
        device.label = label
        await self.session.flush()
        return device

    async def delete(self, raw_id: str) -> None:
        device = await self.get(raw_id)
        await self.devices.mark_deleted(device, utc_now())
        self.statuses.evict((self.user.id, device.id))

    async def update_settings(self, raw_id: str, changes: dict[str, object]) -> Device:
        """Apply the given settings; the runner restarts the session when one it uses changed."""
        device = await self.get(raw_id)
        proxy = changes.get("proxy")
        if isinstance(proxy, str):
            if device.proxy and proxy == mask_credentials(device.proxy):
                changes["proxy"] = device.proxy  # as shown (password masked): unchanged
            else:
                await self._check_proxy(proxy)
        for name, value in changes.items():
            # null: the setting's default (for the proxy and the cap, none).
            setattr(device, name, value if value is not None else setting_default(name))
        if device.min_delay_ms > device.max_delay_ms:
            raise InvalidInput(Text("minDelayMs tidak boleh lebih dari maxDelayMs",
                                    "minDelayMs must not be more than maxDelayMs"),
                               code="invalid_settings")
        await self.session.flush()
        return device

    async def _check_proxy(self, url: str) -> None:
        """A proxy whose host is, or resolves to, a non-public address is refused now (and
        checked again by the runner before every connect, as a name may resolve differently
        later)."""
        if self.settings.proxy_allow_private:
            return
        try:
            await check_public_host(*proxy_host_port(url))
        except UnsafeAddress as refused:
            raise InvalidInput(not_allowed("proxy", refused.reason, "WAPIZ_PROXY_ALLOW_PRIVATE"),
                               code="proxy_refused") from None
