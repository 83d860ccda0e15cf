"""Profiles, contacts, presence and calls on whatsmeow: neonize's real CallOffer, Presence
and ChatPresence protobufs through the translation, each session call through neonize's
client into the faked Go library (fakego.py), and a call that rings a device whose settings
decline calls, from the Go event to the reject and the answer sent to the caller."""

import asyncio
import json
from datetime import UTC, datetime

from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

from tests.engines.whatsmeow.fakego import FakeGo, jid
from tests.engines.whatsmeow.test_sessions import (  # noqa: F401  (fixtures)
    fake_go,
    logged_in_device,
    session,
    site,
    until,
)
from tests.support import db_rows
from wapiz.engines.base import Person, PersonInfo, Profile
from wapiz.engines.events import CallOffered, Party, PresenceChanged
from wapiz.engines.whatsmeow import people

NO_LIDS = {}.get


def call_offer(creator: neonize.JID, creator_alt: neonize.JID | None = None,
               video: bool = False, call_id: str = "CALL0001") -> neonize.CallOffer:
    media = [neonize.Node(Tag="audio"), *([neonize.Node(Tag="video")] if video else [])]
    return neonize.CallOffer(
        basicCallMeta=neonize.BasicCallMeta(
            **{"from": creator}, timestamp=1764070000, callCreator=creator,
            callCreatorAlt=creator_alt or neonize.JID(), callID=call_id),
        callRemoteMeta=neonize.CallRemoteMeta(remotePlatform="android", remoteVersion="2.25"),
        data=neonize.Node(Tag="offer", Nodes=media))


# --- the translation --------------------------------------------------------------------


def test_a_video_call_from_a_lid_names_the_callers_number() -> None:
    got = people.call_offer(call_offer(jid("99887766", "lid"), jid("6285555555550"),
                                       video=True), NO_LIDS)
    assert got == CallOffered(
        call_id="CALL0001", caller=Party(jid="99887766@lid", phone="6285555555550",
                                         lid="99887766@lid"),
        is_video=True, is_group=False, at=datetime.fromtimestamp(1764070000, UTC))
    voice = people.call_offer(call_offer(jid("6285555555550")), NO_LIDS)
    assert voice.is_video is False and voice.caller.phone == "6285555555550"


def test_presences_and_chat_states() -> None:
    online = people.presence(neonize.Presence(From=jid("6285555555550"), Unavailable=False,
                                              LastSeen=0), NO_LIDS)
    assert online == PresenceChanged(who=Party(jid="6285555555550@s.whatsapp.net",
                                               phone="6285555555550"), presence="available")
    away = people.presence(neonize.Presence(From=jid("6285555555550"), Unavailable=True,
                                            LastSeen=1764070000), NO_LIDS)
    assert away.presence == "unavailable"
    assert away.last_seen == datetime.fromtimestamp(1764070000, UTC)

    def state(state: int, media: int) -> PresenceChanged:
        source = neonize.MessageSource(Chat=jid("6285555555550"), Sender=jid("6285555555550"),
                                       IsFromMe=False, IsGroup=False)
        return people.chat_presence(neonize.ChatPresence(MessageSource=source, State=state,
                                                         Media=media), NO_LIDS)

    composing, paused = neonize.ChatPresence.COMPOSING, neonize.ChatPresence.PAUSED
    text, audio = neonize.ChatPresence.TEXT, neonize.ChatPresence.AUDIO
    assert state(composing, text).presence == "typing"
    assert state(composing, audio).presence == "recording"
    assert state(paused, text).presence == "paused"
    assert state(composing, text).chat == "6285555555550@s.whatsapp.net"


def test_a_contact_is_named_by_its_address_book_entry_then_its_own_name() -> None:
    entry = neonize.Contact(JID=jid("6285555555550"), Info=neonize.ContactInfo(
        Found=True, FirstName="Budi", FullName="Budi Santoso", PushName="budi_s"))
    assert people.person_of(entry) == Person(
        phone="6285555555550", jid="6285555555550@s.whatsapp.net", name="Budi Santoso",
        push_name="budi_s")
    hidden = neonize.Contact(JID=jid("99887766", "lid"), Info=neonize.ContactInfo(PushName="x"))
    assert people.person_of(hidden) == Person(phone=None, jid="99887766@lid",
                                              lid="99887766@lid", push_name="x")


# --- the session's calls through neonize's client -------------------------------------


async def test_each_call_reaches_go_and_events_come_back(session, fake_go: FakeGo) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    session_, connection, seen = session
    fake_go.statuses["6281234567890"] = "Sibuk"
    fake_go.pictures["6281234567890"] = "https://pps.whatsapp.net/me.jpg"
    assert await session_.profile() == Profile(
        phone="6281234567890", push_name="Toko", about="Sibuk",
        picture_url="https://pps.whatsapp.net/me.jpg")
    await session_.set_push_name("Toko Baru")
    await session_.set_about("Buka")
    await session_.set_picture(b"\xff\xd8\xff jpeg")
    assert (fake_go.push_name, fake_go.statuses["6281234567890"]) == ("Toko Baru", "Buka")
    assert fake_go.profile_photos == [b"\xff\xd8\xff jpeg"]

    fake_go.contacts = [neonize.Contact(JID=jid("6285555555550"), Info=neonize.ContactInfo(
        Found=True, FullName="Budi", PushName="budi"))]
    assert await session_.contacts() == [Person(phone="6285555555550",
                                                jid="6285555555550@s.whatsapp.net",
                                                name="Budi", push_name="budi")]
    fake_go.phone_lids["6285555555550"] = "99887766"
    fake_go.lids["99887766"] = "6285555555550"
    assert await session_.person("6285555555550") == PersonInfo(
        phone="6285555555550", jid="6285555555550@s.whatsapp.net", lid="99887766@lid",
        name="Budi", about=None, picture_url=None, is_business=False, on_whatsapp=True)
    # (The fake says a number ending in 0 is on WhatsApp.)
    assert (await session_.person("6285555555551")).on_whatsapp is False
    assert await session_.lid_of_phone("6285555555550") == "99887766@lid"
    assert await session_.phone_of_lid("99887766@lid") == "6285555555550"
    assert await session_.lid_of_phone("6286666666660") is None

    await session_.block("6285555555550", True)
    assert fake_go.blocklist == {"6285555555550"}
    await session_.block("6285555555550", False)
    assert fake_go.blocklist == set()

    await session_.set_presence(True)
    await session_.set_presence(False)
    assert fake_go.presences == [b"available", b"unavailable"]
    for state in ("typing", "recording", "paused"):
        await session_.send_presence("6285555555550@s.whatsapp.net", state)
    # neonize's enums: composing 0, paused 1; text 0, audio 1.
    assert [p[1:] for p in fake_go.chat_presences] == [(0, 0), (0, 1), (1, 0)]
    await session_.subscribe_presence("6285555555550")
    await session_.reject_call("CALL0001", "99887766@lid")
    assert fake_go.subscribed == ["6285555555550"]
    assert fake_go.rejected == [("99887766", "CALL0001")]

    connection.event(call_offer(jid("99887766", "lid")))
    connection.event(neonize.Presence(From=jid("6285555555550"), Unavailable=False))
    rang = await until(lambda: next((e for e in seen if isinstance(e, CallOffered)), None))
    assert rang.caller.phone == "6285555555550"  # from the session's LID store
    online = await until(lambda: next((e for e in seen if isinstance(e, PresenceChanged)),
                                      None))
    assert online.presence == "available"


async def test_a_declined_call_is_rejected_and_the_caller_answered(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    deployment, api, token = site
    async with logged_in_device(fake_go, site) as (device, connection):
        changed = await asyncio.to_thread(
            api.http.patch, f"/api/devices/{device['id']}/settings", headers=api.auth(token),
            json={"rejectCalls": True, "rejectCallsMessage": "Tidak menerima telepon"})
        assert changed.status_code == 200, changed.text
        connection.event(call_offer(jid("6285555555550"), call_id="CALLHTTP"))
        await until(lambda: fake_go.rejected == [("6285555555550", "CALLHTTP")])
        texts = await until(lambda: [wa.Message.FromString(body).conversation
                                     for to, body in fake_go.sent
                                     if to.User == "6285555555550"])
        assert texts == ["Tidak menerima telepon"]
        [(body,)] = await asyncio.to_thread(
            db_rows, deployment.database_url,
            "SELECT body FROM webhook_events WHERE type = 'call.received'")
        data = json.loads(body)["data"]
        assert (data["callId"], data["from"], data["rejected"]) == (
            "CALLHTTP", "6285555555550", True)
        # The profile over HTTP, through the runner's session.
        profile = await asyncio.to_thread(api.http.get, f"/api/devices/{device['id']}/profile",
                                          headers=api.auth(token))
        assert profile.json() == {"phone": "6281234567890", "pushName": "Toko", "about": None,
                                  "pictureUrl": None}
        # The route finds the call by its event and asks the session (the fake Go library
        # takes every reject; WhatsApp's answer to a second one is WhatsApp's to give).
        again = await asyncio.to_thread(
            api.http.post, f"/api/devices/{device['id']}/calls/CALLHTTP/reject",
            headers=api.auth(token))
        assert again.status_code == 200, again.text
        assert fake_go.rejected[-1] == ("6285555555550", "CALLHTTP")
