"""Every query on users, tokens and the throttle."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import ApiToken, AttemptCount, Invite, ServerSetting, User
from wapiz.db.paging import older_than
from wapiz.db.results import rows_changed
from wapiz.db.upsert import insert_for


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def credentials(self, email: str) -> tuple[uuid.UUID, str] | None:
        """(id, password hash) of the user with this email, if any."""
        row = (
            await self.session.execute(
                select(User.id, User.password_hash).where(User.email == email)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def list_all(self) -> Sequence[User]:
        return (await self.session.scalars(select(User).order_by(User.created_at))).all()

    async def add(self, user: User) -> User:
        self.session.add(user)
        await self.session.flush()
        return user

    async def lock(self, user_id: uuid.UUID, now: datetime) -> None:
        """Serialise changes to one user's devices until the transaction ends.

        An UPDATE is the portable row lock: it takes the row lock on PostgreSQL and the write
        lock on SQLite, so a concurrent create waits and then sees the committed count.
        """
        await self.session.execute(update(User).where(User.id == user_id).values(updated_at=now))


class TokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_id: uuid.UUID, token_hash: str, expires_at: datetime) -> None:
        self.session.add(ApiToken(user_id=user_id, token_hash=token_hash, expires_at=expires_at))
        await self.session.flush()

    async def token_owner(
        self, token_hash: str, now: datetime
    ) -> tuple[uuid.UUID, datetime] | None:
        """The token's user id and the token's expiry, if the token is valid (and its
        user not disabled)."""
        statement = (
            select(ApiToken.user_id, ApiToken.expires_at)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.expires_at > now,
                   User.disabled.is_(False))
        )
        row = (await self.session.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def revoke(self, token_hash: str) -> None:
        await self.session.execute(delete(ApiToken).where(ApiToken.token_hash == token_hash))


class InviteRepository:
    """Invites are the server's (made by any admin), not one user's."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def get(self, invite_id: uuid.UUID) -> Invite | None:
        return await self.session.get(Invite, invite_id)

    async def by_code(self, code_hash: str) -> Invite | None:
        return await self.session.scalar(select(Invite).where(Invite.code_hash == code_hash))

    async def open_count(self, now: datetime) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(Invite)
            .where(Invite.used_at.is_(None), Invite.expires_at > now)) or 0

    async def page(self, after: tuple[datetime, uuid.UUID] | None,
                   limit: int) -> Sequence[Invite]:
        """Newest first; `after` is the last (created_at, id) of the previous page."""
        statement = select(Invite)
        if after is not None:
            statement = statement.where(older_than(Invite.created_at, Invite.id, after))
        return (await self.session.scalars(
            statement.order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit))).all()

    async def redeem(self, invite_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        """Use the invite, if still unused and unexpired (one statement: of simultaneous
        sign-ups with one code, one gets it)."""
        result = await self.session.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_at.is_(None), Invite.expires_at > now)
            .values(used_at=now, used_by=user_id))
        return rows_changed(result) == 1

    async def remove(self, invite_id: uuid.UUID) -> bool:
        result = await self.session.execute(delete(Invite).where(Invite.id == invite_id))
        return rows_changed(result) == 1


class ThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _row(kind: str, subject: str) -> ColumnElement[bool]:
        return and_(AttemptCount.kind == kind, AttemptCount.subject == subject)

    async def locked_until(self, kind: str, subject: str) -> datetime | None:
        return await self.session.scalar(
            select(AttemptCount.locked_until).where(self._row(kind, subject))
        )

    async def count_attempt(self, kind: str, subject: str, now: datetime,
                            window: timedelta) -> int:
        """Count one attempt (restarting the count after a quiet window); returns the count."""
        table = AttemptCount.__table__
        statement = insert_for(self.session, table).values(
            kind=kind, subject=subject, attempts=1, last_attempt_at=now
        )
        counting = statement.on_conflict_do_update(
            index_elements=[table.c.kind, table.c.subject],
            set_={
                "attempts": case(
                    (table.c.last_attempt_at < now - window, 1),
                    else_=table.c.attempts + 1,
                ),
                "last_attempt_at": now,
            },
        ).returning(table.c.attempts)
        attempts: int = (await self.session.execute(counting)).scalar_one()
        return attempts

    async def lock_unless_locked(self, kind: str, subject: str, now: datetime,
                                 until: datetime) -> bool:
        """Lock until `until` if no lock is in force; False if another attempt holds one.

        One conditional UPDATE, so of simultaneous attempts exactly one gets through."""
        result = await self.session.execute(
            update(AttemptCount)
            .where(
                self._row(kind, subject),
                or_(AttemptCount.locked_until.is_(None), AttemptCount.locked_until <= now),
            )
            .values(locked_until=until)
        )
        return rows_changed(result) == 1

    async def clear(self, kind: str, subject: str) -> None:
        await self.session.execute(delete(AttemptCount).where(self._row(kind, subject)))

    async def forgive_one(self, kind: str, subject: str) -> None:
        """Take one attempt back off the count (one that turned out to be no failure)."""
        await self.session.execute(
            update(AttemptCount)
            .where(self._row(kind, subject), AttemptCount.attempts > 0)
            .values(attempts=AttemptCount.attempts - 1)
        )

    async def prune(self, quiet_since: datetime, now: datetime, at_most: int) -> None:
        """Delete up to `at_most` rows with no attempt since `quiet_since` and no lock.

        Rows another transaction holds are skipped (PostgreSQL), never waited for."""
        stale = (
            select(AttemptCount.kind, AttemptCount.subject)
            .where(AttemptCount.last_attempt_at < quiet_since,
                   or_(AttemptCount.locked_until.is_(None), AttemptCount.locked_until <= now))
            .limit(at_most)
            .with_for_update(skip_locked=True)
        )
        await self.session.execute(
            delete(AttemptCount).where(tuple_(AttemptCount.kind, AttemptCount.subject).in_(stale))
        )


class ServerSettingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> ServerSetting | None:
        return await self.session.scalar(select(ServerSetting).where(ServerSetting.key == key))

    async def put(self, key: str, value: str, by: uuid.UUID | None, now: datetime) -> None:
        table = ServerSetting.__table__
        statement = insert_for(self.session, table).values(
            key=key, value=value, updated_at=now, updated_by=by)
        await self.session.execute(statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"value": value, "updated_at": now, "updated_by": by}))

    async def drop(self, key: str) -> None:
        await self.session.execute(delete(ServerSetting).where(ServerSetting.key == key))
