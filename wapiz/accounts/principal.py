"""Who a request acts for: the user's id behind a checked token.

Deliberately only that: it is cached per API process (see `accounts.deps`), while a user's
plan and profile can change in another process, so they are read fresh where they matter.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Principal:
    id: uuid.UUID
    token_expires_at: datetime
