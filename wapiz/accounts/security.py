"""Password hashing (Argon2) and login tokens (random, stored only as keyed hashes)."""

import asyncio
import contextlib
import functools
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wapiz.kit.errors import ServiceUnavailable
from wapiz.kit.text import Text

TOKEN_PREFIX = "wapiz_"
# API keys look different from login tokens, so a credential says which table holds it.
KEY_PREFIX = "wpz_"
KEY_SHOWN = len(KEY_PREFIX) + 8  # the part of a key kept visible in lists
# Invite codes: what a sign-up form (or its link) carries.
INVITE_BYTES = 18
_hasher = PasswordHasher()
# Callers that may wait for a free slot, per slot: at a tenth to a quarter of a second a
# hash, a waiting caller is answered within a second or two; the rest are refused at once.
WAITING_PER_SLOT = 4
BUSY = Text("Server sedang sibuk memeriksa password. Coba lagi sebentar lagi.",
            "The server is busy checking passwords. Try again in a moment.")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a miss costs as much time as a wrong
    password. Made on first use: hashing is slow on purpose, and every process (each CLI
    command among them) would pay for it at start."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordHashing:
    """The Argon2 work of one process. Each hash takes a core and 64 MiB for a moment, so at
    most `slots` run at once (off the event loop); `WAITING_PER_SLOT` callers per slot may
    wait their turn, and a caller beyond those is refused at once (503) instead of piling up.

    A caller takes its `turn()` before anything else (the throttle's bookkeeping included),
    so a refused one costs nothing; `hash`/`verify` then wait for a slot.
    """

    def __init__(self, slots: int) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._room = slots * (1 + WAITING_PER_SLOT)
        self._callers = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._callers >= self._room:
            raise ServiceUnavailable(BUSY, 1, code="busy")
        self._callers += 1
        try:
            yield
        finally:
            self._callers -= 1

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await anyio.to_thread.run_sync(_hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether `password` is the one hashed; an unknown user (None) costs the same."""
        async with self._slots:
            matches = await anyio.to_thread.run_sync(_verify, password_hash, password)
        return matches and password_hash is not None


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def is_api_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


def new_invite_code() -> str:
    return secrets.token_urlsafe(INVITE_BYTES)
