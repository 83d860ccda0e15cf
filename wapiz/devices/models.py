import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, Uuid, false, true
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, EnumText, UTCDateTime, utc_now

DEFAULT_LABEL = "Device Baru"


class StatusName(StrEnum):
    """A device's connection status as the API names it (derived from a session's
    `connected` and `logged_in`, not stored)."""

    LOGGED_IN = "logged_in"
    CONNECTED = "connected"  # reachable, showing QR codes: not logged in
    DISCONNECTED = "disconnected"


class RequestStatus(StrEnum):
    """A device request's life: pending until the runner answers (done) or refuses (failed).
    Stored as this text."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Device(Base):
    __tablename__ = "devices"

    # `id` names the device in /api/devices/:id and is what every other table refers to;
    # `public_id` is the API's `deviceId`, which names it in message operations (stored in
    # the column `device_id`).
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    public_id: Mapped[uuid.UUID] = mapped_column("device_id", Uuid, unique=True,
                                                 default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100), default=DEFAULT_LABEL)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # Per-device settings (PATCH /api/devices/:id/settings).
    proxy: Mapped[str | None] = mapped_column(String(512), nullable=True)  # None: WAPIZ_PROXY
    # Pacing of the send queue: a random pause between sends, "typing…" before texts, a cap.
    min_delay_ms: Mapped[int] = mapped_column(Integer, default=1000, server_default="1000")
    max_delay_ms: Mapped[int] = mapped_column(Integer, default=3000, server_default="3000")
    typing: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Calls: decline every incoming call at once, and (if set) answer the caller with this text.
    reject_calls: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reject_calls_message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # Take in the history the phone sends when it links (chats/), this many days back.
    history_sync: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    history_sync_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # Set by DELETE; the runner holding the device then logs it out, removes its stored
    # keys and deletes the row.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DeviceSession(Base):
    """A device's live session: which runner holds it (the lease) and what it last saw.

    Only the runner holding the lease writes here, fenced by `epoch`; API processes read.
    """

    __tablename__ = "device_sessions"

    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    runner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, index=True
    )
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    logged_in: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Failed connects in a row: the next runner continues the backoff instead of starting a
    # burst of attempts (neonize leaks memory per attempt; WhatsApp dislikes bursts).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The latest drop, kept after the session recovers (a drop can be over in a second).
    last_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_disconnect_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    jid: Mapped[str | None] = mapped_column(String(128), nullable=True)
    qr_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    qr_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class DeviceRequest(Base):
    """Something only the device's live session can do, asked by an API process.

    The API writes the row and waits for its answer; the runner holding the device carries
    it out and writes `result` or `error`. Rows are short-lived: done ones are removed when
    read, and unanswered ones stop counting at `expires_at`.
    """

    __tablename__ = "device_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    device_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RequestStatus] = mapped_column(EnumText(RequestStatus),
                                                  default=RequestStatus.PENDING, index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
