"""Who is calling: the `wa_token` cookie, or a login token or API key as `Authorization:
Bearer` (an API key also as `X-Api-Key`).

Every authenticated request passes through here, so it is kept to one dependency that reads
the token, settings and cache straight off the request (each FastAPI dependency has a cost),
and needs no request transaction.
The OpenAPI description declares both schemes (see `wapiz.http.openapi`).

A browser sends the cookie with whatever another site's page makes it send; a Bearer token
only when a script of ours sets it. So a state-changing request that authenticates by the
cookie must come from our own origin (or a listed one): `refuse_cross_site`.

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
from starlette.requests import HTTPConnection

from wapiz.accounts.principal import Principal
from wapiz.accounts.security import hash_token, is_api_key
from wapiz.accounts.service import AccountService
from wapiz.db.base import utc_now
from wapiz.keys.service import key_principal
from wapiz.kit.cache import TTLCache
from wapiz.kit.cookies import TOKEN_COOKIE
from wapiz.kit.errors import Forbidden, Unauthorized
from wapiz.kit.origins import from_own_origin
from wapiz.kit.text import Text

API_KEY_HEADER = "x-api-key"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE = Text(
    "Permintaan dari situs lain ditolak: kirim token sebagai header Authorization: Bearer, "
    "atau panggil dari asal yang sama",
    "Cross-site request refused: send the token as an Authorization: Bearer header, or call "
    "from the same origin")


def _credentials(request: HTTPConnection) -> tuple[str, bool]:
    """The token or API key (`Authorization: Bearer`, else `X-Api-Key`, else the cookie),
    and whether it came as the cookie."""
    headers = request.headers
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        token = credentials.strip()
    else:
        token = headers.get(API_KEY_HEADER, "").strip()
    from_cookie = not token and scheme.lower() != "bearer"
    if from_cookie:
        token = request.cookies.get(TOKEN_COOKIE, "")
    if not token:
        raise Unauthorized()
    return token, from_cookie

# The caller, once checked, for the rest of the request (the token-first check and then the
# route's own dependency).
PRINCIPAL_SCOPE_KEY = "wapiz.principal"


def request_token(request: Request) -> str:
    return _credentials(request)[0]


def refuse_cross_site(request: HTTPConnection) -> None:
    """403 for a request another site's page made (see the module's docstring)."""
    settings = request.app.state.settings
    headers = request.headers
    if not from_own_origin(headers.get("origin"), headers.get("sec-fetch-site"),
                           headers.get("host"), settings.own_origin, settings.trusted_origins):
        raise Forbidden(CROSS_SITE, code="cross_site_request")


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


def principal_cache(request: HTTPConnection) -> TTLCache[str, Principal | None]:
    """token or key hash → principal, for `WAPIZ_AUTH_CACHE_SECONDS`; logout, a key's
    revocation and a user's disabling evict here at once (other API processes within that
    time)."""
    cache: TTLCache[str, Principal | None] = request.app.state.principal_cache
    return cache


async def authenticate(request: HTTPConnection) -> Principal:
    """The caller, from this process's token cache or one read in a session of its own.
    A WebSocket is a connection too: the cookie opens one only from our own origin, as
    browsers open them for any site's page and no CORS rule stops that page reading it."""
    checked: Principal | None = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if checked is not None:
        return checked
    settings = request.app.state.settings
    token, from_cookie = _credentials(request)
    if from_cookie and request.scope.get("method", "WEBSOCKET") not in SAFE_METHODS:
        refuse_cross_site(request)
    token_hash = hash_token(settings.secret, token)

    async def load() -> Principal | None:
        async with request.app.state.database.session_scope() as session:
            if is_api_key(token):
                return await key_principal(session, token_hash)
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
