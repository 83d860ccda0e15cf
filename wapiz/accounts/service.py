"""Account rules: registration, login, tokens and plans. Never commits (the caller does)."""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts import security
from wapiz.accounts.invites import InviteService
from wapiz.accounts.models import User
from wapiz.accounts.plans import DEFAULT_PLAN, device_limit, require_known_plan
from wapiz.accounts.principal import Principal
from wapiz.accounts.repository import TokenRepository, UserRepository
from wapiz.accounts.schemas import UserOut
from wapiz.accounts.security import PasswordHashing
from wapiz.accounts.signup import refuse_closed_signup
from wapiz.accounts.throttle import LOGIN_FAILURES, Credentials, login_succeeded
from wapiz.config import Settings, SignupMode
from wapiz.db.base import utc_now
from wapiz.devices.repository import DeviceRepository
from wapiz.kit.errors import Conflict, Forbidden, NotFound, Unauthorized
from wapiz.kit.text import Text

EMAIL_TAKEN = Text("Email sudah terdaftar", "This email is already registered")
BAD_CREDENTIALS = Text("Email atau password salah", "Wrong email or password")
ACCOUNT_DISABLED = Text("Akun ini dinonaktifkan oleh admin",
                        "This account was disabled by an admin")
USER_NOT_FOUND = Text("User tidak ditemukan", "User not found")


class AccountService:
    def __init__(self, session: AsyncSession, settings: Settings,
                 passwords: PasswordHashing | None = None) -> None:
        """`passwords`: the API process's (bounded) hashing; a command line's hashes one."""
        self.session = session
        self.settings = settings
        self.passwords = passwords or PasswordHashing(slots=1)
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)

    async def create_user(
        self, email: str, password: str, name: str, plan: str = DEFAULT_PLAN,
        is_admin: bool = False,
    ) -> User:
        plan = require_known_plan(self.settings, plan)
        email = email.lower()
        # Hash first: no pooled connection is held through the deliberately slow Argon2.
        password_hash = await self.passwords.hash(password)
        if await self.users.get_by_email(email) is not None:
            raise Conflict(EMAIL_TAKEN, code="email_taken")
        user = User(email=email, name=name, plan=plan, password_hash=password_hash,
                    is_admin=is_admin)
        try:
            await self.users.add(user)
        except IntegrityError:  # lost a race on the unique email; the request rolls back
            raise Conflict(EMAIL_TAKEN, code="email_taken") from None
        return user

    async def issue_token(self, user: User) -> str:
        token = security.new_token()
        expires_at = utc_now() + timedelta(days=self.settings.token_ttl_days)
        await self.tokens.add(user.id, security.hash_token(self.settings.secret, token), expires_at)
        return token

    async def register(self, email: str, password: str, name: str, mode: SignupMode,
                       invite_code: str | None = None) -> tuple[User, str]:
        """Sign up as the effective mode (`wapiz.accounts.signup`) allows: anyone, or with
        an invite (its plan)."""
        refuse_closed_signup(mode)
        invites = InviteService(self.session, self.settings)
        invite = None
        if mode == "invite":
            invite = await invites.check(invite_code, email.lower())
        user = await self.create_user(email, password, name,
                                      invite.plan if invite else DEFAULT_PLAN)
        if invite is not None:
            await invites.redeem(invite, user.id)
        return user, await self.issue_token(user)

    async def login(
        self, email: str, password: str, credentials: Credentials, address: str
    ) -> tuple[User, str]:
        """Check the password against what `Throttle.admit_login` read (and counted)."""
        if not await self.passwords.verify(credentials.password_hash, password):
            LOGIN_FAILURES.labels("bad_credentials").inc()
            raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
        assert credentials.user_id is not None
        user = await self.users.get(credentials.user_id)
        if user is None:  # deleted in the meantime
            LOGIN_FAILURES.labels("bad_credentials").inc()
            raise Unauthorized(BAD_CREDENTIALS, code="bad_credentials")
        if user.disabled:  # told only to who knows the password
            LOGIN_FAILURES.labels("disabled").inc()
            raise Forbidden(ACCOUNT_DISABLED, code="account_disabled")
        await login_succeeded(self.session, email, address)
        return user, await self.issue_token(user)

    def token_hash(self, token: str) -> str:
        return security.hash_token(self.settings.secret, token)

    async def principal_for(self, token_hash: str) -> Principal | None:
        found = await self.tokens.token_owner(token_hash, utc_now())
        return Principal(*found) if found else None

    async def logout(self, token_hash: str) -> None:
        await self.tokens.revoke(token_hash)

    async def user(self, principal: Principal) -> User:
        user = await self.users.get(principal.id)
        if user is None:  # deleted while its token was cached
            raise Unauthorized()
        return user

    async def describe(self, user: User) -> UserOut:
        return UserOut(
            id=user.id,
            email=user.email,
            name=user.name,
            plan=user.plan,
            device_limit=device_limit(self.settings, user.plan),
            device_count=await DeviceRepository(self.session, user.id).count(),
            is_admin=user.is_admin,
            created_at=user.created_at,
        )

    async def list_users(self) -> Sequence[User]:
        return await self.users.list_all()

    async def set_plan(self, email: str, plan: str) -> User:
        plan = require_known_plan(self.settings, plan)
        user = await self._by_email(email)
        user.plan = plan
        return await self._changed(user)

    async def set_admin(self, email: str, is_admin: bool) -> User:
        user = await self._by_email(email)
        user.is_admin = is_admin
        return await self._changed(user)

    async def _by_email(self, email: str) -> User:
        user = await self.users.get_by_email(email.lower())
        if user is None:
            raise NotFound(USER_NOT_FOUND, code="user_not_found")
        return user

    async def _changed(self, user: User) -> User:
        user.updated_at = utc_now()
        await self.session.flush()
        return user
