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
from typing import Any, Literal

from wapiz.engines.content import Content, MessageRef
from wapiz.engines.events import EngineEvent
from wapiz.engines.groups import GroupInfo, GroupSettings, Joined, JoinRequest, ParticipantResult

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
# Refusals the API names by their own status: WhatsApp does not allow this number (403; a
# group it is not in, or one where only admins may), or does not know what was named (404).
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"


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
    forwarded: bool = False  # marked as forwarded, where the engine can

    @property
    def type(self) -> str:
        return self.content.kind


@dataclass(frozen=True)
class Label:
    """A WhatsApp Business label: its id, name, colour (WhatsApp's colour number) and the
    chats it is on."""

    id: str
    name: str
    color: int
    chats: tuple[str, ...] = ()


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


# What a chat shows of us: "typing…", "recording audio…", or nothing any more.
ChatState = Literal["typing", "recording", "paused"]
CHAT_STATES: tuple[ChatState, ...] = ("typing", "recording", "paused")


@dataclass(frozen=True)
class Profile:
    """The linked number's own profile as WhatsApp shows it to others."""

    phone: str | None
    push_name: str | None
    about: str | None
    picture_url: str | None


@dataclass(frozen=True)
class Person:
    """Someone the session knows: from its address book, or who has written. `name` is the
    address book's, `push_name` the one they chose themselves."""

    phone: str | None
    jid: str
    lid: str | None = None
    name: str | None = None
    push_name: str | None = None


@dataclass(frozen=True)
class PersonInfo:
    """What WhatsApp says about one number, looked up now."""

    phone: str
    jid: str | None
    lid: str | None
    name: str | None
    about: str | None
    picture_url: str | None
    is_business: bool
    on_whatsapp: bool


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

    async def send_presence(self, chat: str, state: ChatState) -> None:
        """Show "typing…" or "recording…" in a chat, or stop showing it (`paused`)."""
        raise NotSupported("chat presence")

    async def mark_read(self, chat: str, sender: str, message_ids: Sequence[str]) -> None:
        raise EngineError("unsupported", "this engine cannot send read receipts")

    # --- groups (engines/groups.py); a group is named by its id, …@g.us, and people by
    # their WhatsApp ids (…@s.whatsapp.net or …@lid) ---

    async def groups(self) -> list[GroupInfo]:
        """The groups this number is in."""
        raise NotSupported("groups")

    async def group(self, group: str) -> GroupInfo:
        raise NotSupported("groups")

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        raise NotSupported("creating groups")

    async def change_group(self, group: str, changes: GroupSettings) -> None:
        """Set what `changes` names (subject, description, announce, locked, join approval)."""
        raise NotSupported("changing groups")

    async def set_group_picture(self, group: str, jpeg: bytes) -> str:
        """The new picture's id."""
        raise NotSupported("group pictures")

    async def change_participants(self, group: str, action: str,
                                  participants: Sequence[str]) -> list[ParticipantResult]:
        """Add, remove, promote or demote (engines/groups.py): an outcome per participant."""
        raise NotSupported("changing group participants")

    async def invite_link(self, group: str, reset: bool = False) -> str:
        """The group's invite link; `reset` revokes the current one and makes a new one."""
        raise NotSupported("group invite links")

    async def join_group(self, link: str) -> Joined:
        raise NotSupported("joining groups by link")

    async def leave_group(self, group: str) -> None:
        raise NotSupported("leaving groups")

    async def join_requests(self, group: str) -> list[JoinRequest]:
        raise NotSupported("group join requests")

    async def answer_join_requests(self, group: str, action: str,
                                   participants: Sequence[str]) -> list[ParticipantResult]:
        """Approve or reject requests to join: an outcome per participant."""
        raise NotSupported("answering group join requests")

    async def labels(self) -> list[Label]:
        """The account's labels (WhatsApp Business), each with the chats it is on."""
        raise NotSupported("labels")

    async def set_chat_labels(self, chat: str, label_ids: Sequence[str]) -> None:
        """Put exactly these labels on the chat (none: take them all off)."""
        raise NotSupported("labels")

    # --- the linked number's profile, its contacts, presence and calls --------------------
    # Each raises NotSupported where the engine's library lacks the call (the API: 501).

    async def profile(self) -> Profile:
        raise NotSupported("reading the profile")

    async def set_push_name(self, name: str) -> None:
        raise NotSupported("setting the profile name")

    async def set_about(self, about: str) -> None:
        raise NotSupported("setting the about text")

    async def set_picture(self, jpeg: bytes) -> None:
        raise NotSupported("setting the profile picture")

    async def contacts(self) -> Sequence[Person]:
        """The session's address book and everyone it has a name for."""
        raise NotSupported("listing contacts")

    async def person(self, phone: str) -> PersonInfo:
        raise NotSupported("looking a number up")

    async def block(self, phone: str, blocked: bool) -> None:
        raise NotSupported("blocking")

    async def phone_of_lid(self, lid: str) -> str | None:
        """The phone number behind a LID (digits), or None where the session does not know."""
        raise NotSupported("LID look-ups")

    async def lid_of_phone(self, phone: str) -> str | None:
        """The LID (`…@lid`) of a phone number, or None where the session does not know."""
        raise NotSupported("LID look-ups")

    async def set_presence(self, available: bool) -> None:
        """Show the number as online (available) or offline to its contacts."""
        raise NotSupported("presence")

    async def subscribe_presence(self, phone: str) -> None:
        """Ask to hear of a number's presence (PresenceChanged notices)."""
        raise NotSupported("presence subscriptions")

    async def reject_call(self, call_id: str, caller: str) -> None:
        """Decline a ringing call (`caller`: the id it came from, as CallOffered names it)."""
        raise NotSupported("rejecting calls")

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
