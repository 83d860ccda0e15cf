"""Forwarding a message end to end on the sandbox over HTTP: a new queued message from the
original's device carrying its text or file, refusals for what cannot be forwarded."""

import hashlib
import io

from PIL import Image

from tests.messages.parties import inbox, linked_party, message, send, unique_phone
from tests.support import Api, wait_until


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def forward(api: Api, token: str, message_id: str, **body: object):  # type: ignore[no-untyped-def]
    return api.http.post(f"/api/messages/{message_id}/forward", json=body,
                         headers=api.auth(token))


def test_a_text_and_a_file_are_forwarded(api: Api) -> None:
    alice, bob, carol = (linked_party(api, unique_phone()) for _ in range(3))
    send(api, alice, to=bob.phone, text="Jadwal rapat: Senin 9.00")
    png = _png()
    upload = api.http.post("/api/messages/upload", headers=api.auth(alice.token),
                           data={"deviceId": alice.device["deviceId"], "to": bob.phone,
                                 "type": "image", "text": "Denah"},
                           files={"file": ("denah.png", png, "image/png")})
    assert upload.status_code == 202, upload.text
    got = wait_until(lambda: len(m := inbox(api, bob)) == 2 and m, timeout=20)
    text = next(m for m in got if m["type"] == "text")
    image = next(m for m in got if m["type"] == "image")

    # Bob forwards the text he received to Carol: a new message from Bob's device.
    forwarded = forward(api, bob.token, text["id"], to=carol.phone)
    assert forwarded.status_code == 202, forwarded.text
    shown = forwarded.json()
    assert shown["id"] != text["id"] and shown["deviceId"] == bob.device["deviceId"]
    assert shown["direction"] == "outbound" and shown["status"] == "queued"
    assert shown["to"] == carol.phone and shown["text"] == "Jadwal rapat: Senin 9.00"
    assert shown["type"] == "text"
    wait_until(lambda: message(api, bob, shown["id"])["status"] == "delivered", timeout=20)

    # A received file is forwarded once its bytes are here.
    early = forward(api, bob.token, image["id"], to=carol.phone)
    if early.status_code == 409:  # not downloaded yet: download, then forward
        assert early.json()["code"] == "file_not_available"
        downloaded = api.http.get(f"/api/messages/{image['id']}/media",
                                  headers=api.auth(bob.token))
        assert downloaded.status_code == 200 and downloaded.content == png
        early = forward(api, bob.token, image["id"], to=carol.phone)
    assert early.status_code == 202, early.text
    assert early.json()["type"] == "image" and early.json()["text"] == "Denah"
    assert early.json()["media"]["sha256"] == hashlib.sha256(png).hexdigest()

    # Alice forwards her own sent file straight away.
    again = forward(api, alice.token, upload.json()["id"], to=carol.phone)
    assert again.status_code == 202, again.text

    arrived = wait_until(lambda: len(m := inbox(api, carol)) == 3 and m, timeout=30)
    assert {m["type"] for m in arrived} == {"text", "image"}
    assert {m["from"] for m in arrived} == {bob.phone, alice.phone}
    for copy in (m for m in arrived if m["type"] == "image"):
        assert copy["text"] == "Denah"
        file = api.http.get(f"/api/messages/{copy['id']}/media", headers=api.auth(carol.token))
        assert file.status_code == 200 and file.content == png


def test_what_cannot_be_forwarded(api: Api) -> None:
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    first = send(api, alice, to=bob.phone, text="Halo")
    wait_until(lambda: message(api, alice, first["id"])["status"] == "delivered", timeout=15)
    reaction = send(api, alice, to=bob.phone, type="reaction",
                    reaction={"messageId": first["id"], "emoji": "👍"})
    refused = forward(api, alice.token, reaction["id"], to=bob.phone)
    assert refused.status_code == 409 and refused.json()["code"] == "message_not_forwardable"
    # Another account's message is not found; so is a made-up id.
    assert forward(api, bob.token, first["id"], to=alice.phone).status_code == 404
    assert forward(api, alice.token, "nope", to=bob.phone).status_code == 404
    for body in ({}, {"to": ""}, {"to": "x" * 200}, {"to": "bukan nomor"}):
        bad = forward(api, alice.token, first["id"], **body)
        assert bad.status_code == 422, (body, bad.text)
    # A revoked message is not forwarded.
    api.http.delete(f"/api/messages/{first['id']}", headers=api.auth(alice.token))
    wait_until(lambda: message(api, alice, first["id"])["revokedAt"], timeout=15)
    revoked = forward(api, alice.token, first["id"], to=bob.phone)
    assert revoked.status_code == 409 and revoked.json()["code"] == "message_revoked"
