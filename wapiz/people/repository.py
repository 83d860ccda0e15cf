"""What the device's stored inbound messages know of people: who has written (with the
name they wrote under) and which LID goes with which number."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.engines.base import Person
from wapiz.kit.jids import LID_SERVER, phone_jid
from wapiz.messages import models
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Message


class StoredPeople:
    """One device's inbound messages, read for the people in them. The device is the
    caller's (checked by the service before this is built)."""

    def __init__(self, session: AsyncSession, device_id: uuid.UUID) -> None:
        self.session = session
        self.device_id = device_id
        self._inbound = (Message.device_id == device_id, Message.direction == models.INBOUND,
                         Message.peer.is_not(None))

    async def senders(self, after: str | None, limit: int) -> list[Person]:
        """Who has written, by number, after the cursor's number; each with the name and
        ids of their latest message."""
        latest = (select(Message.peer, func.max(Message.created_at).label("at"))
                  .where(*self._inbound)
                  .group_by(Message.peer))
        if after is not None:
            latest = latest.where(Message.peer > after)
        latest_sub = latest.order_by(Message.peer).limit(limit).subquery()
        rows = await self.session.execute(
            select(Message.peer, Message.body)
            .join(latest_sub, (Message.peer == latest_sub.c.peer)
                  & (Message.created_at == latest_sub.c.at))
            .where(*self._inbound).order_by(Message.peer))
        people: dict[str, Person] = {}
        for phone, body in rows:
            received = MessageBody.from_json(body).received
            sender = received.sender if received else None
            people.setdefault(phone, Person(
                phone=phone, jid=phone_jid(phone), lid=sender.lid if sender else None,
                push_name=received.push_name if received else None))
        return list(people.values())

    async def phone_of_lid(self, lid: str) -> str | None:
        """The number of someone who wrote from this LID, where it was known."""
        return await self.session.scalar(
            select(Message.peer).where(*self._inbound, Message.chat == lid).limit(1))

    async def lid_of_phone(self, phone: str) -> str | None:
        return await self.session.scalar(
            select(Message.chat).where(*self._inbound, Message.peer == phone,
                                       Message.chat.like(f"%@{LID_SERVER}")).limit(1))


def merged(*sources: Sequence[Person]) -> dict[str, Person]:
    """People by number (or, without one, by id); what an earlier source says wins, a later
    one fills in what it left empty."""
    people: dict[str, Person] = {}
    for source in sources:
        for person in source:
            key = person.phone or person.jid
            known = people.get(key)
            people[key] = person if known is None else Person(
                phone=known.phone or person.phone, jid=known.jid,
                lid=known.lid or person.lid, name=known.name or person.name,
                push_name=known.push_name or person.push_name)
    return people
