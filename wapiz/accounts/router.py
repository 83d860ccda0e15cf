from fastapi import APIRouter, Depends, Request, Response, status

from wapiz.accounts.deps import (
    CurrentUser,
    TokenFirstRoute,
    client_address,
    principal_cache,
    refuse_cross_site,
    request_token,
)
from wapiz.accounts.schemas import AuthOut, LoginIn, RegisterIn, SignupOut, UserOut
from wapiz.accounts.service import AccountService
from wapiz.accounts.signup import current_signup_mode, refuse_closed_signup
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.http.deps import SessionDep, SettingsDep
from wapiz.kit.cookies import TOKEN_COOKIE
from wapiz.kit.schemas import OkBody, error_responses

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=TokenFirstRoute)
# Another site must not log a browser in (to an account of its choosing: login CSRF).
SETS_THE_COOKIE = [Depends(refuse_cross_site)]


def _set_token_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=settings.token_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookie,
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(403, 409, 429, 503),
    dependencies=SETS_THE_COOKIE,
    summary="Create an account (plan Free, or the invite's) and log in, as the sign-up mode "
    "allows (GET /api/auth/signup; closed: 403 signup_closed; invite: an invite code); "
    "sign-ups from one client "
    "address are throttled (429 + Retry-After)",
)
async def register(
    body: RegisterIn, request: Request, response: Response, session: SessionDep,
    settings: SettingsDep,
) -> AuthOut:
    state = request.app.state
    # Read before any hashing or counting: a closed server spends nothing on the request.
    mode = await current_signup_mode(state.database, settings)
    refuse_closed_signup(mode)
    service = AccountService(session, settings, state.passwords)
    async with state.passwords.turn():
        await state.throttle.admit_signup(client_address(request), utc_now())
        user, token = await service.register(body.email, body.password, body.name, mode,
                                             body.invite)
    _set_token_cookie(response, token, settings)
    return AuthOut(user=await service.describe(user), token=token)


@router.get(
    "/signup",
    summary="Who may sign up now (no token needed): open, invite (with an invite code) or "
    "closed; an admin changes it at run time (PATCH /api/admin/settings)",
)
async def signup_mode(request: Request, settings: SettingsDep) -> SignupOut:
    return SignupOut(signup=await current_signup_mode(request.app.state.database, settings))


@router.post(
    "/login",
    responses=error_responses(401, 403, 429, 503),
    dependencies=SETS_THE_COOKIE,
    summary="Log in; repeated failures for one email or from one client address are "
    "throttled (429 + Retry-After)",
)
async def login(
    body: LoginIn, request: Request, response: Response, session: SessionDep,
    settings: SettingsDep,
) -> AuthOut:
    state = request.app.state
    address = client_address(request)
    service = AccountService(session, settings, state.passwords)
    async with state.passwords.turn():
        credentials = await state.throttle.admit_login(body.email, address, utc_now())
        user, token = await service.login(body.email, body.password, credentials, address)
    _set_token_cookie(response, token, settings)
    return AuthOut(user=await service.describe(user), token=token)


@router.post("/logout", responses=error_responses(401), summary="Revoke the token in use")
async def logout(
    _: CurrentUser, request: Request, response: Response, session: SessionDep,
    settings: SettingsDep,
) -> OkBody:
    accounts = AccountService(session, settings)
    token_hash = accounts.token_hash(request_token(request))
    await accounts.logout(token_hash)
    principal_cache(request).evict(token_hash)
    response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="lax",
                           secure=settings.secure_cookie)
    return OkBody()


@router.get("/me", responses=error_responses(401),
            summary="The logged-in user: plan, device count and limit, whether an admin")
async def me(principal: CurrentUser, session: SessionDep, settings: SettingsDep) -> UserOut:
    accounts = AccountService(session, settings)
    return await accounts.describe(await accounts.user(principal))
