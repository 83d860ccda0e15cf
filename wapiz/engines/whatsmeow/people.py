"""Profiles, contacts, presence and calls on whatsmeow (neonize 0.5.2): the translation of
neonize's CallOffer, Presence and ChatPresence events (pure functions of the protobufs, fed
real ones by the tests), and the session's calls for them, mixed into WhatsmeowSession.

What neonize 0.5.2 does not expose is not faked: it reports no PushName or contact event
(so whatsmeow devices send no contact.updated), and every call below is one of its client's.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from neonize.proto import Neonize_pb2 as neonize

from wapiz.engines.base import ChatState, Person, PersonInfo, Profile
from wapiz.engines.events import CallOffered, PresenceChanged
from wapiz.engines.whatsmeow import outbound
from wapiz.engines.whatsmeow.adapter import LidResolver, _timestamp, jid_text, party
from wapiz.kit.jids import GROUP_SERVER, LID_SERVER, PHONE_SERVER, phone_jid

if TYPE_CHECKING:
    from wapiz.engines.whatsmeow.engine import Attempt

T = TypeVar("T")

CHAT_STATES = {neonize.ChatPresence.COMPOSING: "typing", neonize.ChatPresence.PAUSED: "paused"}


def call_offer(event: neonize.CallOffer, resolve_lid: LidResolver) -> CallOffered:
    meta = event.basicCallMeta
    creator = meta.callCreator if meta.callCreator.User else getattr(meta, "from")
    offer = event.data
    group = getattr(meta, "from").Server == GROUP_SERVER or any(
        attr.name == "group-jid" for attr in offer.Attrs)
    return CallOffered(
        call_id=meta.callID,
        caller=party(creator, meta.callCreatorAlt, resolve_lid),
        is_video=any(node.Tag == "video" for node in offer.Nodes),
        is_group=group,
        at=_timestamp(meta.timestamp),
    )


def presence(event: neonize.Presence, resolve_lid: LidResolver) -> PresenceChanged:
    """A subscribed number came online or went away (with when it was last seen)."""
    last_seen = _timestamp(event.LastSeen) if event.LastSeen > 0 else None
    return PresenceChanged(who=party(event.From, None, resolve_lid),
                           presence="unavailable" if event.Unavailable else "available",
                           last_seen=last_seen if event.Unavailable else None)


def chat_presence(event: neonize.ChatPresence, resolve_lid: LidResolver) -> PresenceChanged:
    source = event.MessageSource
    state = CHAT_STATES.get(event.State, "paused")
    if state == "typing" and event.Media == neonize.ChatPresence.AUDIO:
        state = "recording"
    return PresenceChanged(who=party(source.Sender, source.SenderAlt, resolve_lid),
                           presence=state, chat=jid_text(source.Chat))


def _name(info: neonize.ContactInfo) -> str | None:
    return info.FullName or info.FirstName or info.BusinessName or None


def person_of(contact: neonize.Contact) -> Person:
    jid = jid_text(contact.JID)
    lid = jid if contact.JID.Server == LID_SERVER else None
    phone = contact.JID.User if contact.JID.Server == PHONE_SERVER else None
    return Person(phone=phone, jid=jid, lid=lid, name=_name(contact.Info),
                  push_name=contact.Info.PushName or None)


class PeopleSession:
    """A whatsmeow session's calls about people (mixed into WhatsmeowSession)."""

    jid: str | None

    def _current(self, pairing: bool = False) -> "Attempt":
        raise NotImplementedError

    async def _call(self, attempt: "Attempt", fn: Callable[[], T],
                    limit_s: float | None = None) -> T:
        raise NotImplementedError

    async def _with_client(self, fn: Callable[[Any], T]) -> T:
        attempt = self._current()
        return await self._call(attempt, lambda: fn(attempt.client))

    async def profile(self) -> Profile:
        def read(client: Any) -> Profile:
            me = client.get_me()
            own = outbound.to_jid(phone_jid(me.JID.User))
            users = client.get_user_info(own)
            about = users[0].UserInfo.Status if users else ""
            return Profile(phone=me.JID.User or None, push_name=me.PushName or None,
                           about=about or None, picture_url=_picture_url(client, own))

        return await self._with_client(read)

    async def set_push_name(self, name: str) -> None:
        await self._with_client(lambda client: client.set_profile_name(name))

    async def set_about(self, about: str) -> None:
        await self._with_client(lambda client: client.set_status_message(about))

    async def set_picture(self, jpeg: bytes) -> None:
        await self._with_client(lambda client: client.set_profile_photo(jpeg))

    async def contacts(self) -> Sequence[Person]:
        return await self._with_client(
            lambda client: [person_of(c) for c in client.contact.get_all_contacts()])

    async def person(self, phone: str) -> PersonInfo:
        def look_up(client: Any) -> PersonInfo:
            found = [answer for answer in client.is_on_whatsapp(phone) if answer.IsIn]
            if not found:
                return PersonInfo(phone=phone, jid=None, lid=None, name=None, about=None,
                                  picture_url=None, is_business=False, on_whatsapp=False)
            jid = found[0].JID
            users = client.get_user_info(jid)
            info = users[0].UserInfo if users else neonize.UserInfo()
            contact = client.contact.get_contact(jid)
            return PersonInfo(
                phone=phone, jid=jid_text(jid), lid=_lid(client, jid),
                name=_name(contact) or contact.PushName or None, about=info.Status or None,
                picture_url=_picture_url(client, jid),
                is_business=found[0].HasField("VerifiedName") or info.HasField("VerifiedName"),
                on_whatsapp=True)

        return await self._with_client(look_up)

    async def block(self, phone: str, blocked: bool) -> None:
        from neonize.utils.enum import BlocklistAction

        action = BlocklistAction.BLOCK if blocked else BlocklistAction.UNBLOCK
        await self._with_client(
            lambda client: client.update_blocklist(outbound.to_jid(phone_jid(phone)), action))

    async def phone_of_lid(self, lid: str) -> str | None:
        def look_up(client: Any) -> str | None:
            return str(client.get_pn_from_lid(outbound.to_jid(lid)).User) or None

        return await self._with_client(look_up)

    async def lid_of_phone(self, phone: str) -> str | None:
        return await self._with_client(
            lambda client: _lid(client, outbound.to_jid(phone_jid(phone))))

    async def set_presence(self, available: bool) -> None:
        from neonize.utils.enum import Presence

        state = Presence.AVAILABLE if available else Presence.UNAVAILABLE
        await self._with_client(lambda client: client.send_presence(state))

    async def send_presence(self, chat: str, state: ChatState) -> None:
        from neonize.utils.enum import ChatPresence, ChatPresenceMedia

        shown = (ChatPresence.CHAT_PRESENCE_PAUSED if state == "paused"
                 else ChatPresence.CHAT_PRESENCE_COMPOSING)
        media = (ChatPresenceMedia.CHAT_PRESENCE_MEDIA_AUDIO if state == "recording"
                 else ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT)
        await self._with_client(
            lambda client: client.send_chat_presence(outbound.to_jid(chat), shown, media))

    async def subscribe_presence(self, phone: str) -> None:
        await self._with_client(
            lambda client: client.subscribe_presence(outbound.to_jid(phone_jid(phone))))

    async def reject_call(self, call_id: str, caller: str) -> None:
        await self._with_client(
            lambda client: client.reject_call(outbound.to_jid(caller), call_id))


def _lid(client: Any, jid: neonize.JID) -> str | None:
    """The LID the session's store has for a number, or None."""
    try:
        found = client.get_lid_from_pn(jid)
    except Exception:  # neonize raises when the store has no mapping
        return None
    return jid_text(found) or None


def _picture_url(client: Any, jid: neonize.JID) -> str | None:
    """The profile picture's URL, or None: neonize raises where there is none (or it is
    hidden from us by the number's privacy settings)."""
    try:
        return str(client.get_profile_picture(jid).URL) or None
    except Exception:
        return None

