"""Admission of logins and sign-ups: attempts are counted per email (known or not, so it
reveals nothing) and per client address, and each count has its allowance.

`admit_*` runs before any password is hashed, in a short unit of work of its own (committed
even though a failed login rolls its request back): it refuses the attempt while a lock on
any of its counts is in force, counts it, and reads what the password check needs. So
parallel guesses cannot slip past the limit, and no pooled connection is held through the
deliberately slow Argon2 check.

The attempt that uses up an allowance (and, after a lock ends, the first attempt) takes the
next lock itself before it is checked. A successful login clears its email's count and takes
itself back off its address's (an office behind one address logs in all day; its failures
still add up). Locks start at `WAPIZ_LOGIN_LOCKOUT_SECONDS` and double with each further
attempt, up to 15 minutes.

Rows whose window and lock are long past are deleted, a bounded batch at a time, at most
every `PRUNE_EVERY` per process and in a transaction of their own (which waits for no row
another holds, so it can never deadlock an admission). Admissions run at the pace of the
password hashes (a caller holds its turn, see `PasswordHashing`), far below what the pruning
removes, so the table holds little more than the last window's attempts, however many
emails are tried.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.repository import ThrottleRepository, UserRepository
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.kit.errors import TooManyRequests
from wapiz.kit.text import Text

FAILURE_WINDOW = timedelta(minutes=15)
MAX_LOCKOUT = timedelta(minutes=15)
MAX_DOUBLINGS = 10
PRUNE_EVERY = timedelta(seconds=10)
PRUNE_BATCH = 1000

LOGIN_FAILURES = Counter(
    "wapiz_login_failures_total", "Logins refused, by reason: bad_credentials (an unknown "
    "email or a wrong password), throttled (429: too many failures), disabled (a disabled "
    "account's right password).", ["reason"])
for _reason in ("bad_credentials", "throttled", "disabled"):  # shown from the start, at 0
    LOGIN_FAILURES.labels(_reason)

LOGIN_EMAIL = "login_email"
LOGIN_ADDRESS = "login_address"
SIGNUP_ADDRESS = "signup_address"

LOGIN_LOCKED = Text("Terlalu banyak percobaan login. Coba lagi dalam {seconds} detik.",
                    "Too many login attempts. Try again in {seconds} seconds.")
SIGNUP_LOCKED = Text("Terlalu banyak pendaftaran dari alamat ini. Coba lagi dalam {seconds} "
                     "detik.", "Too many sign-ups from this address. Try again in {seconds} "
                     "seconds.")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the password check needs; both None for an unknown email."""

    user_id: uuid.UUID | None
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class Count:
    """One thing attempts are counted against, and how many it allows before a lock."""

    kind: str
    subject: str
    allowance: int


class Throttle:
    """One per API process (it keeps the time of its last pruning)."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._next_prune = datetime.min.replace(tzinfo=UTC)

    async def admit_login(self, email: str, address: str, now: datetime) -> Credentials:
        """Count one login attempt for `email` from `address` and read the email's
        credentials, or refuse with 429."""
        counts = [Count(LOGIN_ADDRESS, address, self.settings.login_max_failures_per_address),
                  Count(LOGIN_EMAIL, email, self.settings.login_max_failures)]
        async with self.database.session_scope() as session:
            try:
                await self._admit(session, counts, now, LOGIN_LOCKED, "login_throttled")
            except TooManyRequests:
                LOGIN_FAILURES.labels("throttled").inc()
                raise
            found = await UserRepository(session).credentials(email)
        await self._prune(now)
        return Credentials(*found) if found else Credentials(None, None)

    async def admit_signup(self, address: str, now: datetime) -> None:
        """Count one sign-up from `address`, or refuse with 429."""
        count = Count(SIGNUP_ADDRESS, address, self.settings.signup_max_per_address)
        async with self.database.session_scope() as session:
            await self._admit(session, [count], now, SIGNUP_LOCKED, "signup_throttled")
        await self._prune(now)

    async def _admit(self, session: AsyncSession, counts: list[Count], now: datetime,
                     locked: Text, code: str) -> None:
        throttle = ThrottleRepository(session)
        # Every lock is looked at before anything is counted: a refused attempt counts
        # against nothing.
        for count in counts:
            until = await throttle.locked_until(count.kind, count.subject)
            if until is not None and until > now:
                raise self._locked(locked, code, until, now)
        for count in counts:
            attempts = await throttle.count_attempt(count.kind, count.subject, now,
                                                    FAILURE_WINDOW)
            over = attempts - count.allowance
            if over >= 0:
                until = now + self._lockout(over)
                if not await throttle.lock_unless_locked(count.kind, count.subject, now, until):
                    held = await throttle.locked_until(count.kind, count.subject)
                    raise self._locked(locked, code, held or until, now)

    async def _prune(self, now: datetime) -> None:
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY
        async with self.database.session_scope() as session:
            await ThrottleRepository(session).prune(
                now - max(FAILURE_WINDOW, MAX_LOCKOUT), now, PRUNE_BATCH)

    def _lockout(self, over: int) -> timedelta:
        first = timedelta(seconds=self.settings.login_lockout_seconds)
        factor: int = 2 ** min(over, MAX_DOUBLINGS)  # typeshed: int ** int is Any
        return min(first * factor, MAX_LOCKOUT)

    @staticmethod
    def _locked(locked: Text, code: str, until: datetime, now: datetime) -> TooManyRequests:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return TooManyRequests(locked.format(seconds=seconds), seconds, code=code)


async def login_succeeded(session: AsyncSession, email: str, address: str) -> None:
    """A right password: the email's count starts again, and the address's loses this one."""
    throttle = ThrottleRepository(session)
    # The rows in the order admissions take them (address, then email): no deadlock.
    await throttle.forgive_one(LOGIN_ADDRESS, address)
    await throttle.clear(LOGIN_EMAIL, email)
