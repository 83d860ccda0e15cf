"""API key rules: making, listing and revoking a user's keys, and what a presented key
stands for. Never commits (the caller does)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts import security
from wapiz.accounts.principal import Principal
from wapiz.accounts.repository import UserRepository
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.devices.repository import DeviceRepository
from wapiz.keys import repository
from wapiz.keys.models import ApiKey
from wapiz.keys.repository import KeyRepository
from wapiz.keys.schemas import KeyCreated, KeyOut
from wapiz.kit.errors import Conflict, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.text import Text

MAX_KEYS_PER_ACCOUNT = 50
# A key's last use is written at most this often: no write per request.
LAST_USED_EVERY = timedelta(minutes=1)
# A key does not expire; its principal's "expiry" is never reached.
NEVER = datetime.max.replace(tzinfo=UTC)
KEY_NOT_FOUND = Text("Kunci API tidak ditemukan", "API key not found")


async def key_principal(session: AsyncSession, key_hash: str) -> Principal | None:
    """Who the key with this hash acts for (None: no such key, or its user is disabled);
    records its use at most once per `LAST_USED_EVERY`."""
    found = await repository.presented_key(session, key_hash)
    if found is None:
        return None
    now = utc_now()
    if found.last_used_at is None or found.last_used_at < now - LAST_USED_EVERY:
        await repository.touch(session, found.key_id, now, now - LAST_USED_EVERY)
    # A device deleted meanwhile still limits the key: to nothing (its rows are gone).
    return Principal(found.user_id, NEVER, key_id=found.key_id, only_device=found.device_id)


def key_out(key: ApiKey, device_public_id: uuid.UUID | None) -> KeyOut:
    """The key as shown: its device (the row holds its `id`) named by its `deviceId`."""
    return KeyOut(id=key.id, name=key.name, device_public_id=device_public_id,
                  prefix=key.prefix, created_at=key.created_at, last_used_at=key.last_used_at)


class KeyService:
    def __init__(self, session: AsyncSession, settings: Settings, user: Principal) -> None:
        user.require_whole_account()
        self.session = session
        self.settings = settings
        self.user = user
        self.keys = KeyRepository(session, user.id)

    async def list(self) -> list[KeyOut]:
        return [key_out(key, public_id) for key, public_id in await self.keys.list()]

    async def create(self, name: str, device_public_id: uuid.UUID | None) -> KeyCreated:
        # Lock the user first: simultaneous creates then count one after another.
        await UserRepository(self.session).lock(self.user.id, utc_now())
        if await self.keys.count() >= MAX_KEYS_PER_ACCOUNT:
            raise Conflict(Text("Maksimal {limit} kunci API per akun: cabut yang tidak "
                                "dipakai", "At most {limit} API keys per account: revoke "
                                "unused ones").format(limit=MAX_KEYS_PER_ACCOUNT),
                           code="key_limit_reached")
        device_id = None
        if device_public_id is not None:
            device = await DeviceRepository(self.session, self.user.id).by_public_id(
                device_public_id)
            if device is None:
                raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
            device_id = device.id
        secret = security.new_key()
        key = await self.keys.add(ApiKey(
            name=name, key_hash=security.hash_token(self.settings.secret, secret),
            prefix=secret[:security.KEY_SHOWN], device_id=device_id, created_at=utc_now()))
        return KeyCreated(key=secret, **key_out(key, device_public_id).model_dump())

    async def revoke(self, raw_id: str) -> str:
        """Delete the key; returns its hash (for the caller to evict from its cache)."""
        key_id = parse_uuid(raw_id)
        key = await self.keys.get(key_id) if key_id else None
        if key is None or not await self.keys.remove(key.id):
            raise NotFound(KEY_NOT_FOUND, code="key_not_found")
        return key.key_hash
