import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, EnumText, UTCDateTime, utc_now


class DeliveryStatus(StrEnum):
    """A delivery's life: pending (due at `next_attempt_at`) → succeeded, or failed once its
    retries are spent (a redelivery makes it pending again). Stored as this text."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


AutoId = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys


class WebhookEndpoint(Base):
    """A webhook's settings: a device's (its URL is devices.webhook_url, the contract's) or
    an account's (every device's events; its URL is `url`). Exactly one owner."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint("(device_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), unique=True, nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), unique=True, nullable=True)
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)  # an account's
    secret: Mapped[str] = mapped_column(String(128))  # whsec_…
    # After a rotation the old secret signs too, until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True)
    events: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: every type
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    disabled_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # The dispatcher delivering this endpoint's events, one at a time, in order (a lease).
    dispatcher: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dispatch_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class WebhookEvent(Base):
    """Something that happened to a device, as sent: `body` is the exact JSON signed and
    posted. Written in the transaction of the change it reports. Only an account webhook's
    test event has no device."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # Retention's question: which events were written before a time.
        Index("ix_webhook_events_created", "created_at"),
        # The outputs' (and streams') question: a device's events after a cursor, in order.
        Index("ix_webhook_events_device_seq", "device_id", "seq"),
    )

    # Increasing: an endpoint's events are delivered in this order.
    seq: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)  # msg_…: the `webhook-id`
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), index=True, nullable=True)
    # An account webhook's test event (no device): gone with its account.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    type: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class WebhookDelivery(Base):
    """An event on its way to one endpoint's URL (a device's, or its account's)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The dispatcher's question: which deliveries of an endpoint are due, in event order.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status", "event_seq"),
        Index("ix_webhook_deliveries_device", "device_id", "status", "event_seq"),
        # Retention's question: which finished deliveries finished before a time.
        Index("ix_webhook_deliveries_finished", "status", "finished_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_seq: Mapped[int] = mapped_column(
        AutoId, ForeignKey("webhook_events.seq", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # The event's device (None: an account webhook's test).
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Failed attempts since it was (re)queued: where it is in the retry schedule.
    retries: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookAttempt(Base):
    """One POST of a delivery, as it went."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)  # first 2 KB
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
