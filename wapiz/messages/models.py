import re
import uuid
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any, Literal, overload

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, EnumText, UTCDateTime, utc_now
from wapiz.messages.body import FileDescription

Direction = Literal["outbound", "inbound"]
OUTBOUND: Direction = "outbound"
INBOUND: Direction = "inbound"


class MessageStatus(StrEnum):
    """An outbound message's life: queued → sending → sent → delivered → read, or failed /
    cancelled. Inbound messages are stored as received. Stored as this text."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RECEIVED = "received"


# Still in the queue or on its way: not yet finished one way or the other.
UNFINISHED = (MessageStatus.QUEUED, MessageStatus.SENDING)

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
# Actions on a message already sent: queued and sent like messages, in the same order.
EDIT, REVOKE = "edit", "revoke"


MIMETYPE = re.compile(r"[\w.+-]{1,100}/[\w.+-]{1,150}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@overload
def no_nul(text: str) -> str: ...
@overload
def no_nul(text: str | None) -> str | None: ...
def no_nul(text: str | None) -> str | None:
    """PostgreSQL cannot store NUL in text; a sender's text may carry one."""
    return text.replace("\x00", "\ufffd") if text else text


def described_safely(mimetype: str | None, file_name: str | None,
                     sha256: str | None) -> dict[str, Any]:
    """A file's description as a sender gave it, made to fit the columns: a malformed type
    is a generic one, a long name is cut, a digest that is not one is dropped."""
    return {
        "mimetype": mimetype if mimetype and MIMETYPE.fullmatch(mimetype)
        else "application/octet-stream",
        "file_name": no_nul(file_name)[:255] if file_name else None,
        "sha256": sha256 if sha256 and SHA256_HEX.fullmatch(sha256) else None,
    }


class Media(Base):
    """A file a message carries. Outbound, its bytes are stored when the send is accepted
    (a batch's messages share one row). Inbound, the engine's reference to download it is
    stored with the message; the bytes are fetched through the device's session when first
    asked for, and kept. After WAPIZ_MEDIA_RETENTION_DAYS the bytes and the reference are
    dropped (workers/retention/media.py); the description stays."""

    __tablename__ = "media"
    __table_args__ = (
        # Retention's question: files still holding their bytes, by age.
        Index("ix_media_retention", "bytes_dropped_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    mimetype: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)  # audio and video
    # The engine's handle for downloading an inbound file (opaque to everyone else).
    ref: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The bytes: on the row (the database store), or the object's key in the operator's
    # bucket (WAPIZ_MEDIA_STORE=s3://…; messages/store.py). Rows kept before a switch keep
    # their `data`, which every store reads.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    object_key: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # When retention dropped `data` and `ref`: a download is then 410, not 404.
    bytes_dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def has_bytes(self) -> bool:
        """Whether its bytes are stored (on the row, or as an object)."""
        return self.data is not None or self.object_key is not None

    def describe(self) -> FileDescription:
        """What its message's body keeps of it (and the API shows)."""
        return FileDescription(self.mimetype, self.file_name, self.size, self.sha256,
                               self.seconds)


class UnneededObject(Base):
    """An object in the media store (messages/store.py) that no row names any more: its
    file's bytes dropped by retention, its device deleted, a file delivered twice. Queued in
    the transaction that stops naming it, and deleted from the store by the next retention
    pass (workers/retention/media.py): a store that is down then loses none."""

    __tablename__ = "unneeded_objects"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Message(Base):
    """A message sent or received by one of a user's devices.

    Outbound rows are the send queue: a row is written (with the WhatsApp id it will carry)
    before the 202, and the runner holding the device sends it, so an accepted message
    survives any restart, and a resend after a crash carries the same id.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # The send queue: a device's due messages, in order.
        Index("ix_messages_queue", "device_id", "status", "send_at"),
        # Listing, newest first.
        Index("ix_messages_listing", "user_id", "created_at"),
        # Receipts find our message by its WhatsApp id; an inbound message is stored once.
        UniqueConstraint("device_id", "direction", "wa_message_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE")
    )
    direction: Mapped[Direction] = mapped_column(String(8))
    chat: Mapped[str] = mapped_column(String(128))  # the chat's WhatsApp id
    peer: Mapped[str | None] = mapped_column(String(32), nullable=True)  # phone, if known
    type: Mapped[str] = mapped_column(String(16))
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the type carries
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # text or caption
    status: Mapped[MessageStatus] = mapped_column(EnumText(MessageStatus))
    wa_message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("message_batches.id", ondelete="CASCADE"), nullable=True, index=True)
    media_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("media.id", ondelete="SET NULL"), nullable=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Outbound: due from this time (a schedule, or a retry's backoff).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set once an edit or a revoke of this message went out (or came in, for inbound).
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class InsertedRow(SimpleNamespace):
    """A message's columns as just inserted, read like a loaded row: an ORM object is
    costly to build on the hottest path (each accepted send) and nothing else needs one."""


MessageRow = Message | InsertedRow


class MessageBatch(Base):
    """One bulk send: a template sent to many recipients, spaced out over time."""

    __tablename__ = "message_batches"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"))
    total: Mapped[int] = mapped_column(Integer)
    min_delay_ms: Mapped[int] = mapped_column(Integer)
    max_delay_ms: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
