"""Groups on the simulated network: who is in each (and as what), its settings, its invite
code and the requests to join it, in the shared database like the rest of the network.

What WhatsApp's servers enforce is enforced here: only participants see a group or send to
it, only admins change participants, read or reset the invite link, answer join requests or
(when the group is `locked`) change its settings, only admins send in an `announce` group, and
the creator (superadmin) can be neither removed nor demoted. Every change is told to the
sessions of the numbers in the group as mail (`GROUP` kind), which they report as notices
(engines/groups.py), as WhatsApp tells every participant's devices.
"""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.engines.base import FORBIDDEN, NOT_FOUND, EngineError
from wapiz.engines.events import phone_of
from wapiz.engines.groups import (
    ADD,
    ADMIN,
    APPROVE,
    DEMOTE,
    DEMOTED,
    INVITE_LINK_PREFIX,
    JOINED,
    LEFT,
    MEMBER,
    OK,
    PROMOTE,
    PROMOTED,
    REMOVE,
    SUPERADMIN,
    GroupChanged,
    GroupInfo,
    GroupJoined,
    GroupSettings,
    Joined,
    JoinRequest,
    MembersChange,
    Participant,
    ParticipantResult,
    Person,
)
from wapiz.engines.sandbox.models import (
    SandboxGroup,
    SandboxGroupMember,
    SandboxGroupRequest,
    SandboxMail,
)
from wapiz.engines.sandbox.network import SandboxStore, post
from wapiz.kit.jids import GROUP_SERVER, PHONE_SERVER

GROUP = "group"  # the mail kind of a group notice

# WhatsApp's codes for a participant it would not change.
CREATOR_KEPT = 403  # the creator cannot be removed or demoted
ABSENT = 404  # not on WhatsApp (adding), or not in the group (anything else)
PRESENT = 409  # already in the group


def forbidden(detail: str) -> EngineError:
    return EngineError(FORBIDDEN, detail)


def not_found(detail: str) -> EngineError:
    return EngineError(NOT_FOUND, detail)


def new_group_jid() -> str:
    """Shaped like WhatsApp's newer group ids: 120363 and 12 more digits."""
    return f"120363{secrets.randbelow(10**12):012d}@{GROUP_SERVER}"


def invite_code_of(link: str) -> str:
    text = link.strip()
    return text[len(INVITE_LINK_PREFIX):] if text.startswith(INVITE_LINK_PREFIX) else text


def phone_in(jid: str) -> str | None:
    """The number a participant's WhatsApp id names (a LID names none on this network)."""
    return phone_of(jid) if jid.endswith(f"@{PHONE_SERVER}") else None


def group_notice_mail(keys: Iterable[str], notice: GroupJoined | GroupChanged) -> list[SandboxMail]:
    kind = "joined" if isinstance(notice, GroupJoined) else "changed"
    return [SandboxMail(session_key=key, kind=GROUP,
                        payload={"notice": kind, **notice.to_json()}) for key in keys]


def notice_of(payload: dict[str, object]) -> GroupJoined | GroupChanged:
    """A group mail's notice, as the receiving session reports it."""
    if payload.get("notice") == "joined":
        return GroupJoined.from_json(payload)
    return GroupChanged.from_json(payload)


class SandboxGroups:
    """The network's group records, as seen by the number `actor` (digits) acting on them."""

    def __init__(self, session: AsyncSession, actor: str) -> None:
        self.session = session
        self.actor = actor
        self.store = SandboxStore(session)

    # --- reading ---------------------------------------------------------------------------

    async def _group(self, jid: str) -> SandboxGroup:
        group = await self.session.get(SandboxGroup, jid, populate_existing=True)
        if group is None:
            raise not_found(f"group {jid} does not exist")
        return group

    async def _members(self, jid: str) -> list[SandboxGroupMember]:
        return list((await self.session.scalars(
            select(SandboxGroupMember).where(SandboxGroupMember.group_jid == jid)
            .order_by(SandboxGroupMember.joined_at, SandboxGroupMember.phone)
            .execution_options(populate_existing=True))).all())

    async def _role(self, jid: str, phone: str) -> str | None:
        return await self.session.scalar(select(SandboxGroupMember.role).where(
            SandboxGroupMember.group_jid == jid, SandboxGroupMember.phone == phone))

    async def _as_participant(self, jid: str) -> SandboxGroup:
        group = await self._group(jid)
        if await self._role(jid, self.actor) is None:
            raise forbidden("you are not a participant of this group")
        return group

    async def _as_admin(self, jid: str) -> SandboxGroup:
        group = await self._group(jid)
        if await self._role(jid, self.actor) not in (ADMIN, SUPERADMIN):
            raise forbidden("only the group's admins may do this")
        return group

    async def _info(self, group: SandboxGroup) -> GroupInfo:
        return GroupInfo(
            id=group.jid, subject=group.subject, description=group.description,
            owner=Person(group.owner), created_at=group.created_at, announce=group.announce,
            locked=group.locked, join_approval=group.join_approval,
            participants=tuple(Participant(Person(m.phone), m.role)
                               for m in await self._members(group.jid)))

    async def info(self, jid: str) -> GroupInfo:
        return await self._info(await self._as_participant(jid))

    async def joined(self) -> list[GroupInfo]:
        groups = await self.session.scalars(
            select(SandboxGroup).join(SandboxGroupMember)
            .where(SandboxGroupMember.phone == self.actor).order_by(SandboxGroup.created_at))
        return [await self._info(group) for group in groups.all()]

    async def _on_network(self, phone: str) -> bool:
        return bool(await self.store.linked_sessions(phone))

    # --- telling the participants ---------------------------------------------------------

    async def _tell(self, phones: Iterable[str], notice: GroupJoined | GroupChanged) -> None:
        keys = [session.key for phone in dict.fromkeys(phones)
                for session in await self.store.linked_sessions(phone)]
        await post(self.session, group_notice_mail(keys, notice))

    async def _tell_members(self, jid: str, now: datetime, *,
                            settings: GroupSettings = GroupSettings(),
                            members: tuple[MembersChange, ...] = (),
                            also: Sequence[str] = ()) -> None:
        phones = [m.phone for m in await self._members(jid)] + list(also)
        await self._tell(phones, GroupChanged(jid, now, Person(self.actor), settings, members))

    async def _welcome(self, group: SandboxGroup, phones: Sequence[str], reason: str) -> None:
        if phones:
            await self._tell(phones, GroupJoined(await self._info(group), reason,
                                                 Person(self.actor)))

    # --- changing ---------------------------------------------------------------------------

    async def _add_member(self, jid: str, phone: str, role: str = MEMBER) -> None:
        self.session.add(SandboxGroupMember(group_jid=jid, phone=phone, role=role,
                                            joined_at=utc_now()))
        await self.session.flush()

    async def create(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        jid = new_group_jid()
        group = SandboxGroup(jid=jid, subject=subject, owner=self.actor, announce=False,
                             locked=False, join_approval=False,
                             invite_code=secrets.token_urlsafe(16)[:22], created_at=utc_now())
        self.session.add(group)
        await self.session.flush()
        await self._add_member(jid, self.actor, SUPERADMIN)
        added = [self.actor]
        for participant in dict.fromkeys(participants):
            phone = phone_in(participant)
            if phone and phone not in added and await self._on_network(phone):
                await self._add_member(jid, phone)
                added.append(phone)
        await self._welcome(group, added, "create")
        return await self._info(group)

    async def change(self, jid: str, changes: GroupSettings) -> None:
        group = await self._group(jid)
        role = await self._role(jid, self.actor)
        if role is None:
            raise forbidden("you are not a participant of this group")
        admin_only = (changes.announce, changes.locked, changes.join_approval)
        if role == MEMBER and (group.locked or any(v is not None for v in admin_only)):
            raise forbidden("only the group's admins may change this")
        values = {name: value for name, value in (
            ("subject", changes.subject), ("description", changes.description),
            ("announce", changes.announce), ("locked", changes.locked),
            ("join_approval", changes.join_approval)) if value is not None}
        if not values:
            return
        await self.session.execute(update(SandboxGroup).where(SandboxGroup.jid == jid)
                                   .values(**values))
        await self._tell_members(jid, utc_now(), settings=changes)

    async def set_picture(self, jid: str, jpeg: bytes) -> str:
        group = await self._as_participant(jid)
        if group.locked and await self._role(jid, self.actor) == MEMBER:
            raise forbidden("only the group's admins may change this")
        # A number, as WhatsApp's picture ids are.
        picture_id = str(int.from_bytes(hashlib.sha256(jpeg).digest()[:6], "big"))
        await self.session.execute(update(SandboxGroup).where(SandboxGroup.jid == jid)
                                   .values(picture_id=picture_id))
        await self._tell_members(jid, utc_now(), settings=GroupSettings(picture=picture_id))
        return picture_id

    async def change_participants(self, jid: str, action: str,
                                  participants: Sequence[str]) -> list[ParticipantResult]:
        group = await self._as_admin(jid)
        results: list[ParticipantResult] = []
        changed: list[str] = []
        before = [m.phone for m in await self._members(jid)]
        for participant in participants:
            phone = phone_in(participant)
            status = await self._change_one(group, action, phone)
            results.append(ParticipantResult(participant, status,
                                             Person(phone) if phone else None))
            if status == OK and phone:
                changed.append(phone)
        if changed:
            people = tuple(Person(phone) for phone in changed)
            told = {ADD: JOINED, REMOVE: LEFT, PROMOTE: PROMOTED, DEMOTE: DEMOTED}[action]
            # Those added hear of the group itself; those removed hear that they left.
            await self._tell([p for p in before if action != ADD or p not in changed],
                             GroupChanged(jid, utc_now(), Person(self.actor),
                                          members=(MembersChange(told, people),)))
            if action == ADD:
                await self._welcome(group, changed, "add")
        return results

    async def _change_one(self, group: SandboxGroup, action: str, phone: str | None) -> int:
        role = await self._role(group.jid, phone) if phone else None
        if action == ADD:
            if phone is None or not await self._on_network(phone):
                return ABSENT
            if role is not None:
                return PRESENT
            await self._add_member(group.jid, phone)
            return OK
        if phone is None or role is None:
            return ABSENT
        if role == SUPERADMIN and action in (REMOVE, DEMOTE):
            return CREATOR_KEPT
        where = (SandboxGroupMember.group_jid == group.jid, SandboxGroupMember.phone == phone)
        if action == REMOVE:
            await self.session.execute(delete(SandboxGroupMember).where(*where))
        elif role != SUPERADMIN:
            await self.session.execute(update(SandboxGroupMember).where(*where).values(
                role=ADMIN if action == PROMOTE else MEMBER))
        return OK

    async def invite_link(self, jid: str, reset: bool) -> str:
        group = await self._as_admin(jid)
        if reset:
            group.invite_code = secrets.token_urlsafe(16)[:22]
            await self.session.flush()
        return INVITE_LINK_PREFIX + group.invite_code

    async def join(self, link: str) -> Joined:
        code = invite_code_of(link)
        group = await self.session.scalar(
            select(SandboxGroup).where(SandboxGroup.invite_code == code)) if code else None
        if group is None:
            raise not_found("the invite link is not valid, or was reset")
        if await self._role(group.jid, self.actor) is not None:
            return Joined(group.jid, await self._info(group))
        if group.join_approval:
            if await self.session.get(SandboxGroupRequest, (group.jid, self.actor)) is None:
                self.session.add(SandboxGroupRequest(group_jid=group.jid, phone=self.actor,
                                                     requested_at=utc_now()))
                await self.session.flush()
            return Joined(group.jid, None)
        await self._let_in(group, [self.actor], "invite")
        return Joined(group.jid, await self._info(group))

    async def _let_in(self, group: SandboxGroup, phones: Sequence[str], reason: str) -> None:
        """Numbers in by a link or an approved request: they hear of the group, the others
        that they joined."""
        before = [m.phone for m in await self._members(group.jid)]
        for phone in phones:
            await self._add_member(group.jid, phone)
        await self._tell(before, GroupChanged(group.jid, utc_now(), Person(self.actor),
                                              members=(MembersChange(
                                                  JOINED, tuple(Person(p) for p in phones)),)))
        await self._welcome(group, phones, reason)

    async def leave(self, jid: str) -> None:
        await self._as_participant(jid)
        await self.session.execute(delete(SandboxGroupMember).where(
            SandboxGroupMember.group_jid == jid, SandboxGroupMember.phone == self.actor))
        await self._tell_members(jid, utc_now(), also=[self.actor], members=(
            MembersChange(LEFT, (Person(self.actor),)),))

    async def requests(self, jid: str) -> list[JoinRequest]:
        await self._as_admin(jid)
        rows = await self.session.scalars(
            select(SandboxGroupRequest).where(SandboxGroupRequest.group_jid == jid)
            .order_by(SandboxGroupRequest.requested_at))
        return [JoinRequest(Person(row.phone), row.requested_at) for row in rows.all()]

    async def answer_requests(self, jid: str, action: str,
                              participants: Sequence[str]) -> list[ParticipantResult]:
        group = await self._as_admin(jid)
        results: list[ParticipantResult] = []
        approved: list[str] = []
        for participant in participants:
            phone = phone_in(participant)
            asked = await self.session.get(SandboxGroupRequest, (jid, phone)) if phone else None
            if asked is None or phone is None:
                results.append(ParticipantResult(participant, ABSENT,
                                                 Person(phone) if phone else None))
                continue
            await self.session.delete(asked)
            if action == APPROVE:
                approved.append(phone)
            results.append(ParticipantResult(participant, OK, Person(phone)))
        await self.session.flush()
        if approved:
            await self._let_in(group, approved, "approved")
        return results

    # --- messages -----------------------------------------------------------------------------

    async def recipients(self, jid: str) -> list[str]:
        """The numbers a message from `actor` to the group goes to (every other participant);
        refused unless the sender may send there."""
        group = await self._group(jid)
        members = await self._members(jid)
        role = next((m.role for m in members if m.phone == self.actor), None)
        if role is None:
            raise forbidden("you are not a participant of this group")
        if group.announce and role == MEMBER:
            raise forbidden("only the group's admins may send messages to this group")
        return [m.phone for m in members if m.phone != self.actor]
