"""What an engine tells the runner about one session. Engines speak only in these."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class QrCode:
    """A new code to show; the phone scans it to link this session."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class LoggedIn:
    """Connected and logged in, after a scan or on resuming a stored session."""

    jid: str


@dataclass(frozen=True)
class LoggedOut:
    """The link is gone (removed on the phone, or logged out); stored keys are void."""

    reason: str


@dataclass(frozen=True)
class Disconnected:
    """The connection dropped; the stored session is still valid."""

    reason: str


EngineEvent = QrCode | LoggedIn | LoggedOut | Disconnected
