"""Who is calling: the `wa_token` cookie or an `Authorization: Bearer` token.

Every authenticated request passes through here, so it is kept to one dependency that reads
the token, settings and cache straight off the request (each FastAPI dependency has a cost),
and needs no request transaction.
The OpenAPI description declares both schemes (see `wapiz.app`).
"""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.principal import Principal
from wapiz.accounts.security import hash_token
from wapiz.accounts.service import AccountService
from wapiz.cache import TTLCache
from wapiz.db.base import utc_now
from wapiz.errors import Unauthorized

TOKEN_COOKIE = "wa_token"


def request_token(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise Unauthorized()
    return token


def principal_cache(request: Request) -> TTLCache[str, Principal | None]:
    """token hash → principal, for `WAPIZ_AUTH_CACHE_SECONDS`; logout here evicts at once."""
    return request.app.state.principal_cache


async def authenticate(request: Request) -> Principal:
    """The caller, from this process's token cache or one read in a session of its own."""
    settings = request.app.state.settings
    token_hash = hash_token(settings.secret, request_token(request))

    async def load() -> Principal | None:
        async with request.app.state.database.session_scope() as session:
            return await AccountService(session, settings).principal_for(token_hash)

    principal = await principal_cache(request).get_or_load(token_hash, load)
    if principal is None or principal.token_expires_at <= utc_now():
        raise Unauthorized()
    return principal


CurrentUser = Annotated[Principal, Depends(authenticate)]
