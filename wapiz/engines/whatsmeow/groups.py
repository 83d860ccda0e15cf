"""neonize's group protobufs in, the gateway's group shapes (engines/groups.py) out: pure
functions, like adapter.py's (the tests feed real protobufs through them).

neonize 0.5.2 lacks two of whatsmeow's group calls: answering join requests
(`UpdateGroupRequestParticipants`) and turning join approval on or off
(`SetGroupJoinApprovalMode`); its `GroupInfo` does not carry the approval mode either. Those
are `NotSupported` here (docs/api.md names the gap).
"""

from datetime import UTC, datetime

from neonize.proto import Neonize_pb2 as neonize

from wapiz.engines.base import FORBIDDEN, NOT_FOUND, EngineError
from wapiz.engines.groups import (
    ADMIN,
    DEMOTED,
    JOINED,
    LEFT,
    MEMBER,
    OK,
    PROMOTED,
    SUPERADMIN,
    GroupChanged,
    GroupInfo,
    GroupJoined,
    GroupSettings,
    JoinRequest,
    MembersChange,
    Participant,
    ParticipantResult,
    Person,
)
from wapiz.engines.whatsmeow.adapter import LidResolver, _timestamp, jid_text
from wapiz.kit.jids import LID_SERVER, PHONE_SERVER

# whatsmeow's words for what a group call met, most specific first: what WhatsApp does not
# allow this number (403), and what it does not know (404).
_REFUSALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("not-authorized", "forbidden", "error 403", "error 401", "not participating",
      "don't have the permission", "unauthorized"), FORBIDDEN),
    (("item-not-found", "error 404", "not found", "not valid", "revoked", "error 410",
      "gone"), NOT_FOUND),
)


def refusal(failure: EngineError) -> EngineError:
    """A failed group call as the API words it (engine errors only; a timeout or a lost
    connection stays what it was)."""
    if failure.reason != "engine_error":
        return failure
    lowered = failure.detail.lower()
    for words, reason in _REFUSALS:
        if any(word in lowered for word in words):
            return EngineError(reason, failure.detail)
    return failure


def person(jid: neonize.JID, alt: neonize.JID | None = None,
           resolve_lid: LidResolver | None = None) -> Person | None:
    """Someone named by a JID (and its other form, where known)."""
    ids = [j for j in (jid, alt) if j is not None and j.User]
    phone = next((j.User for j in ids if j.Server == PHONE_SERVER), None)
    lid = next((jid_text(j) for j in ids if j.Server == LID_SERVER), None)
    if phone is None and lid is not None and resolve_lid is not None:
        phone = resolve_lid(lid)
    return Person(phone, lid) if phone or lid else None


def participant(part: neonize.GroupParticipant) -> Participant:
    found = person(part.PhoneNumber, part.LID) or person(part.JID) or Person(None)
    if found.phone is None or found.lid is None:  # the JID may add the other form
        more = person(part.JID)
        if more is not None:
            found = Person(found.phone or more.phone, found.lid or more.lid)
    role = SUPERADMIN if part.IsSuperAdmin else ADMIN if part.IsAdmin else MEMBER
    return Participant(found, role)


def group_info(info: neonize.GroupInfo) -> GroupInfo:
    topic = info.GroupTopic
    return GroupInfo(
        id=jid_text(info.JID),
        subject=info.GroupName.Name,
        description=(topic.Topic or None) if not topic.TopicDeleted else None,
        owner=person(info.OwnerPN, info.OwnerJID) or person(info.OwnerJID),
        # neonize's GroupCreated is a 32-bit float: these days' times to within 128 s.
        created_at=datetime.fromtimestamp(info.GroupCreated, UTC) if info.GroupCreated else None,
        announce=info.GroupAnnounce.IsAnnounce,
        locked=info.GroupLocked.isLocked,
        # A participant WhatsApp would not add (a new group's, with its error) is not in it.
        participants=tuple(participant(p) for p in info.Participants if not p.Error),
        join_approval=None,  # not in neonize 0.5.2's GroupInfo
    )


def participant_results(asked: list[str],
                        answered: list[neonize.GroupParticipant]) -> list[ParticipantResult]:
    """WhatsApp's answer for each participant, named as it was asked where it can be matched
    (WhatsApp may answer with the other form of someone's id)."""
    results = []
    for part in answered:
        forms = [jid_text(j) for j in (part.JID, part.PhoneNumber, part.LID) if j.User]
        named = next((jid for jid in forms if jid in asked), forms[0] if forms else "")
        results.append(ParticipantResult(named, part.Error or OK, participant(part).person))
    return results


def join_request(request: neonize.GroupParticipantRequest) -> JoinRequest:
    at = datetime.fromtimestamp(request.TimeAt, UTC) if request.TimeAt else None
    return JoinRequest(person(request.Participant) or Person(None), at)


# --- events -------------------------------------------------------------------------------


def joined_group(event: neonize.JoinedGroup) -> GroupJoined:
    return GroupJoined(group_info(event.GroupInfo), event.Reason or event.Type or None,
                       person(event.SenderPN, event.Sender) if event.HasField("Sender")
                       else None)


def group_changed(event: neonize.GroupInfoEvent, resolve_lid: LidResolver) -> GroupChanged | None:
    """A change to a group (its name, topic, settings, participants); None if it names
    nothing this gateway reports (an ephemeral timer, a community link)."""
    settings = GroupSettings(
        subject=event.Name.Name if event.HasField("Name") else None,
        description=(("" if event.Topic.TopicDeleted else event.Topic.Topic)
                     if event.HasField("Topic") else None),
        announce=event.Announce.IsAnnounce if event.HasField("Announce") else None,
        locked=event.Locked.isLocked if event.HasField("Locked") else None,
    )
    members = tuple(
        MembersChange(action, tuple(p for jid in jids
                                    if (p := person(jid, resolve_lid=resolve_lid)) is not None))
        for action, jids in ((JOINED, event.Join), (LEFT, event.Leave),
                             (PROMOTED, event.Promote), (DEMOTED, event.Demote)) if jids)
    if settings.empty and not members:
        return None
    by = person(event.Sender, resolve_lid=resolve_lid) if event.HasField("Sender") else None
    return GroupChanged(jid_text(event.JID), _timestamp(event.Timestamp), by, settings, members)
