"""Who may sign up: `WAPIZ_SIGNUP` by default, an admin's choice once made at run time
(`PATCH /api/admin/settings`). The choice is a row of `server_settings` read by its key on
every sign-up, so every API process follows a change at once, without a restart."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.repository import ServerSettingRepository
from wapiz.config import Settings, SignupMode
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.kit.errors import Forbidden
from wapiz.kit.text import Text

SIGNUP_KEY = "signup"
SIGNUP_MODES: tuple[SignupMode, ...] = get_args(SignupMode)
SIGNUP_CLOSED = Text("Pendaftaran ditutup di server ini: minta admin membuatkan akun",
                     "Sign-up is closed on this server: ask an admin for an account")
# Where the effective mode comes from: the environment, or an admin's change.
SignupSource = Literal["environment", "admin"]


@dataclass(frozen=True)
class SignupState:
    mode: SignupMode
    source: SignupSource
    changed_at: datetime | None = None
    changed_by: uuid.UUID | None = None


def _mode(value: str) -> SignupMode | None:
    return next((mode for mode in SIGNUP_MODES if mode == value), None)


async def signup_state(session: AsyncSession, settings: Settings) -> SignupState:
    """The effective sign-up mode: one read by primary key."""
    row = await ServerSettingRepository(session).get(SIGNUP_KEY)
    mode = _mode(row.value) if row is not None else None
    if row is None or mode is None:  # an unknown stored value: the environment's holds
        return SignupState(settings.signup, "environment")
    return SignupState(mode, "admin", row.updated_at, row.updated_by)


async def current_signup_mode(database: Database, settings: Settings) -> SignupMode:
    """`signup_state`'s mode, in a session of its own: no pooled connection is held through
    the password hashing that follows it."""
    async with database.session_scope() as session:
        return (await signup_state(session, settings)).mode


async def change_signup(session: AsyncSession, settings: Settings, mode: SignupMode | None,
                        admin_id: uuid.UUID) -> SignupState:
    """An admin's choice; None: back to `WAPIZ_SIGNUP`."""
    rows = ServerSettingRepository(session)
    if mode is None:
        await rows.drop(SIGNUP_KEY)
    else:
        await rows.put(SIGNUP_KEY, mode, admin_id, utc_now())
    return await signup_state(session, settings)


def refuse_closed_signup(mode: SignupMode) -> None:
    """403 `signup_closed` when sign-up is closed (before any work on the request)."""
    if mode == "closed":
        raise Forbidden(SIGNUP_CLOSED, code="signup_closed")
