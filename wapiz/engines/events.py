"""What an engine tells the runner about one session. Engines speak only in these.

Each engine translates its library's own events at its boundary; nothing of a library's
types passes this module. Reasons are short snake_case words the API reports as they are.
"""

from dataclasses import dataclass, field
from datetime import datetime

from wapiz.engines.content import Contact, LinkPreview, Location, Poll

# Why a session is not logged in (reported as `reason` in /status).
CONNECTING = "connecting"
LOGGED_OUT = "logged_out"
REMOVED_FROM_PHONE = "removed_from_phone"
MAIN_DEVICE_GONE = "main_device_gone"
TEMPORARY_BAN = "temporary_ban"
STREAM_REPLACED = "stream_replaced"
KEEPALIVE_TIMEOUT = "keepalive_timeout"
CONNECTION_LOST = "connection_lost"
CONNECT_FAILED = "connect_failed"
CLIENT_OUTDATED = "client_outdated"
PAIRING_FAILED = "pairing_failed"
QR_TIMEOUT = "qr_timeout"
WATCHDOG_SILENT = "watchdog_silent"

# What kind of failure a connect attempt met (the `detail` of `connect_failed`). Only the
# kind: the text of the failure can hold what another service answered (a proxy pointed at
# an internal service would otherwise hand its reply to the tenant), so it goes to the log.
CONNECTION_REFUSED = "connection_refused"
TIMEOUT = "timeout"
DNS_FAILED = "dns_failed"
NETWORK_UNREACHABLE = "network_unreachable"
PROXY_ERROR = "proxy_error"
PROXY_REFUSED = "proxy_refused"  # the proxy's address is not public (WAPIZ_PROXY_ALLOW_PRIVATE)
CONNECTION_CLOSED = "connection_closed"
HANDSHAKE_FAILED = "handshake_failed"


def phone_of(jid: str | None) -> str | None:
    """`6281234567890:3@s.whatsapp.net` → `6281234567890`."""
    if not jid:
        return None
    return jid.split("@", 1)[0].split(":", 1)[0]


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
    detail: str | None = None


@dataclass(frozen=True)
class Disconnected:
    """The connection dropped, or stopped answering; the stored session is still valid.

    `retry_after` (seconds): wait at least this long before reconnecting (a temporary ban
    says how long; another client that took the session over gets time to finish).
    `reconnect=False`: the engine is recovering by itself (keep-alives failing); the status
    reports the reason until it recovers, and the watchdog steps in if it does not.
    """

    reason: str
    detail: str | None = None
    retry_after: float | None = None
    reconnect: bool = True


@dataclass(frozen=True)
class Party:
    """Someone WhatsApp names: by phone number (`…@s.whatsapp.net`), by LID (`…@lid`), or a
    group (`…@g.us`). `phone` is filled in wherever the number is known, LIDs included."""

    jid: str
    phone: str | None = None
    lid: str | None = None


@dataclass(frozen=True)
class Media:
    """An attachment's description; its bytes come from `EngineSession.download(ref)`, unless
    the engine had them already (`data`)."""

    mimetype: str
    ref: bytes = field(repr=False)
    file_name: str | None = None
    size: int | None = None
    sha256: str | None = None
    seconds: int | None = None
    data: bytes | None = field(default=None, repr=False)  # when the engine has them at once


@dataclass(frozen=True)
class InboundMessage:
    """A message as it arrived, of any type. Only the fields of its `type` are set."""

    id: str
    chat: Party
    sender: Party
    from_me: bool
    timestamp: datetime
    type: str  # text, image, video, audio, document, sticker, location, contact,
    # reaction, poll, poll_vote, revoke, edit, or unknown
    push_name: str | None = None
    text: str | None = None  # the text, or a media caption
    media: Media | None = None
    ptt: bool = False
    location: Location | None = None
    contact: Contact | None = None
    target_id: str | None = None  # the message a reaction, revoke or edit is about
    reaction: str | None = None  # the emoji ("" removes a reaction)
    poll: Poll | None = None
    # A poll vote's chosen options, as WhatsApp carries them: SHA-256 (hex) of each name.
    vote: tuple[str, ...] = ()
    quoted_id: str | None = None
    mentions: tuple[str, ...] = ()
    link_preview: LinkPreview | None = None  # a text's link, as its sender previewed it
    forwarded: bool = False  # marked forwarded by its sender


@dataclass(frozen=True)
class Receipt:
    """Our messages `message_ids` reached a new state in `chat`."""

    chat: Party
    sender: Party
    message_ids: tuple[str, ...]
    status: str  # delivered, read, played
    timestamp: datetime


@dataclass(frozen=True)
class Notice:
    """The base of what a session hears beside messages and receipts (a presence, a call,
    a change to a group or a chat). Each kind is a frozen dataclass subclassing it; the
    runner stores it, fenced by the lease, before the engine acknowledges anything
    (workers/runner/notices/ says what each kind writes)."""


@dataclass(frozen=True)
class CallOffered(Notice):
    """Someone is calling the linked number (it rings until answered or rejected)."""

    call_id: str
    caller: Party  # who calls; reject_call takes `caller.jid`
    is_video: bool
    is_group: bool
    at: datetime


@dataclass(frozen=True)
class PresenceChanged(Notice):
    """A number's presence: `available`/`unavailable` (to a subscriber, with when it was last
    seen), or in a chat (`chat` set) `typing`, `recording` or `paused`."""

    who: Party
    presence: str
    last_seen: datetime | None = None
    chat: str | None = None


@dataclass(frozen=True)
class ContactChanged(Notice):
    """A contact's names changed (the address book's `name`, or their own `push_name`)."""

    who: Party
    name: str | None = None
    push_name: str | None = None


@dataclass(frozen=True)
class HistoryChat:
    """One conversation of a history sync: its state on the phone and its past messages
    (oldest first)."""

    chat: str
    name: str | None = None
    archived: bool = False
    pinned: bool = False
    muted_until: datetime | None = None  # datetime.max (UTC) for ever
    unread_count: int = 0
    messages: tuple[InboundMessage, ...] = ()


@dataclass(frozen=True)
class HistorySync(Notice):
    """Past conversations the phone sends a newly linked device (only when the device asked
    for them: `SessionConfig.history_sync_days`)."""

    chats: tuple[HistoryChat, ...]


SessionEvent = QrCode | LoggedIn | LoggedOut | Disconnected
EngineEvent = SessionEvent | InboundMessage | Receipt | Notice
