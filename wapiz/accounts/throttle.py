"""Admission of login attempts: a throttle per email (known or not, so it reveals nothing).

`admit` runs before the password is checked, in a short unit of work of its own (committed
even though a failed login rolls its request back): it counts the attempt, refuses it while
a lock is in force, and reads what the password check needs. So parallel guesses cannot slip
past the limit, and no pooled connection is held through the deliberately slow Argon2 check.

The attempt that uses up the allowance (and, after a lock ends, the first attempt) takes the
next lock itself before it is checked; a successful login clears the count and the lock.
Locks start at `WAPIZ_LOGIN_LOCKOUT_SECONDS` and double with each further failure.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from wapiz.accounts.repository import LoginThrottleRepository, UserRepository
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.errors import TooManyRequests
from wapiz.text import Text

FAILURE_WINDOW = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(minutes=15)
MAX_DOUBLINGS = 10


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the password check needs; both None for an unknown email."""

    user_id: uuid.UUID | None
    password_hash: str | None


class LoginThrottle:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def admit(self, email: str, now: datetime) -> Credentials:
        """Count one login attempt for `email` and read its credentials, or refuse with 429."""
        async with self.database.session_scope() as session:
            throttle = LoginThrottleRepository(session)
            locked_until = await throttle.locked_until(email)
            if locked_until is not None and locked_until > now:
                raise self._locked(locked_until, now)
            attempts = await throttle.count_attempt(email, now, FAILURE_WINDOW)
            over = attempts - self.settings.login_max_failures
            if over >= 0:
                until = now + self._lockout(over)
                if not await throttle.lock_unless_locked(email, now, until):
                    raise self._locked(await throttle.locked_until(email) or until, now)
            found = await UserRepository(session).credentials(email)
        return Credentials(*found) if found else Credentials(None, None)

    def _lockout(self, over: int) -> timedelta:
        first = timedelta(seconds=self.settings.login_lockout_seconds)
        return min(first * 2 ** min(over, MAX_DOUBLINGS), MAX_LOCKOUT)

    @staticmethod
    def _locked(until: datetime, now: datetime) -> TooManyRequests:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return TooManyRequests(
            Text("Terlalu banyak percobaan login. Coba lagi dalam {seconds} detik.",
                 "Too many login attempts. Try again in {seconds} seconds.")
            .format(seconds=seconds), seconds, code="login_throttled")
