"""The engine interface: everything the runner needs from a WhatsApp implementation.

A `WhatsAppEngine` lives for the life of a runner process; it makes one `EngineSession` per device
the runner holds. A session is named by a key (the device's id) under which the engine keeps
its stored keys, so a session resumes after any restart without a new scan.
"""

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wapiz.engines.content import Content, MessageRef
from wapiz.engines.events import EngineEvent

# A coroutine function: an engine on its own threads hands events over with
# `asyncio.run_coroutine_threadsafe`.
EventSink = Callable[[EngineEvent], Coroutine[Any, Any, None]]


def new_message_id() -> str:
    """A message id in WhatsApp Web's style (3EB0 + 18 hex digits)."""
    return "3EB0" + secrets.token_hex(9).upper()


class EngineError(Exception):
    """An operation the network or the engine refused; `reason` is a short word for users."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class NotConnected(EngineError):
    def __init__(self, detail: str = "") -> None:
        super().__init__("not_connected", detail)


NOT_SUPPORTED = "not_supported_by_engine"


class NotSupported(EngineError):
    """This engine has no such call (its library lacks it): the API answers 501."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(NOT_SUPPORTED, detail)


@dataclass(frozen=True)
class SessionConfig:
    """Per-device settings a session is started with; a change restarts the session."""

    proxy: str | None = None
    # Take in the history the phone sends when it links (None: not at all), as far back as
    # this many days.
    history_sync_days: int | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """One message to send: to whom, and what it carries (engines/content.py)."""

    to: str  # a WhatsApp id: 628…@s.whatsapp.net or …@g.us
    content: Content
    id: str | None = None  # the WhatsApp id chosen for it, where the engine can use one
    quoted: MessageRef | None = None  # a reply: the message it quotes
    mentions: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        return self.content.kind


@dataclass(frozen=True)
class ChatStateChange:
    """A chat's state to set on the linked device: each field None stays as it is.
    `muted` True with `muted_until` None mutes for ever."""

    archived: bool | None = None
    pinned: bool | None = None
    muted: bool | None = None
    muted_until: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """As a device request carries it."""
        return {"archived": self.archived, "pinned": self.pinned, "muted": self.muted,
                "mutedUntil": self.muted_until.isoformat() if self.muted_until else None}

    @classmethod
    def from_json(cls, carried: dict[str, Any]) -> "ChatStateChange":
        until = carried.get("mutedUntil")
        return cls(carried.get("archived"), carried.get("pinned"), carried.get("muted"),
                   datetime.fromisoformat(until) if until else None)


@dataclass(frozen=True)
class SendResult:
    message_id: str
    timestamp: datetime


class EngineSession(ABC):
    """One device's connection. The runner calls its lifecycle methods one at a time."""

    @abstractmethod
    async def start(self) -> None:
        """Connect: resume the stored session, or begin pairing (QR codes) if there is none.

        Returns once the attempt is under way; progress arrives as events. Raises if the
        attempt failed, and the runner retries with backoff.
        """

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect, keeping the stored keys (the runner is stopping or lost the lease)."""

    @abstractmethod
    async def logout(self) -> None:
        """Log out on the network, disconnect and delete the stored keys."""

    @abstractmethod
    async def pair_phone(self, phone: str) -> str:
        """Link by pairing code instead of QR: the code (`ABCD-EFGH`) the user types into
        WhatsApp on the phone with that number. Only while the session shows QR codes."""

    @abstractmethod
    async def probe(self) -> None:
        """Prove the connection answers (a round trip); raise if it does not."""

    async def send(self, message: OutboundMessage) -> SendResult:
        raise EngineError("unsupported", f"this engine cannot send {message.type} messages")

    async def download(self, ref: bytes) -> bytes:
        """The bytes of an inbound attachment (`Media.ref`)."""
        raise EngineError("unsupported", "this engine cannot download media")

    async def check(self, phones: Sequence[str]) -> dict[str, str | None]:
        """Which numbers are on WhatsApp: phone → its WhatsApp id, or None."""
        raise EngineError("unsupported", "this engine cannot check numbers")

    async def send_presence(self, chat: str, typing: bool) -> None:
        """Show (or stop showing) "typing…" in a chat."""
        raise EngineError("unsupported", "this engine cannot send presence")

    async def mark_read(self, chat: str, sender: str, message_ids: Sequence[str]) -> None:
        raise EngineError("unsupported", "this engine cannot send read receipts")

    async def change_chat(self, chat: str, change: ChatStateChange) -> None:
        """Archive, pin or mute a chat on the linked device (WhatsApp's app state)."""
        raise NotSupported("archiving, pinning and muting chats")

    async def delete_chat(self, chat: str) -> None:
        """Delete a chat on the linked device (WhatsApp's app state)."""
        raise NotSupported("deleting chats")


class WhatsAppEngine(ABC):
    name: str
    # Whether a message sent again carries the id chosen for it (then a resend after a crash
    # reaches the recipient once). neonize 0.5.2 cannot pass an id to whatsmeow.
    keeps_message_ids: bool = False

    @abstractmethod
    async def open(self) -> None:
        """Acquire process-wide resources (pollers, client libraries)."""

    @abstractmethod
    async def close(self) -> None:
        """Release them."""

    @abstractmethod
    def session(self, key: str, config: SessionConfig, emit: EventSink) -> EngineSession:
        """A session for the device named `key`; its events go to `emit`."""

    @abstractmethod
    async def destroy(self, key: str) -> None:
        """Forget a device that has no live session: log out if possible, delete its keys."""

    @property
    def needs_recycle(self) -> bool:
        """True once the process should be replaced (a library that leaks per connection)."""
        return False
