"""Sign-up by invitation (`WAPIZ_SIGNUP=invite`): an admin makes a single-use code that
expires (`WAPIZ_INVITE_TTL_DAYS`); signing up with it uses it. Only the code's keyed hash is
stored. Never commits (the request does)."""

import uuid
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts import security
from wapiz.accounts.models import Invite
from wapiz.accounts.plans import DEFAULT_PLAN, require_known_plan
from wapiz.accounts.repository import InviteRepository
from wapiz.accounts.schemas import InviteCreated, InviteOut
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.kit.errors import Conflict, Forbidden, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.paging import created_cursor, decode_created_cursor, fetch_page
from wapiz.kit.text import Text

# The web app's sign-up page; the code rides in its query.
SIGNUP_PAGE = "/register"
MAX_OPEN_INVITES = 1000
INVITE_REQUIRED = Text("Pendaftaran hanya dengan undangan: sertakan kode undangan",
                       "Sign-up is by invitation only: give an invite code")
INVITE_INVALID = Text("Kode undangan tidak dikenal", "Unknown invite code")
INVITE_USED = Text("Kode undangan sudah dipakai", "The invite code was already used")
INVITE_EXPIRED = Text("Kode undangan sudah kedaluwarsa", "The invite code has expired")
INVITE_OTHER_EMAIL = Text("Undangan ini untuk email lain", "This invite is for another email")


InviteStatus = Literal["open", "used", "expired"]


def invite_status(invite: Invite, now: datetime) -> InviteStatus:
    if invite.used_at is not None:
        return "used"
    return "open" if invite.expires_at > now else "expired"


def invite_out(invite: Invite, now: datetime) -> InviteOut:
    return InviteOut(id=invite.id, email=invite.email, plan=invite.plan,
                     created_at=invite.created_at, expires_at=invite.expires_at,
                     used_at=invite.used_at, status=invite_status(invite, now))


class InviteService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.invites = InviteRepository(session)

    def _hash(self, code: str) -> str:
        return security.hash_token(self.settings.secret, code)

    async def make(self, admin_id: uuid.UUID, email: str | None,
                   plan: str | None) -> InviteCreated:
        plan = require_known_plan(self.settings, plan or DEFAULT_PLAN)
        now = utc_now()
        if await self.invites.open_count(now) >= MAX_OPEN_INVITES:
            raise Conflict(Text("Terlalu banyak undangan terbuka (maks. {limit}): hapus "
                                "yang tidak dipakai", "Too many open invites (at most "
                                "{limit}): delete unused ones").format(limit=MAX_OPEN_INVITES),
                           code="invite_limit_reached")
        code = security.new_invite_code()
        invite = await self.invites.add(Invite(
            code_hash=self._hash(code), email=email, plan=plan, created_by=admin_id,
            created_at=now, expires_at=now + timedelta(days=self.settings.invite_ttl_days)))
        return InviteCreated(
            code=code, url=f"{self.settings.base_url}{SIGNUP_PAGE}?invite={code}",
            **invite_out(invite, now).model_dump())

    async def page(self, cursor: str | None, limit: int) -> tuple[list[InviteOut], str | None]:
        after = decode_created_cursor(cursor) if cursor else None
        rows, next_cursor = await fetch_page(
            lambda count: self.invites.page(after, count), limit,
            lambda invite: created_cursor(invite.created_at, invite.id))
        now = utc_now()
        return [invite_out(invite, now) for invite in rows], next_cursor

    async def revoke(self, raw_id: str) -> None:
        invite_id = parse_uuid(raw_id)
        if invite_id is None or not await self.invites.remove(invite_id):
            raise NotFound(Text("Undangan tidak ditemukan", "Invite not found"),
                           code="invite_not_found")

    async def check(self, code: str | None, email: str) -> Invite:
        """The invite a sign-up gives, if it may be used for this email (else 403)."""
        if code is None:
            raise Forbidden(INVITE_REQUIRED, code="invite_required")
        invite = await self.invites.by_code(self._hash(code))
        if invite is None:
            raise Forbidden(INVITE_INVALID, code="invite_invalid")
        status = invite_status(invite, utc_now())
        if status == "used":
            raise Forbidden(INVITE_USED, code="invite_used")
        if status == "expired":
            raise Forbidden(INVITE_EXPIRED, code="invite_expired")
        if invite.email is not None and invite.email != email:
            raise Forbidden(INVITE_OTHER_EMAIL, code="invite_other_email")
        return invite

    async def redeem(self, invite: Invite, user_id: uuid.UUID) -> None:
        """Use the checked invite for the new user; 403 if a simultaneous sign-up got it."""
        if not await self.invites.redeem(invite.id, user_id, utc_now()):
            raise Forbidden(INVITE_USED, code="invite_used")
