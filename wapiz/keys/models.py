import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, UTCDateTime, utc_now


class ApiKey(Base):
    """An API key; only its keyed hash is stored (as a login token's), and a short prefix
    to recognise it by in a list."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    # The one device the key reaches; None: every device of the account. The key goes with
    # the device's row.
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Written at most once a minute per key (`keys.service.LAST_USED_EVERY`).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
