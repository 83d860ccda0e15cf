"""Chats on the whatsmeow engine: a history sync read from neonize's real protobufs, taken
in end to end through the faked Go library (tests/engines/whatsmeow/fakego.py), a chat read
through `MarkRead`, and what neonize 0.5.2 cannot do (archive, pin, mute, delete) refused
with 501."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waCommon import WACommon_pb2 as common
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa
from neonize.proto.waHistorySync import WAWebProtobufsHistorySync_pb2 as history
from neonize.proto.waWeb import WAWebProtobufsWeb_pb2 as web

from tests.engines.whatsmeow.fakego import FakeGo
from tests.engines.whatsmeow.test_sessions import (  # noqa: F401 (fixtures)
    fake_go,
    running,
    site,
    status_is,
    until,
)
from wapiz.engines.whatsmeow import adapter

ME = "6281234567890:7@s.whatsapp.net"
FRIEND = "6281111111110@s.whatsapp.net"
GROUP = "120363000000000001@g.us"


def stored(message_id: str, chat: str, text: str, at: datetime, *, from_me: bool = False,
           participant: str = "", push_name: str = "") -> history.HistorySyncMsg:
    return history.HistorySyncMsg(message=web.WebMessageInfo(
        key=common.MessageKey(remoteJID=chat, fromMe=from_me, ID=message_id,
                              participant=participant),
        message=wa.Message(conversation=text), messageTimestamp=int(at.timestamp()),
        pushName=push_name))


def history_event(now: datetime, sync_type: Any = history.HistorySync.INITIAL_BOOTSTRAP
                  ) -> neonize.HistorySync:
    mute_end = now + timedelta(hours=8)
    return neonize.HistorySync(Data=history.HistorySync(syncType=sync_type, conversations=[
        history.Conversation(
            ID=FRIEND, name="Budi", archived=True, unreadCount=1,
            muteEndTime=int(mute_end.timestamp() * 1000), messages=[
                stored("H2", FRIEND, "balasan", now - timedelta(hours=2), from_me=True),
                stored("H1", FRIEND, "halo", now - timedelta(hours=3), push_name="Budi"),
                stored("H3", FRIEND, "sudah?", now - timedelta(hours=1), push_name="Budi"),
                stored("OLD", FRIEND, "lama sekali", now - timedelta(days=40)),
            ]),
        history.Conversation(
            ID=GROUP, displayName="Keluarga", pinned=1764000000,
            muteEndTime=2**63, messages=[
                stored("G1", GROUP, "rapat", now - timedelta(minutes=30),
                       participant="6282222222220@s.whatsapp.net"),
            ]),
        history.Conversation(ID="status@broadcast", messages=[
            stored("S1", "status@broadcast", "status", now)]),
    ]))


def test_a_history_sync_from_neonizes_protobufs() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    event = neonize.HistorySync.FromString(history_event(now).SerializeToString())
    synced = adapter.history_sync(event, ME, lambda lid: None)
    assert synced is not None
    friend, group = synced.chats  # statuses are no chat
    assert (friend.chat, friend.name, friend.archived, friend.pinned, friend.unread_count) == (
        FRIEND, "Budi", True, False, 1)
    assert friend.muted_until == now + timedelta(hours=8)
    assert [m.id for m in friend.messages] == ["OLD", "H1", "H2", "H3"]  # oldest first
    reply = friend.messages[2]
    assert reply.from_me and reply.sender.jid == "6281234567890@s.whatsapp.net"
    assert reply.chat.jid == FRIEND and reply.text == "balasan"
    hello = friend.messages[1]
    assert hello.sender.phone == "6281111111110" and hello.push_name == "Budi"
    assert hello.timestamp == now - timedelta(hours=3) and hello.type == "text"
    assert (group.chat, group.name, group.pinned) == (GROUP, "Keluarga", True)
    assert group.muted_until == adapter.MUTED_FOREVER
    assert group.messages[0].sender.jid == "6282222222220@s.whatsapp.net"
    # Parts without conversations say nothing.
    assert adapter.history_sync(history_event(now, history.HistorySync.PUSH_NAME), ME,
                                lambda lid: None) is None


def test_neonize_hears_no_chat_state_from_the_phone() -> None:
    """Why archive, pin, mute and delete are not taken from the phone: neonize 0.5.2
    delivers none of whatsmeow's app-state events (docs/api.md, Chats). If a release adds
    them, this fails, and they can become notices."""
    from neonize.events import EVENT_TO_INT

    delivered = {event.DESCRIPTOR.name for event in EVENT_TO_INT if hasattr(event, "DESCRIPTOR")}
    assert "HistorySync" in delivered
    assert not delivered & {"Archive", "Pin", "Mute", "DeleteChat", "ClearChat",
                            "MarkChatAsRead"}


async def test_history_taken_in_read_and_what_neonize_cannot_do(
        fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    deployment, api, token = site
    device = api.create_device(token)
    settings = api.http.patch(f"/api/devices/{device['id']}/settings", headers=api.auth(token),
                              json={"historySync": True, "historySyncDays": 30})
    assert settings.status_code == 200, settings.text
    chats = f"/api/devices/{device['id']}/chats"

    def get(path: str, **params: Any) -> Any:
        return api.http.get(path, params=params, headers=api.auth(token))

    async with running(deployment):
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        connection.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
        now = datetime.now(UTC).replace(microsecond=0)
        connection.event(history_event(now))
        items = (await until(lambda: len(found := get(chats).json()["items"]) == 2 and found))
        assert [chat["chat"] for chat in items] == [GROUP, FRIEND]
        group, friend = items
        assert group["name"] == "Keluarga" and group["pinned"] and group["isGroup"]
        assert group["mutedUntil"].startswith("9999-12-31")
        assert friend["archived"] and friend["unreadCount"] == 1 and friend["name"] == "Budi"
        assert friend["lastMessage"]["text"] == "sudah?"
        texts = [m["text"] for m in get(f"{chats}/{FRIEND}/messages").json()["items"]]
        assert texts == ["sudah?", "balasan", "halo"]  # 40 days old: beyond the limit

        # Reading the chat sends the read receipt through MarkRead, for the unread one.
        read = await asyncio.to_thread(api.http.post, f"{chats}/{FRIEND}/read",
                                       headers=api.auth(token))
        assert read.status_code == 200, read.text
        assert read.json()["unreadCount"] == 0
        assert fake_go.read_marks == [("6281111111110", "6281111111110", ["H3"])]

        # neonize 0.5.2 cannot send app-state patches that reach the phone.
        for method, path, body in (("PATCH", f"{chats}/{FRIEND}", {"archived": False}),
                                   ("DELETE", f"{chats}/{FRIEND}", None)):
            refused = await asyncio.to_thread(api.http.request, method, path, json=body,
                                              headers=api.auth(token))
            assert refused.status_code == 501, refused.text
            assert refused.json()["code"] == "not_supported_by_engine"
        assert get(chats).json()["items"][1]["archived"] is True  # unchanged here too
