"""An output's rows: who publishes it (a lease), how it is going, and how far each device's
events have gone (a cursor per device: a device's events commit in `seq` order, but across
devices a lower `seq` can commit after a higher one, so one "last seq" for all would skip
events)."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    ForeignKey,
    String,
    Uuid,
    and_,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, UTCDateTime, utc_now
from wapiz.webhooks.models import AutoId, WebhookEvent


class EventOutput(Base):
    """A configured output (`name`: nats, amqp) as its publisher last saw it."""

    __tablename__ = "event_outputs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The process publishing this output's events, one at a time (a lease).
    publisher: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    connected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published: Mapped[int] = mapped_column(BigInteger, default=0)  # events the broker confirmed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class OutputCursor(Base):
    """The last event of a device the output's broker confirmed."""

    __tablename__ = "output_cursors"

    output: Mapped[str] = mapped_column(
        String(32), ForeignKey("event_outputs.name", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(AutoId)


def cursor_of(output: str) -> ColumnElement[bool]:
    """Join condition: the output's cursor of the event's device (outer join: none yet)."""
    return and_(OutputCursor.output == output, OutputCursor.device_id == WebhookEvent.device_id)


def unpublished() -> ColumnElement[bool]:
    """Events past their device's cursor (with `cursor_of` joined): not yet published."""
    return WebhookEvent.seq > func.coalesce(OutputCursor.last_seq, 0)
