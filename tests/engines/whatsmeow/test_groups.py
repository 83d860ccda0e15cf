"""Groups on the whatsmeow engine: each session call maps to neonize's call with the right
arguments, neonize's answers (real protobufs, from a faked Go library) map to the gateway's
group shapes, and neonize's group events become the right notices."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from neonize.proto import Neonize_pb2 as neonize

from tests.engines.whatsmeow.fakego import FakeGo, jid, reachable_whatsapp
from tests.engines.whatsmeow.test_sessions import FIRST_QR, session, until
from wapiz.engines.base import EngineError, NotSupported
from wapiz.engines.groups import (
    ADMIN,
    MEMBER,
    SUPERADMIN,
    GroupChanged,
    GroupJoined,
    GroupSettings,
    MembersChange,
    Participant,
    ParticipantResult,
    Person,
)
from wapiz.engines.whatsmeow import groups, route

__all__ = ["session"]  # the logged-in session fixture, here on GroupsGo

GID = "120363041234567890@g.us"
# neonize carries a group's creation time as a 32-bit float: whole seconds only up to 128 s.
CREATED = 1764069888  # 128 * 13781796, exact in a float


def member(phone: str, lid: str = "", role: str = MEMBER,
           error: int = 0) -> neonize.GroupParticipant:
    return neonize.GroupParticipant(
        JID=jid(phone), LID=jid(lid, "lid") if lid else neonize.JID(),
        PhoneNumber=jid(phone), IsAdmin=role != MEMBER, IsSuperAdmin=role == SUPERADMIN,
        DisplayName="", Error=error)


def group_info(subject: str = "Arisan", participants: tuple = ()) -> neonize.GroupInfo:
    return neonize.GroupInfo(
        JID=jid("120363041234567890", "g.us"), OwnerJID=jid("6281234567890"),
        OwnerPN=jid("6281234567890"), GroupName=neonize.GroupName(Name=subject),
        GroupTopic=neonize.GroupTopic(Topic="Tiap Minggu", TopicID="T1", TopicDeleted=False),
        GroupLocked=neonize.GroupLocked(isLocked=True),
        GroupAnnounce=neonize.GroupAnnounce(IsAnnounce=False),
        GroupCreated=CREATED, Participants=participants or (
            member("6281234567890", role=SUPERADMIN), member("6281111111110", "77001")))


class GroupsGo(FakeGo):
    """The faked Go library, with whatsmeow's group calls: each records what it was given and
    answers with neonize's real return protobufs (or `fail[name]` as Go's error text)."""

    def __init__(self, script) -> None:  # type: ignore[no-untyped-def]
        super().__init__(script)
        self.asked: list[tuple] = []
        self.fail: dict[str, str] = {}
        self.answer_to_update: list[neonize.GroupParticipant] = []

    def _read(self, name: str, *args: object) -> str:
        with self._call(name, writes=False):
            self.asked.append((name, *args))
        return self.fail.pop(name, "")

    def GenerateMessageID(self, uuid):  # type: ignore[no-untyped-def]
        return b"3EB0CREATEKEY"

    def GetJoinedGroups(self, uuid):  # type: ignore[no-untyped-def]
        error = self._read("GetJoinedGroups")
        return neonize.GetJoinedGroupsReturnFunction(
            Group=[] if error else [group_info()], Error=error).SerializePartialToString()

    def GetGroupInfo(self, uuid, buf, size):  # type: ignore[no-untyped-def]
        error = self._read("GetGroupInfo", neonize.JID.FromString(buf))
        answer = (neonize.GetGroupInfoReturnFunction(Error=error) if error
                  else neonize.GetGroupInfoReturnFunction(GroupInfo=group_info()))
        return answer.SerializePartialToString()

    def CreateGroup(self, uuid, buf, size):  # type: ignore[no-untyped-def]
        asked = neonize.ReqCreateGroup.FromString(buf)
        self._read("CreateGroup", asked)
        return neonize.GetGroupInfoReturnFunction(GroupInfo=group_info(asked.name, tuple(
            member(p.User) for p in asked.Participants))).SerializePartialToString()

    def SetGroupName(self, uuid, buf, size, name):  # type: ignore[no-untyped-def]
        return self._read("SetGroupName", neonize.JID.FromString(buf), name.value).encode()

    def SetGroupTopic(self, uuid, buf, size, previous, new, topic):  # type: ignore[no-untyped-def]
        return self._read("SetGroupTopic", neonize.JID.FromString(buf), previous, new,
                          topic).encode()

    def SetGroupAnnounce(self, uuid, buf, size, announce):  # type: ignore[no-untyped-def]
        return self._read("SetGroupAnnounce", neonize.JID.FromString(buf), announce).encode()

    def SetGroupLocked(self, uuid, buf, size, locked):  # type: ignore[no-untyped-def]
        return self._read("SetGroupLocked", neonize.JID.FromString(buf), locked).encode()

    def SetGroupPhoto(self, uuid, buf, size, data, data_size):  # type: ignore[no-untyped-def]
        error = self._read("SetGroupPhoto", neonize.JID.FromString(buf), bytes(data[:data_size]))
        return neonize.SetGroupPhotoReturnFunction(PictureID="" if error else "1764070001",
                                                   Error=error).SerializePartialToString()

    def UpdateGroupParticipants(self, uuid, buf, size, jids, jids_size, action):  # type: ignore[no-untyped-def]
        people = [jid_ for jid_ in neonize.JIDArray.FromString(jids).JIDS]
        self._read("UpdateGroupParticipants", neonize.JID.FromString(buf),
                   [(p.User, p.Server) for p in people], action)
        return neonize.UpdateGroupParticipantsReturnFunction(
            participants=self.answer_to_update).SerializePartialToString()

    def GetGroupInviteLink(self, uuid, buf, size, revoke):  # type: ignore[no-untyped-def]
        self._read("GetGroupInviteLink", neonize.JID.FromString(buf), revoke)
        code = "NEWCODE" if revoke else "OLDCODE"
        return neonize.GetGroupInviteLinkReturnFunction(
            InviteLink=f"https://chat.whatsapp.com/{code}").SerializePartialToString()

    def JoinGroupWithLink(self, uuid, code):  # type: ignore[no-untyped-def]
        error = self._read("JoinGroupWithLink", code)
        answer = (neonize.JoinGroupWithLinkReturnFunction(Error=error) if error else
                  neonize.JoinGroupWithLinkReturnFunction(Jid=jid("120363041234567890", "g.us")))
        return answer.SerializePartialToString()

    def LeaveGroup(self, uuid, buf, size):  # type: ignore[no-untyped-def]
        return self._read("LeaveGroup", neonize.JID.FromString(buf)).encode()

    def GetGroupRequestParticipants(self, uuid, buf, size):  # type: ignore[no-untyped-def]
        self._read("GetGroupRequestParticipants", neonize.JID.FromString(buf))
        return neonize.GetGroupRequestParticipantsReturnFunction(Participants=[
            neonize.GroupParticipantRequest(Participant=jid("6282222222220"),
                                            TimeAt=CREATED)]).SerializePartialToString()


@pytest.fixture
def fake_go(monkeypatch: pytest.MonkeyPatch) -> Iterator[GroupsGo]:
    import neonize.client

    fake = GroupsGo(script=lambda connection: connection.qr(FIRST_QR))
    monkeypatch.setattr(neonize.client, "gocode", fake)
    with reachable_whatsapp() as address:
        monkeypatch.setattr(route, "WHATSAPP_ADDRESS", address)
        yield fake
    assert fake.overlaps == [], "a Go call that writes the client maps overlapped another"


def text_of(j: neonize.JID) -> str:
    return f"{j.User}@{j.Server}"


async def test_each_group_call_maps_to_neonize(session, fake_go: GroupsGo) -> None:  # type: ignore[no-untyped-def]
    wa, _, _ = session

    created = await wa.create_group("Arisan", ["6281111111110@s.whatsapp.net", "77001@lid"])
    [(name, asked)] = fake_go.asked
    assert name == "CreateGroup" and asked.name == "Arisan"
    assert [text_of(p) for p in asked.Participants] == ["6281111111110@s.whatsapp.net",
                                                        "77001@lid"]
    assert asked.CreateKey == "3EB0CREATEKEY"
    assert created.id == GID and created.subject == "Arisan"

    [listed] = await wa.groups()
    assert listed.owner == Person("6281234567890")
    assert listed.created_at == datetime.fromtimestamp(CREATED, UTC)
    assert (listed.description, listed.locked, listed.announce) == ("Tiap Minggu", True, False)
    assert listed.join_approval is None
    assert listed.participants == (
        Participant(Person("6281234567890"), SUPERADMIN),
        Participant(Person("6281111111110", "77001@lid"), MEMBER))

    fake_go.asked.clear()
    assert (await wa.group(GID)).id == GID
    assert [(n, text_of(j)) for n, j in fake_go.asked] == [("GetGroupInfo", GID)]

    fake_go.asked.clear()
    await wa.change_group(GID, GroupSettings(subject="Arisan 2", description="",
                                             announce=True, locked=False))
    assert [(n, text_of(j), *rest) for n, j, *rest in fake_go.asked] == [
        ("SetGroupName", GID, b"Arisan 2"), ("SetGroupTopic", GID, b"", b"", b""),
        ("SetGroupAnnounce", GID, True), ("SetGroupLocked", GID, False)]
    with pytest.raises(NotSupported):
        await wa.change_group(GID, GroupSettings(join_approval=True))

    fake_go.asked.clear()
    assert await wa.set_group_picture(GID, b"\xff\xd8\xff jpeg") == "1764070001"
    assert fake_go.asked == [("SetGroupPhoto", fake_go.asked[0][1], b"\xff\xd8\xff jpeg")]

    # An outcome per participant, WhatsApp's refusals by their codes, named as asked even
    # where WhatsApp answers with the other form of the id.
    fake_go.asked.clear()
    fake_go.answer_to_update = [member("6281111111110"), member("6282222222220", error=409),
                                member("6283333333330", "88002", error=403)]
    results = await wa.change_participants(GID, "add", [
        "6281111111110@s.whatsapp.net", "6282222222220@s.whatsapp.net", "88002@lid"])
    assert fake_go.asked[0][2:] == ([("6281111111110", "s.whatsapp.net"),
                                     ("6282222222220", "s.whatsapp.net"),
                                     ("88002", "lid")], b"add")
    assert results == [
        ParticipantResult("6281111111110@s.whatsapp.net", 200, Person("6281111111110")),
        ParticipantResult("6282222222220@s.whatsapp.net", 409, Person("6282222222220")),
        ParticipantResult("88002@lid", 403, Person("6283333333330", "88002@lid"))]
    fake_go.asked.clear()
    fake_go.answer_to_update = [member("6281111111110", role=ADMIN)]
    await wa.change_participants(GID, "promote", ["6281111111110@s.whatsapp.net"])
    assert fake_go.asked[0][-1] == b"promote"

    fake_go.asked.clear()
    assert await wa.invite_link(GID) == "https://chat.whatsapp.com/OLDCODE"
    assert await wa.invite_link(GID, reset=True) == "https://chat.whatsapp.com/NEWCODE"
    assert [(n, r) for n, _, r in fake_go.asked] == [("GetGroupInviteLink", False),
                                                     ("GetGroupInviteLink", True)]

    fake_go.asked.clear()
    joined = await wa.join_group("https://chat.whatsapp.com/OLDCODE")
    assert joined.group is not None and joined.group.id == GID
    assert fake_go.asked[0] == ("JoinGroupWithLink", b"https://chat.whatsapp.com/OLDCODE")
    # A group that needs approval: joining answers with its id, but the group stays closed.
    fake_go.fail["GetGroupInfo"] = "you're not participating in that group"
    pending = await wa.join_group("https://chat.whatsapp.com/OLDCODE")
    assert pending.pending and pending.group_id == GID

    fake_go.asked.clear()
    await wa.leave_group(GID)
    [request] = await wa.join_requests(GID)
    assert [(n, text_of(j)) for n, j in fake_go.asked] == [
        ("LeaveGroup", GID), ("GetGroupRequestParticipants", GID)]
    assert request.person == Person("6282222222220")
    assert request.requested_at == datetime.fromtimestamp(CREATED, UTC)
    with pytest.raises(NotSupported):
        await wa.answer_join_requests(GID, "approve", ["6282222222220@s.whatsapp.net"])


@pytest.mark.parametrize(("call", "error", "reason"), [
    ("GetGroupInfo", "group not found", "not_found"),
    ("GetGroupInfo", "you're not participating in that group", "forbidden"),
    ("JoinGroupWithLink", "that group invite link has been revoked", "not_found"),
    ("JoinGroupWithLink", "that group invite link is not valid", "not_found"),
    ("LeaveGroup", "info query returned not-authorized", "forbidden"),
    ("GetJoinedGroups", "websocket not connected", "engine_error"),
])
async def test_whatsapps_refusals_are_named(session, fake_go: GroupsGo, call: str,  # type: ignore[no-untyped-def]
                                            error: str, reason: str) -> None:
    wa, _, _ = session
    fake_go.fail[call] = error
    attempt = {"GetGroupInfo": lambda: wa.group(GID),
               "JoinGroupWithLink": lambda: wa.join_group("https://chat.whatsapp.com/X"),
               "LeaveGroup": lambda: wa.leave_group(GID),
               "GetJoinedGroups": lambda: wa.groups()}[call]
    with pytest.raises(EngineError) as refused:
        await attempt()
    assert refused.value.reason == reason and error in refused.value.detail


async def test_group_events_become_notices(session, fake_go: GroupsGo) -> None:  # type: ignore[no-untyped-def]
    _, connection, seen = session
    fake_go.lids["99001"] = "6284444444440"
    connection.event(neonize.JoinedGroup(
        Reason="invite", Type="", CreateKey="", GroupInfo=group_info(),
        Sender=jid("99001", "lid"), SenderPN=jid("6284444444440")))
    connection.event(neonize.GroupInfoEvent(
        JID=jid("120363041234567890", "g.us"), Notify="", Sender=jid("99001", "lid"),
        Timestamp=CREATED, Name=neonize.GroupName(Name="Arisan Baru"),
        Topic=neonize.GroupTopic(Topic="", TopicID="T2", TopicDeleted=True),
        Announce=neonize.GroupAnnounce(IsAnnounce=True),
        PrevParticipantsVersionID="", ParticipantVersionID="", JoinReason="",
        Join=[jid("6285555555550")], Leave=[jid("99001", "lid")], Promote=[], Demote=[]))
    # An ephemeral timer only: nothing this gateway reports.
    connection.event(neonize.GroupInfoEvent(
        JID=jid("120363041234567890", "g.us"), Notify="", Timestamp=CREATED,
        Ephemeral=neonize.GroupEphemeral(IsEphemeral=True, DisappearingTimer=86400),
        PrevParticipantsVersionID="", ParticipantVersionID="", JoinReason=""))
    joined = await until(lambda: next((e for e in seen if isinstance(e, GroupJoined)), None))
    assert joined.group.id == GID and joined.reason == "invite"
    assert joined.by == Person("6284444444440", "99001@lid")
    changed = await until(lambda: [e for e in seen if isinstance(e, GroupChanged)])
    assert changed == [GroupChanged(
        GID, datetime.fromtimestamp(CREATED, UTC), Person("6284444444440", "99001@lid"),
        GroupSettings(subject="Arisan Baru", description="", announce=True),
        (MembersChange("join", (Person("6285555555550"),)),
         MembersChange("leave", (Person("6284444444440", "99001@lid"),))))]


def test_a_participant_known_only_by_lid() -> None:
    hidden = neonize.GroupParticipant(JID=jid("77003", "lid"), LID=neonize.JID(),
                                      PhoneNumber=neonize.JID(), IsAdmin=True,
                                      IsSuperAdmin=False, DisplayName="", Error=0)
    assert groups.participant(hidden) == Participant(Person(None, "77003@lid"), ADMIN)
    assert groups.refusal(EngineError("timeout", "not found")).reason == "timeout"


def test_a_new_groups_refused_participants_are_not_in_it() -> None:
    created = groups.group_info(group_info(participants=(
        member("6281234567890", role=SUPERADMIN), member("6286666666660", error=403))))
    assert [p.person.phone for p in created.participants] == ["6281234567890"]
