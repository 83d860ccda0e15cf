"""Chats over HTTP on the sandbox, on both databases: the list (order, paging, unread
counts, last message), a chat's messages, reading (the sender's device sees it read),
archive/pin/mute, delete, history sync on linking, and their chat.updated events."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from tests.messages.parties import NO_PACING, Party, linked_party, send
from tests.support import Api, unique_phone, wait_until
from tests.webhooks.receiver import running_receiver


def chats_path(party: Party, chat: str | None = None, tail: str = "") -> str:
    path = f"/api/devices/{party.device['id']}/chats"
    return path + (f"/{quote(chat, safe='')}" if chat is not None else "") + tail


def chat_list(api: Api, party: Party, **params: object) -> dict:
    answer = api.http.get(chats_path(party), params=params, headers=api.auth(party.token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def inject(api: Api, party: Party, sender: str, text: str) -> str:
    """A message to the party's device from `sender`; its WhatsApp id."""
    answer = api.http.post(f"/api/sandbox/devices/{party.device['id']}/inbound",
                           json={"from": sender, "text": text}, headers=api.auth(party.token))
    assert answer.status_code == 202, answer.text
    return str(answer.json()["waMessageId"])


def chat_of(api: Api, party: Party, jid: str) -> dict | None:
    return next((chat for chat in chat_list(api, party, limit=200)["items"]
                 if chat["chat"] == jid), None)


def arrived(api: Api, party: Party, jid: str, unread: int) -> dict:
    """The chat once it counts `unread` unread messages."""
    return wait_until(lambda: (chat := chat_of(api, party, jid)) is not None
                      and chat["unreadCount"] == unread and chat, timeout=20)


def jid_of(phone: str) -> str:
    return f"{phone}@s.whatsapp.net"


def test_the_list_most_recent_first_paged_with_unread_counts(api: Api) -> None:
    me = linked_party(api, unique_phone())
    x, y, z = unique_phone(), unique_phone(), unique_phone()
    inject(api, me, x, "x satu")
    arrived(api, me, jid_of(x), 1)
    inject(api, me, x, "x dua")
    arrived(api, me, jid_of(x), 2)
    inject(api, me, y, "y satu")
    arrived(api, me, jid_of(y), 1)
    sent = send(api, me, to=z, text="ke z")

    items = chat_list(api, me)["items"]
    assert [chat["chat"] for chat in items] == [jid_of(z), jid_of(y), jid_of(x)]
    assert [chat["unreadCount"] for chat in items] == [0, 1, 2]
    assert items[0]["lastMessage"]["id"] == sent["id"]
    assert items[0]["lastMessage"]["direction"] == "outbound"
    assert items[2]["lastMessage"]["text"] == "x dua"
    assert items[2]["lastMessage"]["direction"] == "inbound"
    assert all(chat["isGroup"] is False and chat["archived"] is False
               and chat["pinned"] is False and chat["mutedUntil"] is None for chat in items)

    first = chat_list(api, me, limit=2)
    assert [chat["chat"] for chat in first["items"]] == [jid_of(z), jid_of(y)]
    rest = chat_list(api, me, limit=2, cursor=first["nextCursor"])
    assert [chat["chat"] for chat in rest["items"]] == [jid_of(x)]
    assert rest["nextCursor"] is None

    # A message read on its own counts down its chat.
    x_last = items[2]["lastMessage"]["id"]
    read = api.http.post(f"/api/messages/{x_last}/read", headers=api.auth(me.token))
    assert read.status_code == 200, read.text
    assert chat_of(api, me, jid_of(x))["unreadCount"] == 1  # type: ignore[index]


def test_a_chats_messages_paged_and_the_chat_named_as_people_write_it(api: Api) -> None:
    me = linked_party(api, unique_phone())
    other = unique_phone()
    ids = [send(api, me, to=other, text=f"pesan {n}")["id"] for n in range(3)]
    send(api, me, to=unique_phone(), text="chat lain")
    national = "0" + other[2:]  # 0812…: the default country's way
    for name in (other, national, jid_of(other), "+" + other):
        page = api.http.get(chats_path(me, name, "/messages"), params={"limit": 2},
                            headers=api.auth(me.token))
        assert page.status_code == 200, page.text
        assert [m["id"] for m in page.json()["items"]] == ids[::-1][:2]
        rest = api.http.get(chats_path(me, name, "/messages"),
                            params={"limit": 2, "cursor": page.json()["nextCursor"]},
                            headers=api.auth(me.token)).json()
        assert [m["id"] for m in rest["items"]] == ids[:1] and rest["nextCursor"] is None


def test_reading_a_chat_tells_the_sender(api: Api) -> None:
    me = linked_party(api, unique_phone())
    friend = linked_party(api, unique_phone())
    sent = [send(api, friend, to=me.phone, text=f"halo {n}")["id"] for n in range(2)]
    arrived(api, me, jid_of(friend.phone), 2)

    read = api.http.post(chats_path(me, friend.phone, "/read"), headers=api.auth(me.token))
    assert read.status_code == 200, read.text
    assert read.json()["unreadCount"] == 0 and read.json()["chat"] == jid_of(friend.phone)
    inbox = api.http.get(chats_path(me, friend.phone, "/messages"),
                         headers=api.auth(me.token)).json()["items"]
    assert len(inbox) == 2 and all(m["readAt"] for m in inbox)
    # The sender's sandbox device gets the read receipt.
    for message_id in sent:
        wait_until(lambda message_id=message_id: api.http.get(
            f"/api/messages/{message_id}", headers=api.auth(friend.token)
        ).json()["status"] == "read", timeout=20)
    again = api.http.post(chats_path(me, friend.phone, "/read"), headers=api.auth(me.token))
    assert again.status_code == 200 and again.json()["unreadCount"] == 0


def test_archive_pin_mute_and_their_events(api: Api) -> None:
    me = linked_party(api, unique_phone())
    other = unique_phone()
    inject(api, me, other, "halo")
    arrived(api, me, jid_of(other), 1)
    with running_receiver() as receiver:
        hook = api.http.patch(f"/api/devices/{me.device['id']}/webhook",
                              json={"webhookUrl": receiver.url}, headers=api.auth(me.token))
        assert hook.status_code == 200, hook.text

        def patch(**body: object) -> dict:
            answer = api.http.patch(chats_path(me, other), json=body,
                                    headers=api.auth(me.token))
            assert answer.status_code == 200, answer.text
            return answer.json()

        assert patch(pinned=True)["pinned"] is True
        archived = patch(archived=True)
        assert archived["archived"] is True and archived["pinned"] is False  # as WhatsApp does
        until = (datetime.now(UTC) + timedelta(hours=8)).replace(microsecond=0)
        muted = patch(mutedUntil=until.isoformat(), archived=False)
        assert muted["archived"] is False
        assert muted["mutedUntil"] == until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert muted["lastMessage"]["text"] == "halo" and muted["unreadCount"] == 1
        assert patch(mutedUntil=None)["mutedUntil"] is None
        listed = chat_of(api, me, jid_of(other))
        assert listed is not None and listed["pinned"] is False and listed["archived"] is False

        events = wait_until(lambda: len(found := receiver.events("chat.updated")) >= 4
                            and found, timeout=20)
    data = [event["data"] for event in events]
    assert [(d["pinned"], d["archived"], d["mutedUntil"] is not None) for d in data] == [
        (True, False, False), (False, True, False), (False, False, True),
        (False, False, False)]
    assert all(d["chat"] == jid_of(other) and d["deviceId"] == me.device["deviceId"]
               and d["unreadCount"] == 1 for d in data)


def test_deleting_a_chat_hides_its_messages(api: Api) -> None:
    me = linked_party(api, unique_phone())
    other = unique_phone()
    inject(api, me, other, "lama")
    arrived(api, me, jid_of(other), 1)
    gone = api.http.delete(chats_path(me, other), headers=api.auth(me.token))
    assert gone.status_code == 204, gone.text
    assert chat_of(api, me, jid_of(other)) is None
    assert api.http.get(chats_path(me, other, "/messages"),
                        headers=api.auth(me.token)).json()["items"] == []
    # A new message brings the chat back, with only itself.
    inject(api, me, other, "baru")
    back = arrived(api, me, jid_of(other), 1)
    assert back["lastMessage"]["text"] == "baru"
    shown = api.http.get(chats_path(me, other, "/messages"),
                         headers=api.auth(me.token)).json()["items"]
    assert [m["text"] for m in shown] == ["baru"]


def test_history_sync_when_a_device_links(api: Api) -> None:
    phone = unique_phone()
    old = linked_party(api, phone)
    x, y = unique_phone(), unique_phone()
    inject(api, old, x, "dari x")
    arrived(api, old, jid_of(x), 1)
    send(api, old, to=x, text="balasan ke x")
    inject(api, old, y, "dari y 1")
    inject(api, old, y, "dari y 2")
    arrived(api, old, jid_of(y), 2)
    wait_until(lambda: chat_of(api, old, jid_of(x))["lastMessage"]["status"]  # type: ignore[index]
               == "sent", timeout=20)
    unlinked = api.http.post(f"/api/sandbox/devices/{old.device['id']}/unlink",
                             headers=api.auth(old.token))
    assert unlinked.status_code == 200, unlinked.text

    token, _ = api.register()
    device = api.create_device(token)
    settings = api.http.patch(f"/api/devices/{device['id']}/settings",
                              json={"historySync": True, "historySyncDays": 7, **NO_PACING},
                              headers=api.auth(token))
    assert settings.status_code == 200, settings.text
    assert settings.json()["historySync"] is True and settings.json()["historySyncDays"] == 7
    with running_receiver() as receiver:
        hook = api.http.patch(f"/api/devices/{device['id']}/webhook",
                              json={"webhookUrl": receiver.url}, headers=api.auth(token))
        assert hook.status_code == 200, hook.text
        api.link(token, device["id"], phone)
        new = Party(token, device, phone)
        wait_until(lambda: len(chat_list(api, new)["items"]) == 2, timeout=20)
        events = wait_until(lambda: len(found := receiver.events("chat.updated")) >= 2
                            and found, timeout=20)
        received = receiver.events("message.received")
    items = chat_list(api, new)["items"]
    assert [chat["chat"] for chat in items] == [jid_of(y), jid_of(x)]
    assert [chat["unreadCount"] for chat in items] == [2, 0]  # x was answered
    assert items[1]["lastMessage"]["text"] == "balasan ke x"
    x_messages = api.http.get(chats_path(new, x, "/messages"),
                              headers=api.auth(token)).json()["items"]
    assert [m["text"] for m in x_messages] == ["balasan ke x", "dari x"]
    assert {event["data"]["chat"] for event in events} == {jid_of(x), jid_of(y)}
    assert received == []  # history is no news


def test_history_sync_is_off_by_default(api: Api) -> None:
    phone = unique_phone()
    old = linked_party(api, phone)
    inject(api, old, unique_phone(), "lama")
    assert wait_until(lambda: chat_list(api, old)["items"], timeout=20)
    api.http.post(f"/api/sandbox/devices/{old.device['id']}/unlink",
                  headers=api.auth(old.token))
    token, _ = api.register()
    device = api.linked_device(token, phone)
    inject(api, Party(token, device, phone), unique_phone(), "baru")
    items = wait_until(lambda: chat_list(api, Party(token, device, phone))["items"],
                       timeout=20)
    assert [chat["lastMessage"]["text"] for chat in items] == ["baru"]


def test_another_accounts_device_bad_chats_and_bad_input(api: Api) -> None:
    me = linked_party(api, unique_phone())
    other = unique_phone()
    inject(api, me, other, "halo")
    arrived(api, me, jid_of(other), 1)
    stranger, _ = api.register()
    for method, tail in (("GET", ""), ("GET", f"/{other}/messages"), ("POST", f"/{other}/read"),
                         ("PATCH", f"/{other}"), ("DELETE", f"/{other}")):
        answer = api.http.request(method, chats_path(me) + tail, headers=api.auth(stranger),
                                  json={"pinned": True} if method == "PATCH" else None)
        assert answer.status_code == 404, (method, tail, answer.text)
        assert answer.json()["code"] == "device_not_found"
    bad = api.http.get(chats_path(me, "bukan-nomor", "/messages"), headers=api.auth(me.token))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_chat"
    unknown = api.http.delete(chats_path(me, unique_phone()), headers=api.auth(me.token))
    assert unknown.status_code == 404 and unknown.json()["code"] == "chat_not_found"
    unread_nowhere = api.http.post(chats_path(me, unique_phone(), "/read"),
                                   headers=api.auth(me.token))
    assert unread_nowhere.status_code == 404
    for body in ({}, {"archived": "ya"}, {"pinned": None}, {"mutedUntil": "besok"},
                 {"muted": True}, {"archived": True, "pinned": True}):
        answer = api.http.patch(chats_path(me, other), json=body, headers=api.auth(me.token))
        assert answer.status_code == 422, (body, answer.text)
    cursor = api.http.get(chats_path(me), params={"cursor": "x"}, headers=api.auth(me.token))
    assert cursor.status_code == 422
    # A device not logged in cannot tell its phone.
    token, _ = api.register()
    idle = api.create_device(token)
    refused = api.http.patch(f"/api/devices/{idle['id']}/chats/{other}", json={"pinned": True},
                             headers=api.auth(token))
    assert refused.status_code == 409 and refused.json()["code"] == "device_not_logged_in"
