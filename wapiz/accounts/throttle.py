"""Throttling of logins, per email (known or not, so the throttle reveals nothing).

Each attempt is counted before its password is checked, atomically and in a unit of work of
its own (committed even though a failed login rolls its request back), so parallel guesses
cannot slip past the limit. A successful login clears the count in its own transaction.
"""

import math
from datetime import datetime, timedelta

from wapiz.accounts.repository import LoginThrottleRepository
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.errors import TooManyRequests

FAILURE_WINDOW = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(minutes=15)
MAX_DOUBLINGS = 10


class LoginThrottle:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def admit(self, email: str, now: datetime) -> None:
        """Count one login attempt for `email`, or refuse it with 429."""
        async with self.database.session_scope() as session:
            repository = LoginThrottleRepository(session)
            locked_until = await repository.locked_until(email)
            if locked_until is not None and locked_until > now:
                raise self._locked(locked_until, now)
            attempts = await repository.add_failure(email, now, FAILURE_WINDOW)
            excess = attempts - self.settings.login_max_failures
            if excess <= 0:
                return
            lockout = min(
                timedelta(seconds=self.settings.login_lockout_seconds)
                * 2 ** min(excess - 1, MAX_DOUBLINGS),
                MAX_LOCKOUT,
            )
            await repository.lock_until(email, now + lockout)
        raise self._locked(now + lockout, now)

    @staticmethod
    def _locked(until: datetime, now: datetime) -> TooManyRequests:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return TooManyRequests(
            f"Terlalu banyak percobaan login. Coba lagi dalam {seconds} detik.", seconds
        )
