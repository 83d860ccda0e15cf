"""Throttling of failed logins, per email.

Failures are recorded in a unit of work of their own: the login request itself fails (and
rolls back), but the failure must still count.
"""

import math
from datetime import datetime, timedelta

from wapiz.accounts.repository import LoginThrottleRepository
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.errors import TooManyRequests

FAILURE_WINDOW = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(minutes=15)


class LoginThrottle:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def check(self, email: str, now: datetime) -> None:
        async with self.database.session_scope() as session:
            locked_until = await LoginThrottleRepository(session).locked_until(email)
        if locked_until is not None and locked_until > now:
            raise self._locked(locked_until, now)

    async def record_failure(self, email: str, now: datetime) -> None:
        async with self.database.session_scope() as session:
            repository = LoginThrottleRepository(session)
            failures = await repository.add_failure(email, now, FAILURE_WINDOW)
            excess = failures - self.settings.login_max_failures
            if excess >= 0:
                first = timedelta(seconds=self.settings.login_lockout_seconds)
                await repository.lock_until(email, now + min(first * 2**excess, MAX_LOCKOUT))

    async def clear(self, email: str) -> None:
        async with self.database.session_scope() as session:
            await LoginThrottleRepository(session).clear(email)

    @staticmethod
    def _locked(until: datetime, now: datetime) -> TooManyRequests:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return TooManyRequests(
            f"Terlalu banyak percobaan login. Coba lagi dalam {seconds} detik.", seconds
        )
