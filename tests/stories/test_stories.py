"""Posting a status (story) end to end on the sandbox over HTTP: a text with a background and
a font, an image; queued like a send to status@broadcast, sent, and recorded by the
simulated network (which shows statuses to nobody); refusals."""

import base64
import io

from PIL import Image

from tests.messages.parties import linked_party, message, unique_phone
from tests.support import Api, Deployment, db_rows, wait_until


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (250, 200, 0)).save(out, "PNG")
    return out.getvalue()


def post(api: Api, token: str, device_id: str, **body: object):  # type: ignore[no-untyped-def]
    return api.http.post(f"/api/devices/{device_id}/stories", json=body,
                         headers=api.auth(token))


def test_text_and_image_statuses_are_queued_and_sent(api: Api,
                                                     shared_deployment: Deployment) -> None:
    alice = linked_party(api, unique_phone())
    text = post(api, alice.token, alice.device["id"], text="Buka sampai jam 9 malam",
                backgroundColor="#25D366", font=7)
    assert text.status_code == 202, text.text
    shown = text.json()
    assert shown["to"] == "status@broadcast" and shown["chat"] == "status@broadcast"
    assert shown["type"] == "text" and shown["status"] == "queued"
    assert shown["deviceId"] == alice.device["deviceId"]
    image = post(api, alice.token, alice.device["id"], type="image", text="Menu baru",
                 media=base64.b64encode(_png()).decode())
    assert image.status_code == 202, image.text
    assert image.json()["media"]["mimetype"] == "image/png"
    for posted in (shown, image.json()):
        wait_until(lambda p=posted: message(api, alice, p["id"])["status"] == "sent",
                   timeout=20)
    # The simulated network recorded both, posted to status@broadcast.
    carried = db_rows(shared_deployment.database_url,
                      "SELECT count(*) FROM sandbox_messages WHERE chat = 'status@broadcast' "
                      "AND sender LIKE :me", me=f"{alice.phone}%")
    assert carried == [(2,)]
    [(stored,)] = db_rows(shared_deployment.database_url,
                          "SELECT body FROM messages WHERE wa_message_id = :wa",
                          wa=message(api, alice, shown["id"])["waMessageId"])
    assert str(0xFF25D366) in str(stored)  # the opaque background, kept with it


def test_refusals(api: Api) -> None:
    alice = linked_party(api, unique_phone())
    device = alice.device["id"]
    for body in ({"text": "x", "backgroundColor": "hijau"}, {"text": "x", "font": 3},
                 {"type": "image", "text": "x", "backgroundColor": "#000000",
                  "media": base64.b64encode(_png()).decode()},
                 {"type": "audio", "media": "AAAA"}, {}, {"type": "image"},
                 {"text": "x", "media": "AAAA"},
                 {"text": "x", "font": "7"}):
        answer = post(api, alice.token, device, **body)
        assert answer.status_code == 422, (body, answer.text)
    other, _ = api.register()
    assert post(api, other, device, text="bukan punyaku").status_code == 404
    assert post(api, alice.token, "bukan-id", text="x").status_code == 404
    assert api.http.post(f"/api/devices/{device}/stories", json={"text": "x"}).status_code == 401
