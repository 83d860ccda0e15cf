"""What an event says: its type and its data, as typed models with the one mapping to the
JSON a webhook receiver gets (`{"type", "timestamp", "data"}`). Written by whichever process
saw the change (the runner, the API), in the change's transaction (webhooks/outbox.py), and
meant for every way events leave the gateway (webhooks now; event streams later).

A message's data is also what the HTTP API shows of it (messages/views.py reads the same
model), so a receiver and a client never see a message two ways.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from wapiz.engines.groups import GroupInfo, GroupSettings, Person
from wapiz.kit.schemas import format_timestamp
from wapiz.messages import models
from wapiz.messages.body import MessageBody
from wapiz.messages.models import MessageRow

# The catalogue: every type a webhook's `events` filter (and the event streams) may name.
MESSAGE_RECEIVED = "message.received"
MESSAGE_UPDATED = "message.updated"  # its status moved (sent, delivered, read, failed)
MESSAGE_EDITED = "message.edited"
MESSAGE_REVOKED = "message.revoked"
MESSAGE_REACTION = "message.reaction"
CHAT_UPDATED = "chat.updated"
CONTACT_UPDATED = "contact.updated"
GROUP_JOINED = "group.joined"
GROUP_UPDATED = "group.updated"
GROUP_PARTICIPANTS = "group.participants"
PRESENCE_UPDATED = "presence.updated"
CALL_RECEIVED = "call.received"
DEVICE_STATUS = "device.status"
WEBHOOK_TEST = "webhook.test"  # always sent when asked for, whatever the filter




def _moment(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


@dataclass(frozen=True, slots=True)
class FileData:
    mimetype: str
    file_name: str | None
    size: int | None
    sha256: str | None
    seconds: int | None
    url: str  # where to download it (with the device owner's credentials)

    def to_json(self) -> dict[str, Any]:
        return {"mimetype": self.mimetype, "fileName": self.file_name, "size": self.size,
                "sha256": self.sha256, "seconds": self.seconds, "url": self.url}


# Neither frozen nor slotted, for the hottest path (each accepted send shows one): a frozen
# dataclass sets each of its 32 fields through object.__setattr__, and its `__dict__` is
# what the HTTP schema is validated from (messages/views.py).
@dataclass
class MessageData:
    """A message as events (and the API) show it; fields in the order they are shown."""

    id: uuid.UUID
    device_public_id: uuid.UUID  # the API's `deviceId` (the row holds the device's `id`)
    direction: models.Direction
    to: str | None  # outbound: the recipient's phone number (or group)
    sender: str | None  # inbound: the sender's phone number, if known (shown as `from`)
    sender_jid: str | None
    sender_lid: str | None
    push_name: str | None
    chat: str
    type: str
    text: str | None
    location: dict[str, Any] | None
    contact: dict[str, Any] | None
    reaction: dict[str, Any] | None
    poll: dict[str, Any] | None
    vote: dict[str, Any] | None
    media: FileData | None
    ptt: bool | None
    target_id: uuid.UUID | None
    quoted_wa_message_id: str | None
    status: str
    waiting: str | None
    wa_message_id: str | None
    error: str | None
    created_at: datetime
    timestamp: datetime | None
    send_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    edited_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "deviceId": str(self.device_public_id),
            "direction": self.direction,
            "to": self.to, "from": self.sender, "fromJid": self.sender_jid,
            "fromLid": self.sender_lid, "pushName": self.push_name, "chat": self.chat,
            "type": self.type, "text": self.text, "location": self.location,
            "contact": self.contact, "reaction": self.reaction, "poll": self.poll,
            "vote": self.vote, "media": self.media.to_json() if self.media else None,
            "ptt": self.ptt, "targetId": str(self.target_id) if self.target_id else None,
            "quotedWaMessageId": self.quoted_wa_message_id, "status": str(self.status),
            "waiting": self.waiting, "waMessageId": self.wa_message_id, "error": self.error,
            "createdAt": format_timestamp(self.created_at),
            "timestamp": _moment(self.timestamp), "sendAt": _moment(self.send_at),
            "sentAt": _moment(self.sent_at), "deliveredAt": _moment(self.delivered_at),
            "readAt": _moment(self.read_at), "editedAt": _moment(self.edited_at),
            "revokedAt": _moment(self.revoked_at),
        }


def message_data(message: MessageRow, device_public_id: uuid.UUID,
                 waiting: str | None = None, base_url: str = "") -> MessageData:
    """A message row as shown, its device named by its public `deviceId`. `base_url` makes
    its file's URL absolute (for receivers)."""
    outbound = message.direction == models.OUTBOUND
    body = MessageBody.from_json(message.body)
    received = body.received
    sender = received.sender if received else None
    described = body.media if message.media_id is not None else None
    return MessageData(
        id=message.id, device_public_id=device_public_id, direction=message.direction,
        to=(message.peer or message.chat) if outbound else None,
        sender=None if outbound else message.peer, sender_jid=sender.jid if sender else None,
        sender_lid=sender.lid if sender else None,
        push_name=received.push_name if received else None,
        chat=message.chat, type=message.type, text=message.text,
        location=body.location.to_json() if body.location else None,
        contact=body.contact.to_json() if body.contact else None,
        reaction=body.reaction.to_json() if body.reaction else None,
        poll=body.poll.to_json() if body.poll else None,
        vote=body.vote.to_json() if body.vote else None,
        media=FileData(described.mimetype, described.file_name, described.size,
                       described.sha256, described.seconds,
                       f"{base_url}/api/messages/{message.id}/media") if described else None,
        ptt=True if body.ptt else None,
        target_id=uuid.UUID(body.target_id) if body.target_id else None,
        quoted_wa_message_id=body.quoted_wa_message_id,
        status=message.status, waiting=waiting,
        wa_message_id=message.wa_message_id, error=message.error,
        created_at=message.created_at, timestamp=received.timestamp if received else None,
        send_at=message.send_at if outbound else None, sent_at=message.sent_at,
        delivered_at=message.delivered_at, read_at=message.read_at,
        edited_at=message.edited_at, revoked_at=message.revoked_at,
    )


@dataclass(frozen=True, slots=True)
class MessageChange:
    """What an inbound edit, revoke or reaction changed (`change` in the event's data).
    `action_id` is the action's own message (an `edit`, `revoke` or `reaction` row, told of
    by `message.received` as before); `by` its sender's phone number, `from_me` whether it
    came from the device's own phone, `at` WhatsApp's time for it."""

    action_id: uuid.UUID
    by: str | None
    from_me: bool
    at: datetime | None
    previous_text: str | None = None  # message.edited: the text before
    emoji: str | None = None  # message.reaction: "" takes a reaction back
    target_id: uuid.UUID | None = None  # message.reaction: the message reacted to, if stored
    target_wa_message_id: str | None = None  # message.reaction: WhatsApp's id of it

    def to_json(self, event_type: str) -> dict[str, Any]:
        shown: dict[str, Any] = {"actionId": str(self.action_id), "by": self.by,
                                 "fromMe": self.from_me, "at": _moment(self.at)}
        if event_type == MESSAGE_EDITED:
            shown["previousText"] = self.previous_text
        elif event_type == MESSAGE_REACTION:
            shown.update({"emoji": self.emoji or "", "removed": not self.emoji,
                          "targetId": str(self.target_id) if self.target_id else None,
                          "targetWaMessageId": self.target_wa_message_id})
        return shown


@dataclass(frozen=True, slots=True)
class MessageChangeData:
    """`message.edited` and `message.revoked`: the message edited or revoked, as it is now
    (its new text and `editedAt`, or its `revokedAt`); `message.reaction`: the reaction
    itself (type `reaction`, from whom, in which chat). Each as `message_data` shows a
    message, with `change` beside its fields."""

    event_type: str
    message: MessageData
    change: MessageChange

    def to_json(self) -> dict[str, Any]:
        return {**self.message.to_json(), "change": self.change.to_json(self.event_type)}


@dataclass(frozen=True, slots=True)
class DeviceStatusData:
    """A device's status changed (`device.status`)."""

    id: uuid.UUID  # the device's `id`
    device_public_id: uuid.UUID  # its `deviceId`
    status: str
    reason: str | None
    detail: str | None
    jid: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "deviceId": str(self.device_public_id), "status": self.status,
                "reason": self.reason, "detail": self.detail, "jid": self.jid}


@dataclass(frozen=True, slots=True)
class WebhookTestData:
    """Asked for by the user, to try their receiver (`webhook.test`)."""

    id: uuid.UUID  # the device's `id`; an account webhook's: the webhook's own id
    device_public_id: uuid.UUID | None  # the device's `deviceId`; None: the account's test
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id),
                "deviceId": str(self.device_public_id) if self.device_public_id else None,
                "message": self.message}


def _person(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else person.to_json()


@dataclass(frozen=True, slots=True)
class GroupData:
    """A group as events (and the API: groups/views.py) show it."""

    info: GroupInfo

    def to_json(self) -> dict[str, Any]:
        info = self.info
        owner = info.owner.phone or info.owner.lid if info.owner else None
        return {"id": info.id, "subject": info.subject, "description": info.description,
                "owner": owner, "createdAt": _moment(info.created_at),
                "announce": info.announce, "locked": info.locked,
                "joinApproval": info.join_approval,
                "participants": [p.to_json() for p in info.participants]}


@dataclass(frozen=True, slots=True)
class GroupJoinedData:
    """The device's number is in a group now: created, added, or let in (`group.joined`)."""

    device_public_id: uuid.UUID
    group: GroupInfo
    reason: str | None
    by: Person | None

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "group": GroupData(self.group).to_json(),
                "reason": self.reason, "by": _person(self.by)}


@dataclass(frozen=True, slots=True)
class GroupUpdatedData:
    """A group's settings changed (`group.updated`): only what changed is named."""

    device_public_id: uuid.UUID
    group: str
    changes: GroupSettings
    by: Person | None
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "group": self.group,
                "changes": self.changes.to_json(), "by": _person(self.by),
                "at": format_timestamp(self.at)}


@dataclass(frozen=True, slots=True)
class GroupParticipantsData:
    """People joined or left a group, or were promoted or demoted (`group.participants`)."""

    device_public_id: uuid.UUID
    group: str
    action: str  # join, leave, promote, demote
    participants: tuple[Person, ...]
    by: Person | None
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "group": self.group,
                "action": self.action,
                "participants": [p.to_json() for p in self.participants],
                "by": _person(self.by), "at": format_timestamp(self.at)}


@dataclass(frozen=True, slots=True)
class PresenceData:
    """A number's presence, or what it does in a chat (`presence.updated`)."""

    device_public_id: uuid.UUID
    phone: str | None
    jid: str
    chat: str | None  # set for a chat's typing/recording/paused
    presence: str  # available, unavailable, typing, recording, paused
    last_seen: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "phone": self.phone, "jid": self.jid,
                "chat": self.chat, "presence": self.presence,
                "lastSeen": _moment(self.last_seen)}


@dataclass(frozen=True, slots=True)
class CallData:
    """A call rings the device (`call.received`)."""

    device_public_id: uuid.UUID
    call_id: str
    sender: str | None  # the caller's phone number, if known (shown as `from`)
    sender_jid: str
    is_video: bool
    is_group: bool
    at: datetime
    rejected: bool  # the device's rejectCalls setting declines it

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "callId": self.call_id,
                "from": self.sender, "fromJid": self.sender_jid, "isVideo": self.is_video,
                "isGroup": self.is_group, "at": format_timestamp(self.at),
                "rejected": self.rejected}


@dataclass(frozen=True, slots=True)
class ContactData:
    """A contact's names changed (`contact.updated`)."""

    device_public_id: uuid.UUID
    phone: str | None
    jid: str
    lid: str | None
    name: str | None
    push_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "phone": self.phone, "jid": self.jid,
                "lid": self.lid, "name": self.name, "pushName": self.push_name}


@dataclass(frozen=True, slots=True)
class ChatData:
    """A chat's state changed (`chat.updated`): archived, pinned, muted, read, deleted."""

    device_public_id: uuid.UUID  # the device's `deviceId`
    chat: str
    archived: bool
    pinned: bool
    muted_until: datetime | None
    unread_count: int
    cleared_at: datetime | None  # when it was last deleted (its messages before are hidden)

    def to_json(self) -> dict[str, Any]:
        return {"deviceId": str(self.device_public_id), "chat": self.chat,
                "archived": self.archived, "pinned": self.pinned,
                "mutedUntil": _moment(self.muted_until), "unreadCount": self.unread_count,
                "clearedAt": _moment(self.cleared_at)}


class EventData(Protocol):
    """An event's data: each kind is a dataclass with its one mapping to JSON."""

    def to_json(self) -> dict[str, Any]: ...


def event_body(event_type: str, data: EventData, at: datetime) -> str:
    """The exact JSON posted and signed: `{"type", "timestamp", "data"}`."""
    return json.dumps({"type": event_type, "timestamp": format_timestamp(at),
                       "data": data.to_json()}, ensure_ascii=False, separators=(",", ":"))
