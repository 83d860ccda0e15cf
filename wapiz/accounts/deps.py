"""Who is calling: the `wa_token` cookie or an `Authorization: Bearer` token."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from wapiz.accounts.models import User
from wapiz.accounts.service import AccountService
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


RequestToken = Annotated[str, Depends(request_token)]


async def current_user(token: RequestToken, session: SessionDep, settings: SettingsDep) -> User:
    user = await AccountService(session, settings).user_for_token(token)
    if user is None:
        raise Unauthorized()
    return user


CurrentUser = Annotated[User, Depends(current_user)]
