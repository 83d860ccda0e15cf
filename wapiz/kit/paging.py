"""Cursor paging: one row more than the page is read, and its presence says a next page
exists; the cursor names the page's last row (each list says how, and its pattern)."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

Row = TypeVar("Row")


async def fetch_page(
    fetch: Callable[[int], Awaitable[Sequence[Row]]], limit: int, cursor_of: Callable[[Row], str]
) -> tuple[list[Row], str | None]:
    """The rows of a page of `limit` (`fetch(n)` reads up to n rows after the cursor), and
    the cursor of the next page, None when this one is the last."""
    rows = list(await fetch(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (cursor_of(rows[-1]) if more else None)


# A page of rows listed by creation ends at a row: its creation time (microseconds since
# 1970, UTC) and its id. The pattern says exactly which cursors can be read, so the
# description tells every one apart.
CREATED_CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9a-f]{32}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def created_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    return f"{(created_at - EPOCH) // MICROSECOND}-{row_id.hex}"


def decode_created_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """A cursor `CREATED_CURSOR_PATTERN` admits (16 digits: before the year 2286)."""
    micros, row_id = cursor.split("-")
    return EPOCH + int(micros) * MICROSECOND, uuid.UUID(hex=row_id)
