import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, UTCDateTime, utc_now


class Chat(Base):
    """One chat of a device, as its chat list shows it: kept in the transactions that store
    its messages (an accepted send, an inbound message, a history sync), so the list is one
    indexed read instead of a grouping of every message. Its state (archived, pinned, muted)
    is what the API or the engine last said; `cleared_at` hides the messages before it."""

    __tablename__ = "chats"
    __table_args__ = (
        UniqueConstraint("device_id", "chat"),
        # The chat list, most recent first.
        Index("ix_chats_listing", "device_id", "last_message_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"))
    chat: Mapped[str] = mapped_column(String(128))  # its WhatsApp id
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_message_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("messages.id", ondelete="SET NULL"), nullable=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Inbound messages not yet read (the ones a person would count: not reactions or edits).
    unread_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
