"""Profiles, contacts, LIDs, presence, calls, logout and restart, end to end on the sandbox
(both databases): HTTP to a real `wapiz serve`, the simulated network between devices, and
the events a webhook receiver gets."""

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from tests.support import Api, unique_phone, wait_until
from tests.webhooks.receiver import Receiver, running_receiver

JPEG = b"\xff\xd8\xff\xe0" + secrets.token_bytes(2000)


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def linked(api: Api) -> tuple[str, dict, str]:
    """A new account's device (the free plan has one) linked to a number of its own: the
    account's token, the device and the number."""
    token, _ = api.register()
    phone = unique_phone()
    return token, api.linked_device(token, phone), phone


@contextmanager
def hooked(api: Api, token: str, device: dict) -> Iterator[Receiver]:
    with running_receiver() as receiver:
        _ok(api.http.patch(f"/api/devices/{device['id']}/webhook",
                           json={"webhookUrl": receiver.url}, headers=api.auth(token)))
        yield receiver


def event(receiver: Receiver, event_type: str, matches: Callable[[dict], bool]) -> dict:
    """The first event of the type whose data matches (waiting for it)."""
    return wait_until(lambda: next((e["data"] for e in receiver.events(event_type)
                                    if matches(e["data"])), None), 15)


def inbound_texts(api: Api, token: str, device: dict) -> list[str]:
    page = _ok(api.http.get("/api/messages", headers=api.auth(token), params={
        "deviceId": device["deviceId"], "direction": "inbound"}))
    return [item["text"] for item in page["items"]]


# --- profile --------------------------------------------------------------------------


def test_the_profile_is_read_changed_and_its_picture_served(api: Api) -> None:
    token, device, phone = linked(api)
    base = f"/api/devices/{device['id']}/profile"
    assert _ok(api.http.get(base, headers=api.auth(token))) == {
        "phone": phone, "pushName": None, "about": None, "pictureUrl": None}
    changed = _ok(api.http.patch(base, headers=api.auth(token),
                                 json={"pushName": " Toko Maju ", "about": "Buka 08-17"}))
    assert changed["pushName"] == "Toko Maju" and changed["about"] == "Buka 08-17"
    assert _ok(api.http.patch(base, headers=api.auth(token), json={"about": ""}))[
        "about"] is None
    _ok(api.http.put(f"{base}/picture", content=JPEG, headers={
        **api.auth(token), "Content-Type": "image/jpeg"}))
    url = _ok(api.http.get(base, headers=api.auth(token)))["pictureUrl"]
    assert url.startswith(api.url + "/api/sandbox/pictures/")
    served = api.http.get(url)  # as WhatsApp's servers: whoever has the URL
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    assert api.http.get("/api/sandbox/pictures/nothing-here").json()["code"] == (
        "picture_not_found")


def test_profile_input_is_bounded(api: Api) -> None:
    token, device, _ = linked(api)
    base = f"/api/devices/{device['id']}/profile"
    too_long = api.http.patch(base, headers=api.auth(token), json={"pushName": "x" * 26})
    assert too_long.status_code == 422, too_long.text
    assert api.http.patch(base, headers=api.auth(token), json={"pushName": ""}).status_code == 422
    assert api.http.patch(base, headers=api.auth(token), json={"other": 1}).status_code == 422
    png = api.http.put(f"{base}/picture", content=b"\x89PNG\r\n\x1a\n" + b"0" * 100,
                       headers={**api.auth(token), "Content-Type": "image/png"})
    assert png.status_code == 422 and png.json()["code"] == "invalid_picture"
    big = api.http.put(f"{base}/picture", content=JPEG[:4] + b"0" * 1_000_000,
                       headers={**api.auth(token), "Content-Type": "image/jpeg"})
    assert big.status_code == 413, big.text


# --- contacts and LIDs ----------------------------------------------------------------


def test_contacts_are_who_wrote_and_who_was_written_to_with_their_names(api: Api) -> None:
    token, device_a, _ = linked(api)
    token_b, device_b, phone_b = linked(api)
    stranger = unique_phone()
    with hooked(api, token, device_a) as receiver:
        sent = api.send_text(token, device_a["deviceId"], phone_b, "Halo B")
        wait_until(lambda: api.message_status(token, sent) in ("sent", "delivered"), 15)
        _ok(api.http.post(f"/api/sandbox/devices/{device_a['id']}/inbound",
                          headers=api.auth(token), json={"from": stranger, "text": "Halo A"}),
            202)
        wait_until(lambda: "Halo A" in inbound_texts(api, token, device_a), 15)
        # B names itself: those who know the number hear of it.
        _ok(api.http.patch(f"/api/devices/{device_b['id']}/profile", headers=api.auth(token_b),
                           json={"pushName": "Budi"}))
        told = event(receiver, "contact.updated", lambda d: d["phone"] == phone_b)
    assert told["pushName"] == "Budi" and told["deviceId"] == device_a["deviceId"]
    assert told["jid"] == f"{phone_b}@s.whatsapp.net" and told["lid"].endswith("@lid")
    contacts = _ok(api.http.get(f"/api/devices/{device_a['id']}/contacts",
                                headers=api.auth(token)))
    by_phone = {item["phone"]: item for item in contacts["items"]}
    assert set(by_phone) == {phone_b, stranger} and contacts["nextCursor"] is None
    assert by_phone[phone_b]["pushName"] == "Budi"
    assert by_phone[phone_b]["jid"] == f"{phone_b}@s.whatsapp.net"
    assert by_phone[stranger]["lid"].endswith("@lid")
    # Pages: one at a time, in order of number.
    first = _ok(api.http.get(f"/api/devices/{device_a['id']}/contacts",
                             params={"limit": 1}, headers=api.auth(token)))
    second = _ok(api.http.get(f"/api/devices/{device_a['id']}/contacts",
                              params={"limit": 1, "cursor": first["nextCursor"]},
                              headers=api.auth(token)))
    assert [first["items"][0]["phone"], second["items"][0]["phone"]] == sorted(by_phone)
    assert second["nextCursor"] is None
    # One number looked up; the LID both ways.
    info = _ok(api.http.get(f"/api/devices/{device_a['id']}/contacts/+{phone_b}",
                            headers=api.auth(token)))
    assert info["onWhatsApp"] is True and info["name"] == "Budi"
    assert info["jid"] == f"{phone_b}@s.whatsapp.net" and info["isBusiness"] is False
    lid = info["lid"]
    assert _ok(api.http.get(f"/api/devices/{device_a['id']}/lids/{lid}",
                            headers=api.auth(token))) == {"lid": lid, "phone": phone_b}
    assert _ok(api.http.get(f"/api/devices/{device_a['id']}/lids/{lid.split('@')[0]}",
                            headers=api.auth(token)))["phone"] == phone_b
    assert _ok(api.http.get(f"/api/devices/{device_a['id']}/lids",
                            params={"phone": phone_b}, headers=api.auth(token)))["lid"] == lid
    nobody = api.http.get(f"/api/devices/{device_a['id']}/contacts/{unique_phone('62813')}",
                          headers=api.auth(token))
    assert nobody.json()["onWhatsApp"] is False and nobody.json()["jid"] is None


def test_lids_not_known_are_404_and_malformed_ones_422(api: Api) -> None:
    token, device, _ = linked(api)
    unknown = api.http.get(f"/api/devices/{device['id']}/lids/999999999999999@lid",
                           headers=api.auth(token))
    assert unknown.status_code == 404 and unknown.json()["code"] == "lid_not_found"
    never_seen = api.http.get(f"/api/devices/{device['id']}/lids",
                              params={"phone": unique_phone("62815")}, headers=api.auth(token))
    assert never_seen.status_code == 404
    bad = api.http.get(f"/api/devices/{device['id']}/lids/not-a-lid", headers=api.auth(token))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_lid"
    assert api.http.get(f"/api/devices/{device['id']}/lids",
                        headers=api.auth(token)).status_code == 422
    bad_phone = api.http.get(f"/api/devices/{device['id']}/contacts/12", headers=api.auth(token))
    assert bad_phone.status_code == 422 and bad_phone.json()["code"] == "invalid_phone"
    bad_cursor = api.http.get(f"/api/devices/{device['id']}/contacts",
                              params={"cursor": "a b"}, headers=api.auth(token))
    assert bad_cursor.status_code == 422


def test_a_blocked_number_reaches_the_device_no_more_until_unblocked(api: Api) -> None:
    token, device, _ = linked(api)
    other = unique_phone()
    base = f"/api/devices/{device['id']}/contacts/{other}"
    _ok(api.http.post(f"{base}/block", headers=api.auth(token)))

    def write(text: str) -> None:
        _ok(api.http.post(f"/api/sandbox/devices/{device['id']}/inbound",
                          headers=api.auth(token), json={"from": other, "text": text}), 202)

    write("diblokir")
    _ok(api.http.post(f"{base}/unblock", headers=api.auth(token)))
    write("lagi")
    wait_until(lambda: "lagi" in inbound_texts(api, token, device), 15)
    assert "diblokir" not in inbound_texts(api, token, device)


# --- presence -------------------------------------------------------------------------


def test_presence_reaches_subscribers_and_chat_states_the_chat(api: Api) -> None:
    token, device_a, phone_a = linked(api)
    token_b, device_b, phone_b = linked(api)
    with hooked(api, token_b, device_b) as receiver:
        _ok(api.http.post(f"/api/devices/{device_b['id']}/presence/subscribe",
                          headers=api.auth(token_b), json={"phone": phone_a}))
        _ok(api.http.post(f"/api/devices/{device_a['id']}/presence", headers=api.auth(token),
                          json={"presence": "available"}))
        online = event(receiver, "presence.updated",
                       lambda d: d["phone"] == phone_a and d["presence"] == "available")
        _ok(api.http.post(f"/api/devices/{device_a['id']}/presence", headers=api.auth(token),
                          json={"presence": "unavailable"}))
        offline = event(receiver, "presence.updated",
                        lambda d: d["phone"] == phone_a and d["presence"] == "unavailable")
        _ok(api.http.post(f"/api/devices/{device_a['id']}/chats/{phone_b}/presence",
                          headers=api.auth(token), json={"state": "recording"}))
        typing = event(receiver, "presence.updated", lambda d: d["chat"] is not None)
    assert online == {"deviceId": device_b["deviceId"], "phone": phone_a,
                      "jid": f"{phone_a}@s.whatsapp.net", "chat": None,
                      "presence": "available", "lastSeen": None}
    assert offline["lastSeen"] is not None
    assert typing["chat"] == f"{phone_a}@s.whatsapp.net" and typing["presence"] == "recording"


def test_presence_input_is_checked(api: Api) -> None:
    token, device, _ = linked(api)
    base = f"/api/devices/{device['id']}"
    for path, body in ((f"{base}/presence", {"presence": "busy"}),
                       (f"{base}/chats/{unique_phone()}/presence", {"state": "singing"}),
                       (f"{base}/chats/12/presence", {"state": "typing"}),
                       (f"{base}/presence/subscribe", {"phone": "abc"})):
        answer = api.http.post(path, json=body, headers=api.auth(token))
        assert answer.status_code == 422, (path, answer.text)
    not_on_network = api.http.post(f"{base}/presence/subscribe", headers=api.auth(token),
                                   json={"phone": unique_phone("62817")})
    assert not_on_network.status_code == 404
    assert not_on_network.json()["code"] == "whatsapp_not_found"


# --- calls ----------------------------------------------------------------------------


def ring(api: Api, token: str, device: dict, caller: str, video: bool = False) -> str:
    return str(_ok(api.http.post(f"/api/sandbox/devices/{device['id']}/call",
                                 headers=api.auth(token),
                                 json={"from": caller, "isVideo": video}), 202)["callId"])


def test_a_call_rings_and_is_rejected_once(api: Api) -> None:
    token, device, _ = linked(api)
    caller = unique_phone()
    with hooked(api, token, device) as receiver:
        call_id = ring(api, token, device, caller, video=True)
        rang = event(receiver, "call.received", lambda d: d["callId"] == call_id)
    assert rang["from"] == caller and rang["fromJid"] == f"{caller}@s.whatsapp.net"
    assert rang["isVideo"] is True and rang["isGroup"] is False and rang["rejected"] is False
    assert rang["deviceId"] == device["deviceId"] and rang["at"].endswith("Z")
    base = f"/api/devices/{device['id']}/calls"
    _ok(api.http.post(f"{base}/{call_id}/reject", headers=api.auth(token)))
    again = api.http.post(f"{base}/{call_id}/reject", headers=api.auth(token))
    assert again.status_code == 404 and again.json()["code"] == "whatsapp_not_found"
    unknown = api.http.post(f"{base}/NOSUCHCALL/reject", headers=api.auth(token))
    assert unknown.status_code == 404 and unknown.json()["code"] == "call_not_found"
    assert api.http.post(f"{base}/bad%20id/reject", headers=api.auth(token)).status_code == 422


def test_reject_calls_declines_at_once_and_answers_the_caller(api: Api) -> None:
    token, device, _ = linked(api)
    caller_token, caller_device, caller = linked(api)
    settings = _ok(api.http.get(f"/api/devices/{device['id']}/settings", headers=api.auth(token)))
    assert settings["rejectCalls"] is False and settings["rejectCallsMessage"] is None
    changed = _ok(api.http.patch(f"/api/devices/{device['id']}/settings", headers=api.auth(token),
                                 json={"rejectCalls": True,
                                       "rejectCallsMessage": "Maaf, tidak bisa menerima telepon"}))
    assert changed["rejectCalls"] is True
    with hooked(api, token, device) as receiver:
        call_id = ring(api, token, device, caller)
        rang = event(receiver, "call.received", lambda d: d["callId"] == call_id)
    assert rang["rejected"] is True
    # The runner declined it: nothing rings any more.
    wait_until(lambda: api.http.post(f"/api/devices/{device['id']}/calls/{call_id}/reject",
                                     headers=api.auth(token)).status_code == 404, 15)
    # And the caller got the text, sent through the queue like any message.
    wait_until(lambda: "Maaf, tidak bisa menerima telepon" in inbound_texts(
        api, caller_token, caller_device), 15)
    cleared = _ok(api.http.patch(f"/api/devices/{device['id']}/settings",
                                 headers=api.auth(token),
                                 json={"rejectCalls": None, "rejectCallsMessage": ""}))
    assert cleared["rejectCalls"] is False and cleared["rejectCallsMessage"] is None
    for bad in ({"rejectCalls": "yes"}, {"rejectCallsMessage": "x" * 1001}):
        assert api.http.patch(f"/api/devices/{device['id']}/settings", json=bad,
                              headers=api.auth(token)).status_code == 422


# --- the session: logout and restart --------------------------------------------------


def test_logout_unlinks_the_number_and_keeps_the_device(api: Api) -> None:
    token, device, phone = linked(api)
    with hooked(api, token, device) as receiver:
        _ok(api.http.patch(f"/api/devices/{device['id']}/settings", headers=api.auth(token),
                           json={"typing": False}))
        _ok(api.http.post(f"/api/devices/{device['id']}/logout", headers=api.auth(token)))
        told = event(receiver, "device.status", lambda d: d["status"] == "logged_out")
    assert told["reason"] == "logged_out"
    # A new pairing: a new QR code, the same device, its settings and webhook kept.
    wait_until(lambda: api.http.get(f"/api/devices/{device['id']}/qr",
                                    headers=api.auth(token)).headers.get("content-type")
               == "image/png", 15)
    assert api.status(token, device["id"])["loggedIn"] is False
    listed = _ok(api.http.get("/api/devices", headers=api.auth(token)))
    assert [d["id"] for d in listed] == [device["id"]] and listed[0]["webhookUrl"]
    assert _ok(api.http.get(f"/api/devices/{device['id']}/settings",
                            headers=api.auth(token)))["typing"] is False
    not_linked = api.http.post(f"/api/devices/{device['id']}/logout", headers=api.auth(token))
    assert not_linked.status_code == 409
    # The number is free again: it links the same device anew.
    api.link(token, device["id"], phone)
    assert api.status(token, device["id"])["loggedIn"] is True


def test_restart_reconnects_the_session(api: Api) -> None:
    token, device, _ = linked(api)
    _ok(api.http.post(f"/api/devices/{device['id']}/restart", headers=api.auth(token)), 202)
    wait_until(lambda: api.status(token, device["id"])["loggedIn"], 15)
    # Restarting a device that shows QR codes shows them again.
    token, _ = api.register()
    fresh = api.create_device(token)
    wait_until(lambda: api.http.get(f"/api/devices/{fresh['id']}/qr",
                                    headers=api.auth(token)).status_code == 200, 15)
    _ok(api.http.post(f"/api/devices/{fresh['id']}/restart", headers=api.auth(token)), 202)
    api.link(token, fresh["id"])


# --- who may ask ----------------------------------------------------------------------


def test_another_accounts_device_is_404_and_an_unlinked_one_409(api: Api) -> None:
    _, device, phone = linked(api)
    other_token, _ = api.register()
    unlinked = api.create_device(other_token)
    routes = [
        ("GET", "/profile", None), ("PATCH", "/profile", {"about": "x"}),
        ("GET", "/contacts", None), ("GET", f"/contacts/{phone}", None),
        ("POST", f"/contacts/{phone}/block", None), ("POST", f"/contacts/{phone}/unblock", None),
        ("GET", "/lids/123456789012345", None), ("POST", "/presence", {"presence": "available"}),
        ("POST", f"/chats/{phone}/presence", {"state": "typing"}),
        ("POST", "/presence/subscribe", {"phone": phone}), ("POST", "/logout", None),
    ]
    for method, path, body in [*routes, ("POST", "/restart", None),
                               ("POST", "/calls/ABC/reject", None)]:
        foreign = api.http.request(method, f"/api/devices/{device['id']}{path}", json=body,
                                   headers=api.auth(other_token))
        assert foreign.status_code == 404, (path, foreign.text)
    foreign_picture = api.http.put(f"/api/devices/{device['id']}/profile/picture", content=JPEG,
                                   headers={**api.auth(other_token),
                                            "Content-Type": "image/jpeg"})
    assert foreign_picture.status_code == 404
    foreign_ring = api.http.post(f"/api/sandbox/devices/{device['id']}/call",
                                 json={"from": phone}, headers=api.auth(other_token))
    assert foreign_ring.status_code == 404
    for method, path, body in routes:
        waiting = api.http.request(method, f"/api/devices/{unlinked['id']}{path}", json=body,
                                   headers=api.auth(other_token))
        assert waiting.status_code == 409, (path, waiting.text)
        assert waiting.json()["code"] == "device_not_logged_in"
    assert api.http.get(f"/api/devices/{device['id']}/profile").status_code == 401
