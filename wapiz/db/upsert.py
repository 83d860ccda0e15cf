"""`INSERT … ON CONFLICT` for whichever backend the session talks to."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """A dialect `insert()` that has `on_conflict_do_update` / `on_conflict_do_nothing`."""
    return insert_for_dialect(session.get_bind().dialect.name, table)


def insert_for_dialect(dialect: str, table: Any) -> Any:
    """`insert_for`, by the database kind's name (`postgresql` or `sqlite`)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def column_values(row: Any) -> dict[str, Any]:
    """A mapped object's column values, for an `insert_for(...).values(...)`."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
