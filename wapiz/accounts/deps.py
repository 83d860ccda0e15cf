"""Who is calling: the `wa_token` cookie or an `Authorization: Bearer` token."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from wapiz.accounts.principal import Principal
from wapiz.accounts.service import AccountService
from wapiz.cache import TTLCache
from wapiz.db.base import utc_now
from wapiz.deps import SessionDep, SettingsDep
from wapiz.errors import Unauthorized

TOKEN_COOKIE = "wa_token"

# Declared for OpenAPI (Swagger's "Authorize" button); either one is enough.
_cookie_scheme = APIKeyCookie(name=TOKEN_COOKIE, auto_error=False)
_bearer_scheme = HTTPBearer(auto_error=False)


def request_token(
    cookie: Annotated[str | None, Depends(_cookie_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> str:
    token = bearer.credentials if bearer else cookie
    if not token:
        raise Unauthorized()
    return token


def principal_cache(request: Request) -> TTLCache[str, Principal | None]:
    """token hash → principal, for `WAPIZ_AUTH_CACHE_SECONDS`; logout here evicts at once."""
    return request.app.state.principal_cache


RequestToken = Annotated[str, Depends(request_token)]
PrincipalCache = Annotated[TTLCache[str, Principal | None], Depends(principal_cache)]


async def current_user(
    token: RequestToken, session: SessionDep, settings: SettingsDep, cache: PrincipalCache
) -> Principal:
    accounts = AccountService(session, settings)
    token_hash = accounts.token_hash(token)
    principal = await cache.get_or_load(token_hash, lambda: accounts.principal_for(token_hash))
    if principal is None or principal.token_expires_at <= utc_now():
        raise Unauthorized()
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]
