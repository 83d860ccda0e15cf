"""The simulated network's people: each number's LID, profile (name, about, picture) and
presence, who blocked whom, who watches whose presence, and calls ringing a session.

`SandboxPeople` is the network's side (its records, and the mail it posts to sessions);
`PeopleSession` is what a sandbox session does with them (the EngineSession calls for
profiles, contacts, presence and calls), mixed into `SandboxSession`.
"""

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.results import rows_changed
from wapiz.db.upsert import insert_for
from wapiz.engines.base import EngineError, Person, PersonInfo, Profile
from wapiz.engines.events import (
    CallOffered,
    ContactChanged,
    Notice,
    Party,
    PresenceChanged,
    phone_of,
)
from wapiz.engines.sandbox.models import (
    SandboxBlock,
    SandboxCall,
    SandboxMail,
    SandboxMessage,
    SandboxPerson,
    SandboxWatch,
)
from wapiz.engines.sandbox.network import SandboxStore, post
from wapiz.kit.jids import LID_SERVER, PHONE_SERVER, phone_jid

if TYPE_CHECKING:
    from wapiz.engines.sandbox.engine import SandboxEngine

CALL = "call"
PRESENCE = "presence"
CONTACT = "contact"
NOTICE_MAIL = (CALL, PRESENCE, CONTACT)


def new_lid() -> str:
    """A LID like WhatsApp's: 15 digits no phone number has, on the `lid` server."""
    return f"{10**14 + secrets.randbelow(9 * 10**14)}@{LID_SERVER}"


def notice_of(mail: SandboxMail) -> Notice:
    """What a session hears of a call, a presence or a contact's new name."""
    payload = mail.payload
    who = Party(jid=payload["from"], phone=phone_of(payload["from"]), lid=payload.get("lid"))
    if mail.kind == CALL:
        return CallOffered(call_id=payload["callId"], caller=who,
                           is_video=bool(payload["isVideo"]), is_group=False,
                           at=datetime.fromisoformat(payload["at"]))
    if mail.kind == PRESENCE:
        last_seen = payload.get("lastSeen")
        return PresenceChanged(who=who, presence=payload["presence"], chat=payload.get("chat"),
                               last_seen=datetime.fromisoformat(last_seen) if last_seen else None)
    return ContactChanged(who=who, push_name=payload.get("pushName"))


class SandboxPeople:
    """The network's records of people, in one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def person(self, phone: str) -> SandboxPerson:
        """The number's record, made on first need (with a LID of its own)."""
        await self.session.execute(
            insert_for(self.session, SandboxPerson)
            .values(phone=phone, lid=new_lid()).on_conflict_do_nothing())
        found = await self.session.scalar(
            select(SandboxPerson).where(SandboxPerson.phone == phone)
            .execution_options(populate_existing=True))
        assert found is not None  # just made, or there already
        return found

    async def known(self, phone: str) -> SandboxPerson | None:
        return await self.session.scalar(select(SandboxPerson).where(SandboxPerson.phone == phone))

    async def by_lid(self, lid: str) -> SandboxPerson | None:
        return await self.session.scalar(select(SandboxPerson).where(SandboxPerson.lid == lid))

    async def on_network(self, phone: str) -> bool:
        """Whether a device is linked to the number (the network's idea of "on WhatsApp")."""
        return bool(await SandboxStore(self.session).linked_sessions(phone))

    async def change(self, phone: str, **values: Any) -> None:
        await self.person(phone)
        await self.session.execute(
            update(SandboxPerson).where(SandboxPerson.phone == phone).values(**values))

    async def correspondents(self, phone: str) -> list[str]:
        """The numbers that wrote to `phone` one-to-one, or that it wrote to."""
        own = phone_jid(phone)
        wrote_to = select(SandboxMessage.chat.label("jid")).where(
            SandboxMessage.sender == own, SandboxMessage.chat.like(f"%@{PHONE_SERVER}"))
        wrote_from = select(SandboxMessage.sender.label("jid")).where(SandboxMessage.chat == own)
        jids = await self.session.scalars(union(wrote_to, wrote_from))
        return sorted({p for jid in jids if (p := phone_of(jid)) and p != phone})

    async def block(self, phone: str, other: str, blocked: bool) -> None:
        if blocked:
            await self.session.execute(
                insert_for(self.session, SandboxBlock)
                .values(phone=phone, blocked=other).on_conflict_do_nothing())
        else:
            await self.session.execute(delete(SandboxBlock).where(
                SandboxBlock.phone == phone, SandboxBlock.blocked == other))

    async def has_blocked(self, phone: str, other: str) -> bool:
        return bool(await self.session.scalar(select(SandboxBlock.phone).where(
            SandboxBlock.phone == phone, SandboxBlock.blocked == other)))

    async def watch(self, session_key: str, phone: str) -> None:
        await self.session.execute(
            insert_for(self.session, SandboxWatch)
            .values(session_key=session_key, phone=phone).on_conflict_do_nothing())

    async def tell(self, phones: Sequence[str], kind: str, payload: dict[str, Any],
                   keys: Sequence[str] = ()) -> None:
        """Mail for every session linked to these numbers (and these sessions)."""
        store = SandboxStore(self.session)
        targets = set(keys)
        for phone in phones:
            targets.update(linked.key for linked in await store.linked_sessions(phone))
        await post(self.session, [SandboxMail(session_key=key, kind=kind, payload=payload)
                                  for key in sorted(targets)])

    async def presence_of(self, phone: str, presence: str, chat: str | None = None,
                          last_seen: datetime | None = None) -> dict[str, Any]:
        person = await self.person(phone)
        return {"from": phone_jid(phone), "lid": person.lid, "presence": presence,
                "chat": chat, "lastSeen": last_seen.isoformat() if last_seen else None}

    async def ring(self, session_key: str, caller: str, is_video: bool) -> str:
        """A call from `caller` (a phone number) rings the session; its id."""
        call_id = secrets.token_hex(16).upper()
        now = utc_now()
        self.session.add(SandboxCall(id=call_id, session_key=session_key,
                                     caller=phone_jid(caller), is_video=is_video,
                                     created_at=now))
        person = await self.person(caller)
        await post(self.session, [SandboxMail(session_key=session_key, kind=CALL, payload={
            "callId": call_id, "from": phone_jid(caller), "lid": person.lid,
            "isVideo": is_video, "at": now.isoformat()})])
        return call_id

    async def reject(self, session_key: str, call_id: str, caller: str) -> bool:
        """Decline a call still ringing this session; False if there is none."""
        result = await self.session.execute(
            update(SandboxCall)
            .where(SandboxCall.id == call_id, SandboxCall.session_key == session_key,
                   SandboxCall.caller == caller, SandboxCall.rejected_at.is_(None))
            .values(rejected_at=utc_now()))
        return rows_changed(result) > 0

    async def picture(self, picture_id: str) -> bytes | None:
        return await self.session.scalar(
            select(SandboxPerson.picture).where(SandboxPerson.picture_id == picture_id))

    async def call(self, call_id: str) -> SandboxCall | None:
        return await self.session.scalar(select(SandboxCall).where(SandboxCall.id == call_id)
                                         .execution_options(populate_existing=True))


class PeopleSession:
    """A sandbox session's calls about people (mixed into SandboxSession)."""

    engine: "SandboxEngine"
    key: str

    def _own_jid(self) -> str:
        raise NotImplementedError

    def _own_phone(self) -> str:
        phone = phone_of(self._own_jid())
        assert phone is not None  # _own_jid raises while not logged in
        return phone

    def _picture_url(self, person: SandboxPerson) -> str | None:
        if person.picture_id is None:
            return None
        return f"{self.engine.settings.base_url}/api/sandbox/pictures/{person.picture_id}"

    async def profile(self) -> Profile:
        phone = self._own_phone()
        async with self.engine.database.session_scope() as db:
            person = await SandboxPeople(db).person(phone)
        return Profile(phone=phone, push_name=person.push_name, about=person.about,
                       picture_url=self._picture_url(person))

    async def set_push_name(self, name: str) -> None:
        phone = self._own_phone()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            await people.change(phone, push_name=name)
            person = await people.person(phone)
            # Those who know the number hear of its new name, as WhatsApp's clients do.
            await people.tell(await people.correspondents(phone), CONTACT, {
                "from": phone_jid(phone), "lid": person.lid, "pushName": name})

    async def set_about(self, about: str) -> None:
        phone = self._own_phone()
        async with self.engine.database.session_scope() as db:
            await SandboxPeople(db).change(phone, about=about or None)

    async def set_picture(self, jpeg: bytes) -> None:
        phone = self._own_phone()
        async with self.engine.database.session_scope() as db:
            await SandboxPeople(db).change(phone, picture=jpeg,
                                           picture_id=secrets.token_urlsafe(24))

    async def contacts(self) -> Sequence[Person]:
        phone = self._own_phone()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            found = []
            for other in await people.correspondents(phone):
                person = await people.person(other)
                found.append(Person(phone=other, jid=phone_jid(other), lid=person.lid,
                                    push_name=person.push_name))
        return found

    async def person(self, phone: str) -> PersonInfo:
        self._own_phone()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            if not await people.on_network(phone):
                return PersonInfo(phone=phone, jid=None, lid=None, name=None, about=None,
                                  picture_url=None, is_business=False, on_whatsapp=False)
            person = await people.person(phone)
        return PersonInfo(phone=phone, jid=phone_jid(phone), lid=person.lid,
                          name=person.push_name, about=person.about,
                          picture_url=self._picture_url(person), is_business=False,
                          on_whatsapp=True)

    async def block(self, phone: str, blocked: bool) -> None:
        own = self._own_phone()
        async with self.engine.database.session_scope() as db:
            await SandboxPeople(db).block(own, phone, blocked)

    async def phone_of_lid(self, lid: str) -> str | None:
        self._own_phone()
        async with self.engine.database.session_scope() as db:
            person = await SandboxPeople(db).by_lid(lid)
        return person.phone if person else None

    async def lid_of_phone(self, phone: str) -> str | None:
        self._own_phone()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            if await people.known(phone) is None and not await people.on_network(phone):
                return None
            return (await people.person(phone)).lid

    async def set_presence(self, available: bool) -> None:
        phone = self._own_phone()
        presence = "available" if available else "unavailable"
        now = utc_now()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            await people.change(phone, presence=presence, last_seen=now)
            watchers = await db.scalars(
                select(SandboxWatch.session_key).where(SandboxWatch.phone == phone))
            await people.tell((), PRESENCE, await people.presence_of(
                phone, presence, last_seen=None if available else now), keys=list(watchers))

    async def send_presence(self, chat: str, state: str) -> None:
        phone = self._own_phone()
        if not chat.endswith(f"@{PHONE_SERVER}"):
            return  # the simulated network carries chat states between numbers only
        own_chat = phone_jid(phone)
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            # In the other number's chat with us, we are the chat.
            await people.tell([chat.split("@", 1)[0]], PRESENCE,
                              await people.presence_of(phone, state, chat=own_chat))

    async def subscribe_presence(self, phone: str) -> None:
        self._own_phone()
        async with self.engine.database.session_scope() as db:
            people = SandboxPeople(db)
            if not await people.on_network(phone):
                raise EngineError("not_found", phone)
            await people.watch(self.key, phone)
            # As WhatsApp does, the subscriber hears the number's presence as it is now.
            known = await people.person(phone)
            if known.presence is not None:
                await people.tell((), PRESENCE, await people.presence_of(
                    phone, known.presence,
                    last_seen=known.last_seen if known.presence == "unavailable" else None),
                    keys=[self.key])

    async def reject_call(self, call_id: str, caller: str) -> None:
        self._own_phone()
        async with self.engine.database.session_scope() as db:
            if not await SandboxPeople(db).reject(self.key, call_id, caller):
                raise EngineError("not_found", f"no call {call_id} is ringing")
