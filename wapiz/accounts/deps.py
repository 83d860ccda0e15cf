"""Who is calling: the `wa_token` cookie or an `Authorization: Bearer` token.

Every authenticated request passes through here, so it is kept to one dependency that reads
the token, settings and cache straight off the request (each FastAPI dependency has a cost),
and needs no request transaction.
The OpenAPI description declares both schemes (see `wapiz.app`).

A route that takes both a body and the token checks the token first (`TokenFirstRoute`):
FastAPI reads and parses the body before it solves dependencies, which let a caller without
a token make the API read a large body, or get a 422 about it instead of the seed's 401.
"""

import ipaddress
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from wapiz.accounts.principal import Principal
from wapiz.accounts.security import hash_token
from wapiz.accounts.service import AccountService
from wapiz.cache import TTLCache
from wapiz.db.base import utc_now
from wapiz.errors import Unauthorized

TOKEN_COOKIE = "wa_token"
# The caller, once checked, for the rest of the request (the token-first check and then the
# route's own dependency).
PRINCIPAL_SCOPE_KEY = "wapiz.principal"


def request_token(request: Request) -> str:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise Unauthorized()
    return token


def client_address(request: Request) -> str:
    """Who is asking, for the throttle: the connection's peer (which uvicorn takes from
    X-Forwarded-For only when the peer is one of `WAPIZ_TRUSTED_PROXIES`). An IPv6 client
    counts by its /64, which one holder usually has whole."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def principal_cache(request: Request) -> TTLCache[str, Principal | None]:
    """token hash → principal, for `WAPIZ_AUTH_CACHE_SECONDS`; logout here evicts at once."""
    return request.app.state.principal_cache


async def authenticate(request: Request) -> Principal:
    """The caller, from this process's token cache or one read in a session of its own."""
    checked = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if checked is not None:
        return checked
    settings = request.app.state.settings
    token_hash = hash_token(settings.secret, request_token(request))

    async def load() -> Principal | None:
        async with request.app.state.database.session_scope() as session:
            return await AccountService(session, settings).principal_for(token_hash)

    principal = await principal_cache(request).get_or_load(token_hash, load)
    if principal is None or principal.token_expires_at <= utc_now():
        raise Unauthorized()
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


def authenticates(dependant: Dependant) -> bool:
    """Whether a route (or one of its dependencies, at any depth) wants the caller's token."""
    return any(
        dependency.call is authenticate or authenticates(dependency)
        for dependency in dependant.dependencies
    )


class TokenFirstRoute(APIRoute):
    """A route that takes a body and the token checks the token before reading the body: a
    caller without a valid one gets the seed's 401 whatever it sent, and none of it is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None or not authenticates(self.dependant):
            return handle

        async def token_first(request: Request) -> Response:
            await authenticate(request)
            return await handle(request)

        return token_first


CurrentUser = Annotated[Principal, Depends(authenticate)]
