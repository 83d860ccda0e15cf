"""The condition of cursor pages listed newest first (`wapiz.kit.paging` reads them)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute


def older_than(created_at: InstrumentedAttribute[datetime], row_id: InstrumentedAttribute[Any],
               after: tuple[datetime, uuid.UUID]) -> ColumnElement[bool]:
    """Rows after `after` (the previous page's last (created_at, id)) in newest-first order."""
    at, last_id = after
    return or_(created_at < at, and_(created_at == at, row_id < last_id))
