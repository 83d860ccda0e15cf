"""Who a request acts for: the user's id behind a checked login token or API key.

Deliberately only that: it is cached per API process (see `accounts.deps`), while a user's
plan and profile can change in another process, so they are read fresh where they matter.
An API key limited to one device carries that device's `id`: every device and message the
request reaches is that one.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.kit.errors import Forbidden
from wapiz.kit.text import Text

LIMITED_TO_DEVICE = Text(
    "Kunci API ini hanya untuk satu device: pakai login atau kunci untuk seluruh akun",
    "This API key is limited to one device: use a login or a key for the whole account")


@dataclass(frozen=True, slots=True)
class Principal:
    id: uuid.UUID
    token_expires_at: datetime
    # The API key in use; None for a login token.
    key_id: uuid.UUID | None = None
    # The one device (its `id`) the API key reaches; None: every device of the account.
    only_device: uuid.UUID | None = None

    def reaches(self, device_id: uuid.UUID) -> bool:
        """Whether the device with this `id` is within the caller's reach (its account's
        devices are checked by the query; this is the key's limit)."""
        return self.only_device is None or self.only_device == device_id

    def require_whole_account(self) -> None:
        """403 for a key limited to one device, where the request is about the account
        (adding devices, managing keys, the admin area)."""
        if self.only_device is not None:
            raise Forbidden(LIMITED_TO_DEVICE, code="key_limited_to_device")


class CallerRows:
    """A repository of one account's rows, of them only the key's device's when the caller's
    API key is limited to one: every query a subclass makes starts from `user_id` and, when
    set, `only_device` (a device's `id`)."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID,
                 only_device: uuid.UUID | None = None) -> None:
        self.session = session
        self.user_id = user_id
        self.only_device = only_device

    @classmethod
    def for_caller(cls, session: AsyncSession, caller: Principal) -> Self:
        return cls(session, caller.id, caller.only_device)
