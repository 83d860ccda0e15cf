"""Ids as they arrive in a request's path: a UUID, or nothing that could name a row."""

import uuid


def parse_uuid(raw: str) -> uuid.UUID | None:
    """The UUID `raw` spells, or None (a caller answers 404: no row has that id)."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
