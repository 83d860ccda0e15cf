from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String
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


class SandboxGroup(Base):
    """A group on the simulated network: its settings and its invite code (engines/sandbox/
    groups.py keeps them)."""

    __tablename__ = "sandbox_groups"

    jid: Mapped[str] = mapped_column(String(64), primary_key=True)  # …@g.us
    subject: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    owner: Mapped[str] = mapped_column(String(32))  # the creator's number
    announce: Mapped[bool] = mapped_column(Boolean, default=False)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    join_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    picture_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SandboxGroupMember(Base):
    """A number in a group, with its role (member, admin, superadmin)."""

    __tablename__ = "sandbox_group_members"

    group_jid: Mapped[str] = mapped_column(
        String(64), ForeignKey("sandbox_groups.jid", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SandboxGroupRequest(Base):
    """A number asking to join a group that needs an admin's approval."""

    __tablename__ = "sandbox_group_requests"

    group_jid: Mapped[str] = mapped_column(
        String(64), ForeignKey("sandbox_groups.jid", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SandboxChatLabels(Base):
    """The labels a sandbox device's account put on a chat (WhatsApp Business keeps them
    with the account, on the phone and its linked devices alike)."""

    __tablename__ = "sandbox_chat_labels"

    session_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat: Mapped[str] = mapped_column(String(128), primary_key=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SandboxPerson(Base):
    """A number on the simulated network as others see it: its LID, profile and presence.
    A row is made the first time the network needs one (a link, a look-up, a change)."""

    __tablename__ = "sandbox_people"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    lid: Mapped[str] = mapped_column(String(64), unique=True)  # `…@lid`
    push_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    about: Mapped[str | None] = mapped_column(String(500), nullable=True)
    picture: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Names the picture in its URL (/api/sandbox/pictures/:id), a new one for each picture.
    picture_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    presence: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SandboxBlock(Base):
    """`phone` has blocked `blocked`: the network carries nothing from it to `phone`."""

    __tablename__ = "sandbox_blocks"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    blocked: Mapped[str] = mapped_column(String(32), primary_key=True)


class SandboxWatch(Base):
    """A session that asked to hear of a number's presence."""

    __tablename__ = "sandbox_presence_watches"

    session_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), primary_key=True)


class SandboxCall(Base):
    """A call ringing a session, until it is rejected."""

    __tablename__ = "sandbox_calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    caller: Mapped[str] = mapped_column(String(128))  # the caller's jid
    is_video: Mapped[bool] = mapped_column(Boolean, default=False)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
