"""Cursor paging: one row more than the page is read, and its presence says a next page
exists; the cursor names the page's last row (each list says how, and its pattern)."""

from collections.abc import Awaitable, Callable, Sequence
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
