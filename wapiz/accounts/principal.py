"""Who a request acts for: the user's id behind a checked login token or API key.

Deliberately only that: it is cached per API process (see `accounts.deps`), while a user's
plan and profile can change in another process, so they are read fresh where they matter.
An API key limited to one device carries that device (both its ids): every device and
message the request reaches is that one.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from wapiz.kit.errors import Forbidden
from wapiz.kit.text import Text

LIMITED_TO_DEVICE = Text(
    "Kunci API ini hanya untuk satu device: pakai login atau kunci untuk seluruh akun",
    "This API key is limited to one device: use a login or a key for the whole account")


@dataclass(frozen=True, slots=True)
class DeviceScope:
    """The one device a key reaches: its resource `id` and its public `deviceId`."""

    key: uuid.UUID
    device_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Principal:
    id: uuid.UUID
    token_expires_at: datetime
    # The API key in use; None for a login token.
    key_id: uuid.UUID | None = None
    device: DeviceScope | None = None

    @property
    def only_device(self) -> uuid.UUID | None:
        """The public deviceId this caller is limited to, if any (for queries)."""
        return self.device.device_id if self.device else None

    def reaches(self, device_key: uuid.UUID) -> bool:
        """Whether the device with this resource id is within the caller's reach (its
        account's devices are checked by the query; this is the key's limit)."""
        return self.device is None or self.device.key == device_key

    def require_whole_account(self) -> None:
        """403 for a key limited to one device, where the request is about the account
        (adding devices, managing keys, the admin area)."""
        if self.device is not None:
            raise Forbidden(LIMITED_TO_DEVICE, code="key_limited_to_device")
