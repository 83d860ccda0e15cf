"""`INSERT … ON CONFLICT` for whichever backend the session talks to."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import TableClause

from wapiz.db.base import Base

# Either dialect's INSERT: each has `on_conflict_do_update` and `on_conflict_do_nothing`.
DialectInsert = postgresql.Insert | sqlite.Insert


def insert_for(session: AsyncSession, table: TableClause | type[Base]) -> DialectInsert:
    """A dialect `insert()` that has `on_conflict_do_update` / `on_conflict_do_nothing`."""
    return insert_for_dialect(session.get_bind().dialect.name, table)


def insert_for_dialect(dialect: str, table: TableClause | type[Base]) -> DialectInsert:
    """`insert_for`, by the database kind's name (`postgresql` or `sqlite`)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def column_values(row: Any) -> dict[str, Any]:
    """A mapped object's column values, for an `insert_for(...).values(...)`."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
