"""A process of the deployment, as it reports itself: one row per live API or runner process,
kept current by its heartbeat (on the database's clock) and deleted when it stops."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from wapiz.db.base import Base, EnumText, UTCDateTime


class NodeRole(StrEnum):
    API = "api"
    RUNNER = "runner"


class Node(Base):
    __tablename__ = "nodes"

    # The process's identity: for a runner the name its leases carry (device_sessions.runner).
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    role: Mapped[NodeRole] = mapped_column(EnumText(NodeRole))
    # A runner's kind of device (workers/runner/roles.py: all, linked, quarantine).
    runner_role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a runner's most devices
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A runner told to stop, handing its devices over: the others no longer count on it.
    draining: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
