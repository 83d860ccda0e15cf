"""The groups API's shapes. A group is shown as events show it (webhooks/events.py:
GroupData), validated into `GroupOut` (views.py)."""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from wapiz.kit.schemas import ApiInput, ApiModel, Timestamp, text
from wapiz.kit.text import Text
from wapiz.kit.validation import invalid

NOTHING_TO_CHANGE = Text("Sebutkan minimal satu: subject, description, announce, locked, "
                         "joinApproval",
                         "Name at least one of subject, description, announce, locked, "
                         "joinApproval")
MAX_PARTICIPANTS = 256  # in one request (WhatsApp's groups hold up to 1,024)
Subject = Annotated[str, text(strip=True, min_length=1, max_length=100)]  # WhatsApp's limit
Description = Annotated[str, text(max_length=2048)]
ParticipantText = Annotated[str, text(strip=True, min_length=1, max_length=64)]
Participants = Annotated[list[ParticipantText], Field(
    min_length=1, max_length=MAX_PARTICIPANTS,
    description="Phone numbers as people write them (0812…, +62 812-…, 62812…) or WhatsApp "
    "ids (…@s.whatsapp.net, …@lid).", examples=[["081234567890", "6281298765432"]])]


class PersonOut(ApiModel):
    phone: str | None = Field(description="The number (digits), where known.")
    lid: str | None = Field(description="The anonymous WhatsApp id (…@lid), where known.")


class ParticipantOut(PersonOut):
    role: Literal["member", "admin", "superadmin"]


class GroupOut(ApiModel):
    id: str = Field(description="The group's WhatsApp id (…@g.us): send to it with "
                    "POST /api/messages.", examples=["120363041234567890@g.us"])
    subject: str
    description: str | None
    owner: str | None = Field(description="The creator's number (or LID).")
    created_at: Timestamp | None
    announce: bool = Field(description="Only admins send messages.")
    locked: bool = Field(description="Only admins change the group's settings.")
    join_approval: bool | None = Field(
        description="Joining by link needs an admin's approval (null: the engine does not "
        "say; whatsmeow through neonize 0.5.2 does not).")
    participants: list[ParticipantOut]


class GroupList(ApiModel):
    items: list[GroupOut]


class GroupCreate(ApiInput):
    subject: Subject = Field(description="The group's name.")
    participants: Annotated[list[ParticipantText], Field(
        default_factory=list, max_length=MAX_PARTICIPANTS,
        description="Who to add besides this device's number (numbers or WhatsApp ids).")]


class GroupChange(ApiInput):
    """Only the fields given change."""

    subject: Subject | None = None
    description: Description | None = Field(None, description='"" removes it.')
    announce: bool | None = Field(None, description="Only admins send messages.")
    locked: bool | None = Field(None, description="Only admins change the group's settings.")
    join_approval: bool | None = Field(None, description="Joining by link needs an admin's "
                                       "approval (not with whatsmeow: neonize 0.5.2 lacks it).")

    @model_validator(mode="after")
    def _names_a_change(self) -> "GroupChange":
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise invalid("nothing_to_change", NOTHING_TO_CHANGE)
        return self


class ParticipantsChange(ApiInput):
    action: Literal["add", "remove", "promote", "demote"]
    participants: Participants


class RequestsAnswer(ApiInput):
    action: Literal["approve", "reject"]
    participants: Participants


class ParticipantResultOut(ApiModel):
    participant: str = Field(description="As given.")
    phone: str | None
    lid: str | None
    ok: bool
    status: int = Field(description="WhatsApp's code: 200 done; 403, 404, 408, 409 refused "
                        "(see `reason`).")
    reason: str | None = Field(
        description="Why WhatsApp refused: privacy_restricted (403: their privacy settings "
        "allow only an invite), not_allowed (403: the creator cannot be removed or demoted), "
        "not_on_whatsapp (404, adding), not_participant (404), no_request (404, no such join "
        "request), recently_left (408), already_participant (409), refused (any other).")


class ParticipantsOut(ApiModel):
    results: list[ParticipantResultOut]


class InviteOut(ApiModel):
    link: str = Field(examples=["https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv"])


class JoinIn(ApiInput):
    link: Annotated[str, text(strip=True, min_length=1, max_length=256)] = Field(
        description="An invite link (https://chat.whatsapp.com/…) or its code.")


class JoinPendingOut(ApiModel):
    id: str = Field(description="The group's WhatsApp id.")
    pending: Literal[True] = Field(description="The group's admins must approve the request.")


class JoinRequestOut(PersonOut):
    requested_at: Timestamp | None


class JoinRequestList(ApiModel):
    items: list[JoinRequestOut]


class PictureOut(ApiModel):
    picture_id: str
