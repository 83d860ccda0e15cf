"""Admin rules: users' plans, admin rights and disabling; the server's devices, health and
settings. Never commits (the request does)."""

import time

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz import __version__
from wapiz.accounts.models import User
from wapiz.accounts.plans import (
    DEFAULT_PLAN,
    device_limit,
    plan_display_name,
    require_known_plan,
)
from wapiz.accounts.service import USER_NOT_FOUND
from wapiz.accounts.signup import SignupState, change_signup, signup_state
from wapiz.admin.repository import AdminRepository
from wapiz.admin.schemas import (
    AdminDeviceOut,
    AdminUserOut,
    AdminUserPatch,
    DatabaseHealth,
    HealthOut,
    OutputList,
    OutputOut,
    PlanOut,
    RunnerHealth,
    SettingsOut,
    SettingsPatch,
)
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.models import StatusName
from wapiz.devices.status import current_status, view_of
from wapiz.kit.errors import Conflict, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.paging import created_cursor, decode_created_cursor, fetch_page
from wapiz.kit.text import Text
from wapiz.outputs.configured import configured_outputs

OWN_ADMIN = Text("Admin tidak bisa mencabut hak admin dirinya sendiri",
                 "An admin cannot remove their own admin rights")
OWN_DISABLE = Text("Admin tidak bisa menonaktifkan dirinya sendiri",
                   "An admin cannot disable themselves")


class AdminService:
    def __init__(self, session: AsyncSession, settings: Settings, admin: User) -> None:
        self.session = session
        self.settings = settings
        self.admin = admin
        self.rows = AdminRepository(session)

    def _user_out(self, user: User, devices: int) -> AdminUserOut:
        return AdminUserOut(
            id=user.id, email=user.email, name=user.name, plan=user.plan,
            is_admin=user.is_admin, disabled=user.disabled, device_count=devices,
            device_limit=device_limit(self.settings, user.plan), created_at=user.created_at)

    async def users(self, q: str | None, cursor: str | None, limit: int
                    ) -> tuple[list[AdminUserOut], str | None]:
        after = decode_created_cursor(cursor) if cursor else None
        rows, next_cursor = await fetch_page(
            lambda count: self.rows.users(q, after, count), limit,
            lambda row: created_cursor(row[0].created_at, row[0].id))
        return [self._user_out(user, devices) for user, devices in rows], next_cursor

    async def change_user(self, raw_id: str, change: AdminUserPatch) -> AdminUserOut:
        user_id = parse_uuid(raw_id)
        user = await self.rows.user(user_id) if user_id else None
        if user is None:
            raise NotFound(USER_NOT_FOUND, code="user_not_found")
        if user.id == self.admin.id:
            if change.is_admin is False:
                raise Conflict(OWN_ADMIN, code="cannot_remove_own_admin")
            if change.disabled is True:
                raise Conflict(OWN_DISABLE, code="cannot_disable_self")
        if change.plan is not None:
            user.plan = require_known_plan(self.settings, change.plan)
        if change.disabled is not None:
            user.disabled = change.disabled
        if change.is_admin is not None:
            user.is_admin = change.is_admin
        user.updated_at = utc_now()
        await self.session.flush()
        return self._user_out(user, await self.rows.device_count(user.id))

    async def devices(self, q: str | None, status: StatusName | None, cursor: str | None,
                      limit: int) -> tuple[list[AdminDeviceOut], str | None]:
        after = decode_created_cursor(cursor) if cursor else None
        now = utc_now()
        rows, next_cursor = await fetch_page(
            lambda count: self.rows.devices(q, status, now, after, count), limit,
            lambda row: created_cursor(row[0].created_at, row[0].id))
        items = []
        for device, email, session_row in rows:
            state = current_status(view_of(session_row) if session_row else None, now)
            items.append(AdminDeviceOut(
                id=device.id, public_id=device.public_id, label=device.label,
                user_id=device.user_id, owner_email=email, status=state.status,
                reason=state.reason, created_at=device.created_at))
        return items, next_cursor

    async def health(self) -> HealthOut:
        started = time.perf_counter()
        await self.rows.ping()
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        now = utc_now()
        runners, leases, devices = await self.rows.leases(now)
        pending, due = await self.rows.webhook_backlog(now)
        return HealthOut(
            version=__version__, engine=self.settings.engine,
            database=DatabaseHealth(
                kind="sqlite" if self.settings.is_sqlite else "postgresql", reachable=True,
                latency_ms=latency_ms),
            runners=RunnerHealth(live=runners, leases=leases, devices=devices),
            queued_messages=await self.rows.queued_messages(),
            webhook_backlog=pending, webhook_due=due)

    async def outputs(self) -> OutputList:
        """The configured broker outputs, as their rows say (written by the process
        publishing each) and their backlog."""
        now = utc_now()
        items = []
        for config in configured_outputs(self.settings):
            # The backlog first: a group published between the two reads then shows in
            # `published` too (never a backlog of 0 beside a count missing the last group).
            backlog, oldest = await self.rows.output_backlog(config.name)
            row = await self.rows.output(config.name)
            # A publisher whose lease lapsed is no more (its process stopped or hangs).
            held = row if row is not None and row.lease_expires_at is not None and (
                row.lease_expires_at > now) else None
            items.append(OutputOut(
                name=config.name, kind=config.kind, target=config.target,
                destination=config.destination,
                state="connected" if held is not None and held.connected else "down",
                publisher=held.publisher if held is not None else None,
                last_error=row.last_error if row else None,
                last_error_at=row.last_error_at if row else None,
                published=row.published if row else 0, backlog=backlog,
                oldest_unpublished_at=oldest,
                oldest_unpublished_age_seconds=round((now - oldest).total_seconds(), 3)
                if oldest else None))
        return OutputList(items=items)

    async def settings_out(self) -> SettingsOut:
        return self._settings_out(await signup_state(self.session, self.settings))

    async def change_settings(self, change: SettingsPatch) -> SettingsOut:
        return self._settings_out(await change_signup(
            self.session, self.settings, change.signup, self.admin.id))

    def _settings_out(self, signup: SignupState) -> SettingsOut:
        return SettingsOut(
            signup=signup.mode, signup_source=signup.source,
            signup_default=self.settings.signup, signup_changed_at=signup.changed_at,
            invite_ttl_days=self.settings.invite_ttl_days,
            engine=self.settings.engine, default_plan=DEFAULT_PLAN,
            plans=[PlanOut(name=name, display_name=plan_display_name(name), device_limit=limit)
                   for name, limit in self.settings.plan_limits.items()])
