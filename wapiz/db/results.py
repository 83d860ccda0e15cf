"""What a statement's result says beyond its rows."""

from typing import Any

from sqlalchemy import CursorResult, Result


def rows_changed(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed. A session types every result as a
    `Result`; a data-changing statement's is a `CursorResult`, which alone counts them."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"a {type(result).__name__} does not count changed rows")
    return result.rowcount
