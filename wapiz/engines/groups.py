"""Groups as engines report them: a group's description, what a change to its participants
came to, and the notices of groups joined and changed. Each shape has its one mapping to and
from JSON (`to_json`, `from_json`): a device request's answer travels as JSON in its row
(devices/requests.py), and the sandbox's network carries notices as JSON mail.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wapiz.engines.events import Notice

# A participant's role.
MEMBER = "member"
ADMIN = "admin"
SUPERADMIN = "superadmin"  # the group's creator (its owner)
ROLES = (MEMBER, ADMIN, SUPERADMIN)

# What can be done to participants (whatsmeow's ParticipantChange), and to join requests.
ADD = "add"
REMOVE = "remove"
PROMOTE = "promote"
DEMOTE = "demote"
PARTICIPANT_ACTIONS = (ADD, REMOVE, PROMOTE, DEMOTE)
APPROVE = "approve"
REJECT = "reject"
REQUEST_ACTIONS = (APPROVE, REJECT)

# What happened to participants, as a change notice tells it (whatsmeow's GroupInfo event:
# Join, Leave, Promote, Demote). Someone added or let in by a link "joins"; someone removed
# or who left "leaves".
JOINED = "join"
LEFT = "leave"
PROMOTED = "promote"
DEMOTED = "demote"

INVITE_LINK_PREFIX = "https://chat.whatsapp.com/"
OK = 200  # a participant's change went through (WhatsApp's codes otherwise: 403, 404 …)


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in a group: by phone number (digits) and/or LID (`…@lid`), whichever is known."""

    phone: str | None
    lid: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"phone": self.phone, "lid": self.lid}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Person":
        return cls(data.get("phone"), data.get("lid"))


@dataclass(frozen=True, slots=True)
class Participant:
    person: Person
    role: str  # MEMBER, ADMIN or SUPERADMIN

    def to_json(self) -> dict[str, Any]:
        return {**self.person.to_json(), "role": self.role}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Participant":
        return cls(Person.from_json(data), data["role"])


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: str  # …@g.us
    subject: str
    description: str | None
    owner: Person | None
    created_at: datetime | None
    announce: bool  # only admins send messages
    locked: bool  # only admins change the group's settings
    participants: tuple[Participant, ...]
    join_approval: bool | None = None  # None: the engine does not say

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "subject": self.subject, "description": self.description,
                "owner": self.owner.to_json() if self.owner else None,
                "createdAt": _moment(self.created_at), "announce": self.announce,
                "locked": self.locked, "joinApproval": self.join_approval,
                "participants": [p.to_json() for p in self.participants]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GroupInfo":
        return cls(id=data["id"], subject=data["subject"], description=data.get("description"),
                   owner=Person.from_json(data["owner"]) if data.get("owner") else None,
                   created_at=_from_moment(data.get("createdAt")),
                   announce=bool(data["announce"]), locked=bool(data["locked"]),
                   join_approval=data.get("joinApproval"),
                   participants=tuple(Participant.from_json(p) for p in data["participants"]))


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """What to change in a group (or what changed, in a notice); None: unchanged."""

    subject: str | None = None
    description: str | None = None
    announce: bool | None = None
    locked: bool | None = None
    join_approval: bool | None = None
    picture: str | None = None  # a notice's: the new picture's id ("" when removed)

    def to_json(self) -> dict[str, Any]:
        every = {"subject": self.subject, "description": self.description,
                 "announce": self.announce, "locked": self.locked,
                 "joinApproval": self.join_approval, "picture": self.picture}
        return {key: value for key, value in every.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GroupSettings":
        return cls(subject=data.get("subject"), description=data.get("description"),
                   announce=data.get("announce"), locked=data.get("locked"),
                   join_approval=data.get("joinApproval"), picture=data.get("picture"))

    @property
    def empty(self) -> bool:
        return not self.to_json()


@dataclass(frozen=True, slots=True)
class ParticipantResult:
    """One participant's outcome: `status` is WhatsApp's (200 done; 403 their privacy
    settings allow only an invite, 404 not on WhatsApp or not in the group, 408 they left
    recently, 409 already in the group …)."""

    jid: str  # as asked (…@s.whatsapp.net or …@lid)
    status: int
    person: Person | None = None

    def to_json(self) -> dict[str, Any]:
        return {"jid": self.jid, "status": self.status,
                "person": self.person.to_json() if self.person else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ParticipantResult":
        person = data.get("person")
        return cls(data["jid"], int(data["status"]), Person.from_json(person) if person else None)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    person: Person
    requested_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {**self.person.to_json(), "requestedAt": _moment(self.requested_at)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JoinRequest":
        return cls(Person.from_json(data), _from_moment(data.get("requestedAt")))


@dataclass(frozen=True, slots=True)
class Joined:
    """The answer to joining by link: the group, or (`pending`) a request its admins must
    approve first."""

    group_id: str
    group: GroupInfo | None

    @property
    def pending(self) -> bool:
        return self.group is None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.group_id, "group": self.group.to_json() if self.group else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Joined":
        group = data.get("group")
        return cls(data["id"], GroupInfo.from_json(group) if group else None)


# --- notices -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MembersChange:
    action: str  # JOINED, LEFT, PROMOTED or DEMOTED
    people: tuple[Person, ...]

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "people": [p.to_json() for p in self.people]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MembersChange":
        return cls(data["action"], tuple(Person.from_json(p) for p in data["people"]))


@dataclass(frozen=True)
class GroupJoined(Notice):
    """This device's number is in a group now (it created it, was added, or joined)."""

    group: GroupInfo
    reason: str | None = None  # WhatsApp's word: "create", "invite" …
    by: Person | None = None

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group.to_json(), "reason": self.reason,
                "by": self.by.to_json() if self.by else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GroupJoined":
        by = data.get("by")
        return cls(GroupInfo.from_json(data["group"]), data.get("reason"),
                   Person.from_json(by) if by else None)


@dataclass(frozen=True)
class GroupChanged(Notice):
    """A group this device is in changed: its settings, and/or who is in it and as what."""

    group_id: str
    at: datetime
    by: Person | None = None
    settings: GroupSettings = GroupSettings()
    members: tuple[MembersChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group_id, "at": self.at.isoformat(),
                "by": self.by.to_json() if self.by else None,
                "settings": self.settings.to_json(),
                "members": [change.to_json() for change in self.members]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GroupChanged":
        by = data.get("by")
        return cls(data["group"], datetime.fromisoformat(data["at"]),
                   Person.from_json(by) if by else None,
                   GroupSettings.from_json(data.get("settings") or {}),
                   tuple(MembersChange.from_json(m) for m in data.get("members") or ()))
