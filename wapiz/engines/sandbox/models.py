from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, UTCDateTime, utc_now


class SandboxSession(Base):
    """A sandbox device's stored session (its "keys"), and what the network knows of it."""

    __tablename__ = "sandbox_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(64))
    noise_key: Mapped[str] = mapped_column(String(64))
    adv_secret: Mapped[str] = mapped_column(String(64))
    jid: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    current_qr_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    qr_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A pairing code the session asked for (the phone with `pair_phone` may enter it).
    pair_code: Mapped[str | None] = mapped_column(String(16), nullable=True, unique=True)
    pair_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The number this session is linked (or being linked) to. A number links one device at a
    # time: the unique index settles two links at once, on SQLite and PostgreSQL alike.
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True, index=True)
    # Set by the network when the phone removes the linked device.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SandboxMail(Base):
    """What the network pushes to a session (pairing results, logouts), oldest first."""

    __tablename__ = "sandbox_mail"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SandboxMessage(Base):
    """A message the network carried, by its WhatsApp id: a resend with the same id is
    recognised and not delivered twice, as WhatsApp's clients do."""

    __tablename__ = "sandbox_messages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sender: Mapped[str] = mapped_column(String(128))
    chat: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    # What it carried (as its mail did): the network's history, which a newly linked
    # device may ask for (sandbox/history.py).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
