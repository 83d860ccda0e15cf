"""Every query on users, tokens and the throttle."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.models import ApiToken, AttemptCount, User
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
        """The token's user id and the token's expiry, if the token is valid."""
        statement = select(ApiToken.user_id, ApiToken.expires_at).where(
            ApiToken.token_hash == token_hash, ApiToken.expires_at > now
        )
        row = (await self.session.execute(statement)).first()
        return (row[0], row[1]) if row else None

    async def revoke(self, token_hash: str) -> None:
        await self.session.execute(delete(ApiToken).where(ApiToken.token_hash == token_hash))


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
