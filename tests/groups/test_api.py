"""Groups end to end on the sandbox: three accounts' devices, linked to numbers of their own,
make a group and live in it — settings, participants (with WhatsApp's refusals), invite
links, join requests, leaving, a message reaching every member, and the three group events."""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from PIL import Image

from tests.support import Api, unique_phone, wait_until
from tests.webhooks.receiver import Receiver, running_receiver


@dataclass
class Member:
    token: str
    device: dict
    phone: str

    @property
    def id(self) -> str:
        return str(self.device["id"])


def member(api: Api, receiver: Receiver | None = None) -> Member:
    token, _ = api.register()
    phone = unique_phone()
    device = api.linked_device(token, phone)
    wait_until(lambda: api.status(token, device["id"])["status"] == "logged_in", timeout=20)
    if receiver is not None:
        hooked = api.http.patch(f"/api/devices/{device['id']}/webhook", headers=api.auth(token),
                                json={"webhookUrl": receiver.url})
        assert hooked.status_code == 200, hooked.text
    return Member(token, device, phone)


def call(api: Api, who: Member, method: str, path: str = "", **kwargs: object):  # type: ignore[no-untyped-def]
    return api.http.request(method, f"/api/devices/{who.id}/groups{path}",
                            headers=api.auth(who.token), **kwargs)  # type: ignore[arg-type]


def in_group(group: str, rest: str = "") -> str:
    return "/" + quote(group, safe="") + rest


def national(phone: str) -> str:
    """As people in Indonesia write it: 0812-…"""
    return "0" + phone[2:5] + "-" + phone[5:]


def roles(group: dict) -> dict[str, str]:
    return {p["phone"]: p["role"] for p in group["participants"]}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def events_of(receiver: Receiver, who: Member, event_type: str) -> list[dict]:
    return [e["data"] for e in receiver.events(event_type)
            if e["data"].get("deviceId") == who.device["deviceId"]]


def test_a_group_from_creation_to_join_requests(api: Api, receiver: Receiver) -> None:
    a, b, c = (member(api, receiver) for _ in range(3))

    created = call(api, a, "POST", json={"subject": "Arisan RT 05",
                                         "participants": [national(b.phone)]})
    assert created.status_code == 201, created.text
    group = created.json()
    gid = group["id"]
    assert gid.endswith("@g.us") and group["subject"] == "Arisan RT 05"
    assert group["owner"] == a.phone and group["createdAt"].endswith("Z")
    assert roles(group) == {a.phone: "superadmin", b.phone: "member"}
    assert [g["id"] for g in call(api, a, "GET").json()["items"]] == [gid]
    assert call(api, b, "GET", in_group(gid)).json()["participants"] == group["participants"]
    # Only participants see a group.
    outsider = call(api, c, "GET", in_group(gid))
    assert outsider.status_code == 403 and outsider.json()["code"] == "whatsapp_forbidden"
    assert call(api, c, "GET").json()["items"] == []

    # Settings: anyone in an unlocked group renames it; announce and locked are for admins.
    renamed = call(api, b, "PATCH", in_group(gid), json={"subject": "Arisan RT 05/02",
                                                         "description": "Tiap Minggu"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["subject"], renamed.json()["description"]) == (
        "Arisan RT 05/02", "Tiap Minggu")
    refused = call(api, b, "PATCH", in_group(gid), json={"locked": True})
    assert refused.status_code == 403 and refused.json()["code"] == "whatsapp_forbidden"
    locked = call(api, a, "PATCH", in_group(gid), json={"locked": True, "announce": False})
    assert locked.status_code == 200 and locked.json()["locked"] is True
    assert call(api, b, "PATCH", in_group(gid), json={"subject": "x"}).status_code == 403

    picture = call(api, a, "PUT", in_group(gid, "/picture"),
                   files={"file": ("foto.jpg", jpeg(), "image/jpeg")})
    assert picture.status_code == 200 and picture.json()["pictureId"], picture.text
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, "PNG")
    not_jpeg = call(api, a, "PUT", in_group(gid, "/picture"),
                    files={"file": ("foto.png", png.getvalue(), "image/png")})
    assert not_jpeg.status_code == 422 and not_jpeg.json()["code"] == "not_jpeg"

    # Participants: an outcome each, WhatsApp's refusals named.
    stranger = unique_phone()  # on no device: not on the network
    added = call(api, a, "POST", in_group(gid, "/participants"), json={
        "action": "add", "participants": [c.phone + "@s.whatsapp.net", national(b.phone),
                                          "+" + stranger]})
    assert added.status_code == 200, added.text
    assert [(r["participant"], r["ok"], r["status"], r["reason"])
            for r in added.json()["results"]] == [
        (c.phone + "@s.whatsapp.net", True, 200, None),
        (national(b.phone), False, 409, "already_participant"),
        ("+" + stranger, False, 404, "not_on_whatsapp")]
    assert added.json()["results"][0]["phone"] == c.phone
    for action, expected in (("promote", "admin"), ("demote", "member")):
        done = call(api, a, "POST", in_group(gid, "/participants"),
                    json={"action": action, "participants": [b.phone]})
        assert done.json()["results"][0]["ok"] is True, done.text
        assert roles(call(api, a, "GET", in_group(gid)).json())[b.phone] == expected
    creator = call(api, a, "POST", in_group(gid, "/participants"),
                   json={"action": "demote", "participants": [a.phone]})
    assert creator.json()["results"][0]["reason"] == "not_allowed"
    by_member = call(api, b, "POST", in_group(gid, "/participants"),
                     json={"action": "remove", "participants": [c.phone]})
    assert by_member.status_code == 403 and by_member.json()["code"] == "whatsapp_forbidden"

    # A message to the group reaches every other member's device, its sender named.
    sent = api.send_text(a.token, a.device["deviceId"], gid, "Kumpul jam 7")

    def received_by(who: Member) -> dict | None:
        found = api.http.get("/api/messages", params={"direction": "inbound"},
                             headers=api.auth(who.token)).json()["items"]
        return next((m for m in found if m["text"] == "Kumpul jam 7"), None)

    for who in (b, c):
        message = wait_until(lambda who=who: received_by(who), timeout=20)
        assert message["chat"] == gid and message["from"] == a.phone
    wait_until(lambda: api.message_status(a.token, sent) in ("sent", "delivered"), timeout=20)
    assert received_by(a) is None

    removed = call(api, a, "POST", in_group(gid, "/participants"),
                   json={"action": "remove", "participants": [c.phone]})
    assert removed.json()["results"][0]["ok"] is True

    # Invite links: only admins see them; a reset one no longer works.
    assert call(api, b, "GET", in_group(gid, "/invite")).status_code == 403
    link = call(api, a, "GET", in_group(gid, "/invite")).json()["link"]
    assert link.startswith("https://chat.whatsapp.com/")
    reset = call(api, a, "DELETE", in_group(gid, "/invite"))
    assert reset.status_code == 200 and reset.json()["link"] != link
    stale = call(api, c, "POST", "/join", json={"link": link})
    assert stale.status_code == 404 and stale.json()["code"] == "whatsapp_not_found"
    joined = call(api, c, "POST", "/join", json={"link": reset.json()["link"]})
    assert joined.status_code == 200, joined.text
    assert roles(joined.json())[c.phone] == "member"

    # Leaving.
    left = call(api, c, "POST", in_group(gid, "/leave"))
    assert left.status_code == 200 and left.json() == {"ok": True}
    assert c.phone not in roles(call(api, a, "GET", in_group(gid)).json())
    assert call(api, c, "POST", in_group(gid, "/leave")).status_code == 403
    # Outside the group, a message to it is refused by the network: failed at once.
    refused_send = api.send_text(c.token, c.device["deviceId"], gid, "Masih di sini?")
    failed = wait_until(lambda: (m := api.http.get(
        f"/api/messages/{refused_send}", headers=api.auth(c.token)).json())["status"] == "failed"
        and m, timeout=20)
    assert "not a participant" in failed["error"]

    # Join requests: with approval on, joining by link waits for an admin.
    assert call(api, a, "PATCH", in_group(gid), json={"joinApproval": True}).json()[
        "joinApproval"] is True
    pending = call(api, c, "POST", "/join", json={"link": reset.json()["link"]})
    assert pending.status_code == 202 and pending.json() == {"id": gid, "pending": True}
    asked = call(api, a, "GET", in_group(gid, "/requests"))
    assert [(r["phone"], r["requestedAt"][-1]) for r in asked.json()["items"]] == [
        (c.phone, "Z")]
    answered = call(api, a, "POST", in_group(gid, "/requests"), json={
        "action": "approve", "participants": [national(c.phone), stranger]})
    assert [(r["ok"], r["reason"]) for r in answered.json()["results"]] == [
        (True, None), (False, "no_request")]
    assert roles(call(api, b, "GET", in_group(gid)).json())[c.phone] == "member"
    assert call(api, a, "GET", in_group(gid, "/requests")).json()["items"] == []

    # The events, as each member's webhook got them.
    joined_b = wait_until(lambda: events_of(receiver, b, "group.joined"), timeout=20)
    assert joined_b[0]["group"]["id"] == gid and joined_b[0]["reason"] == "create"
    assert joined_b[0]["by"]["phone"] == a.phone
    updates = wait_until(lambda: len(u := events_of(receiver, b, "group.updated")) >= 4 and u,
                         timeout=20)
    assert updates[0]["changes"] == {"subject": "Arisan RT 05/02", "description": "Tiap Minggu"}
    assert updates[0]["by"]["phone"] == b.phone and updates[0]["group"] == gid
    assert updates[1]["changes"] == {"announce": False, "locked": True}
    assert "picture" in updates[2]["changes"]

    def changes_seen_by_b() -> list[tuple[str, list[str | None]]] | None:
        seen = [(e["action"], [p["phone"] for p in e["participants"]])
                for e in events_of(receiver, b, "group.participants")]
        return seen if len(seen) >= 7 else None

    assert wait_until(changes_seen_by_b, timeout=20) == [
        ("join", [c.phone]), ("promote", [b.phone]), ("demote", [b.phone]),
        ("leave", [c.phone]), ("join", [c.phone]), ("leave", [c.phone]), ("join", [c.phone])]
    # C heard of the group each time it came in, and of its own removal.
    joins_of_c = wait_until(
        lambda: len(j := events_of(receiver, c, "group.joined")) >= 3 and j, timeout=20)
    assert [e["reason"] for e in joins_of_c] == ["add", "invite", "approved"]


def test_bad_input_and_other_accounts(api: Api) -> None:
    owner = member(api)
    group = call(api, owner, "POST", json={"subject": "Keluarga"}).json()
    gid = group["id"]
    stranger, _ = api.register()
    for method, path in (("GET", ""), ("GET", in_group(gid)), ("POST", in_group(gid, "/leave"))):
        hidden = api.http.request(method, f"/api/devices/{owner.id}/groups{path}",
                                  headers=api.auth(stranger))
        assert hidden.status_code == 404 and hidden.json()["code"] == "device_not_found"
    assert api.http.get(f"/api/devices/{owner.id}/groups").status_code == 401
    # Missing, whatever the body carries.
    for method, path, body in (("POST", "", {"subject": "A", "participants": ["12"]}),
                               ("POST", in_group(gid, "/participants"),
                                {"action": "add", "participants": ["12"]})):
        hidden = api.http.request(method, f"/api/devices/{owner.id}/groups{path}", json=body,
                                  headers=api.auth(stranger))
        assert hidden.status_code == 404, hidden.text
    not_a_picture = api.http.put(f"/api/devices/{owner.id}/groups{in_group(gid, '/picture')}",
                                 files={"file": ("x.txt", b"teks", "text/plain")},
                                 headers=api.auth(stranger))
    assert not_a_picture.status_code == 404, not_a_picture.text

    def refused(method: str, path: str, json: object, status: int, code: str) -> None:
        answer = call(api, owner, method, path, json=json)
        assert answer.status_code == status, answer.text
        assert answer.json()["code"] == code, answer.text

    refused("GET", "/12345", None, 404, "group_not_found")
    refused("GET", in_group("6281234567890@s.whatsapp.net"), None, 404, "group_not_found")
    refused("POST", "", {"subject": ""}, 422, "validation_failed")
    refused("POST", "", {"subject": "x" * 101}, 422, "validation_failed")
    refused("POST", "", {"subject": "A", "participants": ["12"]}, 422, "invalid_participant")
    refused("POST", "", {"subject": "A", "participants": ["1" * 20 + "@lid", "bukan"]}, 422,
            "invalid_participant")
    refused("POST", "", {"subject": "A", "participants": ["08123"] * 257}, 422,
            "validation_failed")
    refused("PATCH", in_group(gid), {}, 422, "validation_failed")
    refused("PATCH", in_group(gid), {"subject": None}, 422, "validation_failed")
    refused("POST", in_group(gid, "/participants"), {"action": "kick", "participants": ["0812"]},
            422, "validation_failed")
    refused("POST", in_group(gid, "/participants"), {"action": "add", "participants": []},
            422, "validation_failed")
    refused("POST", in_group(gid, "/requests"), {"action": "maybe", "participants": ["1"]},
            422, "validation_failed")
    refused("POST", "/join", {"link": "https://chat.whatsapp.com/tidakada"}, 404,
            "whatsapp_not_found")
    missing = "120363000000000001@g.us"
    refused("GET", in_group(missing), None, 404, "whatsapp_not_found")

    # A device that is not logged in has no groups to ask about.
    idle = api.create_device(stranger)
    offline = api.http.get(f"/api/devices/{idle['id']}/groups", headers=api.auth(stranger))
    assert offline.status_code == 409 and offline.json()["code"] == "device_not_logged_in"
