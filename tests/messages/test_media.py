"""Files, edits, revokes, poll votes and read receipts, end to end on the sandbox over HTTP.

The server here may fetch `mediaUrl` from loopback (as in local development), where a small
file server stands in for the web; the refusal of private addresses by default is tested in
test_api.py against a server with default settings.
"""

import base64
import contextlib
import hashlib
import io
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from tests.messages.parties import Party, inbox, linked_party, message, send, unique_phone
from tests.support import Api, Deployment, WapizProcess, wait_until

MAX_BYTES = 65536
FETCH_TIMEOUT_S = 2


def picture(fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def ogg_opus() -> bytes:
    """The first page of an Ogg Opus stream (a voice note's format): its identification
    header, which is what libmagic reads."""
    header = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    return (b"OggS" + bytes([0, 2]) + bytes(8) + struct.pack("<I", 1) + bytes(8)
            + bytes([1, len(header)]) + header)


PNG = picture()
FILES: dict[str, tuple[int, str, bytes]] = {
    "/foto.png": (200, "image/png", PNG),
    "/catatan.txt": (200, "text/plain", b"bukan gambar"),
    "/besar.bin": (200, "application/octet-stream", b"\0" * (MAX_BYTES + 1)),
}


class FileServer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/pindah":
            self.send_response(302)
            self.send_header("Location", "/foto.png")
            self.end_headers()
            return
        if self.path == "/lambat":
            time.sleep(FETCH_TIMEOUT_S + 1)
        status, mimetype, data = FILES.get(self.path, (404, "text/plain", b"tidak ada"))
        self.send_response(status)
        self.send_header("Content-Type", mimetype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # the gateway hangs up on a file too big
            self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FileServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(media_allow_private="true", media_max_bytes=str(MAX_BYTES),
                                   media_fetch_timeout_seconds=str(FETCH_TIMEOUT_S))


@pytest.fixture
def pair(api: Api) -> tuple[Party, Party]:
    return linked_party(api, unique_phone()), linked_party(api, unique_phone())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def download(api: Api, party: Party, message_id: str):  # type: ignore[no-untyped-def]
    return api.http.get(f"/api/messages/{message_id}/media", headers=api.auth(party.token))


def delivered(api: Api, party: Party, message_id: str) -> dict:
    return wait_until(lambda: (m := message(api, party, message_id))["status"] == "delivered"
                      and m, timeout=15)


def test_every_kind_of_file_arrives_whole(api: Api, pair: tuple[Party, Party],
                                          files: str) -> None:
    alice, bob = pair
    webp = picture("WEBP")
    sent = {
        "image": send(api, alice, to=bob.phone, type="image", mediaUrl=f"{files}/foto.png",
                      text="Lihat ini"),
        "document": send(api, alice, to=bob.phone, type="document", media=b64(b"%PDF-1.4 x"),
                         fileName="faktur.pdf", text="Fakturnya"),
        "audio": send(api, alice, to=bob.phone, type="audio", media=b64(ogg_opus()),
                      mimetype="audio/ogg", ptt=True),
        "video": send(api, alice, to=bob.phone, type="video", media=b64(b"\0\0\0 ftypmp42"),
                      mimetype="video/mp4"),
        "sticker": send(api, alice, to=bob.phone, type="sticker", media=b64(webp)),
    }
    upload = api.http.post(
        "/api/messages/upload", headers=api.auth(alice.token),
        data={"deviceId": alice.device["deviceId"], "to": bob.phone, "type": "image",
              "text": "Dari unggahan"},
        files={"file": ("unggahan.png", PNG, "image/png")})
    assert upload.status_code == 202, upload.text
    sent["upload"] = upload.json()

    image = sent["image"]["media"]
    assert image["mimetype"] == "image/png" and image["size"] == len(PNG)
    assert image["sha256"] == hashlib.sha256(PNG).hexdigest() and image["fileName"] == "foto.png"
    assert sent["document"]["media"]["fileName"] == "faktur.pdf"
    assert sent["sticker"]["media"]["mimetype"] == "image/webp"
    assert sent["audio"]["ptt"] is True
    for accepted in sent.values():
        delivered(api, alice, accepted["id"])

    got = wait_until(lambda: len(m := inbox(api, bob)) == len(sent) and m, timeout=20)
    by_text = {item["text"]: item for item in got}
    assert by_text["Lihat ini"]["type"] == "image"
    assert by_text["Fakturnya"]["media"]["fileName"] == "faktur.pdf"
    voice = next(item for item in got if item["type"] == "audio")
    assert voice["ptt"] is True and voice["media"]["mimetype"] == "audio/ogg"
    expected = {"Lihat ini": PNG, "Fakturnya": b"%PDF-1.4 x", "Dari unggahan": PNG}
    for text, data in expected.items():
        item = by_text[text]
        assert item["media"]["url"] == f"/api/messages/{item['id']}/media"
        answer = download(api, bob, item["id"])
        assert answer.status_code == 200 and answer.content == data
        assert answer.headers["content-type"].startswith(item["media"]["mimetype"])
    assert "faktur.pdf" in download(api, bob, by_text["Fakturnya"]["id"]).headers[
        "content-disposition"]
    # The sender can read back what it sent; nobody else can read either.
    assert download(api, alice, sent["video"]["id"]).content == b"\0\0\0 ftypmp42"
    assert download(api, alice, by_text["Lihat ini"]["id"]).status_code == 404
    text_only = send(api, alice, to=bob.phone, text="tanpa file")
    assert download(api, alice, text_only["id"]).json() == {
        "error": "Pesan ini tidak membawa file", "code": "no_file"}


def test_the_bytes_decide_the_type(api: Api, pair: tuple[Party, Party]) -> None:
    """libmagic reads the type from the bytes; a declared type they contradict is refused
    (naming both), one they agree with or cannot judge stands."""
    alice, bob = pair
    fields = {"deviceId": alice.device["deviceId"], "to": bob.phone, "type": "image"}

    def upload(data: bytes, declared: str, english: bool = False,
               **more: str):  # type: ignore[no-untyped-def]
        language = {"Accept-Language": "en"} if english else {}
        return api.http.post("/api/messages/upload", headers=api.auth(alice.token) | language,
                             data={**fields, **more}, files={"file": ("foto.jpg", data, declared)})

    def post(body: dict):  # type: ignore[no-untyped-def]
        return api.http.post("/api/messages", json=body, headers=api.auth(alice.token))

    text = b"ini bukan foto, hanya teks"
    for answer, words in [
        (upload(text, "image/jpeg"), "file dinyatakan image/jpeg, tetapi isinya text/plain"),
        (upload(text, "image/jpeg", english=True),
         "declared image/jpeg, but the bytes are text/plain"),
        # The caller's own `mimetype` is held to the bytes the same way.
        (upload(text, "application/octet-stream", english=True, mimetype="image/jpeg"),
         "declared image/jpeg, but the bytes are text/plain"),
        (post({**fields, "media": b64(text), "mimetype": "image/png"}),
         "file dinyatakan image/png, tetapi isinya text/plain"),
        (post({**fields, "type": "document", "media": b64(b"%PDF-1.4 x"),
               "mimetype": "image/png"}),
         "file dinyatakan image/png, tetapi isinya application/pdf"),
    ]:
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"error": words, "code": "media_content_mismatch"}

    # The bytes win within a family: a PNG called a JPEG is sent as the PNG it is.
    renamed = upload(PNG, "image/jpeg")
    assert renamed.status_code == 202, renamed.text
    assert renamed.json()["media"]["mimetype"] == "image/png"
    # Names libmagic gives differently: Ogg as application/ogg, MP4 audio as video/mp4.
    voice = send(api, alice, to=bob.phone, type="audio", media=b64(ogg_opus()),
                 mimetype="application/ogg", ptt=True)
    assert voice["media"]["mimetype"] == "audio/ogg"
    song = send(api, alice, to=bob.phone, type="audio", media=b64(b"\0\0\0 ftypmp42"))
    assert song["media"]["mimetype"] == "audio/mp4"
    # Documents keep their declared names: a CSV (text/plain to libmagic), a .docx (a zip).
    sheet = send(api, alice, to=bob.phone, type="document", media=b64(b"a,b\n1,2\n"),
                 mimetype="text/csv", fileName="data.csv")
    assert sheet["media"]["mimetype"] == "text/csv"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    word = send(api, alice, to=bob.phone, type="document", media=b64(b"PK\x03\x04" + bytes(30)),
                mimetype=docx, fileName="surat.docx")
    assert word["media"]["mimetype"] == docx


def test_a_batch_shares_one_file(api: Api, pair: tuple[Party, Party], files: str) -> None:
    alice, bob = pair
    carol = linked_party(api, unique_phone())
    answer = api.http.post("/api/messages/bulk", headers=api.auth(alice.token), json={
        "deviceId": alice.device["deviceId"], "type": "image", "text": "Promo {{nama}}",
        "mediaUrl": f"{files}/foto.png", "minDelayMs": 0, "maxDelayMs": 0,
        "recipients": [{"to": bob.phone, "variables": {"nama": "Bob"}},
                       {"to": carol.phone, "variables": {"nama": "Carol"}}]})
    assert answer.status_code == 202, answer.text
    for party, name in ((bob, "Bob"), (carol, "Carol")):
        [item] = wait_until(lambda p=party: inbox(api, p), timeout=15)
        assert item["text"] == f"Promo {name}"
        assert download(api, party, item["id"]).content == PNG


def test_bad_files_are_refused(api: Api, pair: tuple[Party, Party], files: str) -> None:
    alice, bob = pair
    base = {"deviceId": alice.device["deviceId"], "to": bob.phone, "type": "image"}

    def post(**body: object):  # type: ignore[no-untyped-def]
        return api.http.post("/api/messages", json={**base, **body},
                             headers={**api.auth(alice.token), "Accept-Language": "en"})

    cases = [
        (post(mediaUrl=f"{files}/hilang.png"), 422, "HTTP 404"),
        (post(mediaUrl=f"{files}/catatan.txt"), 422, "a file of type image/*, not text/plain"),
        (post(mediaUrl=f"{files}/besar.bin"), 413, str(MAX_BYTES)),
        (post(media=b64(b"\0" * (MAX_BYTES + 1))), 413, str(MAX_BYTES)),
        (post(media="bukan base64!"), 422, "base64"),
        (post(mediaUrl=f"{files}/lambat"), 422, f"longer than {FETCH_TIMEOUT_S}s"),
        (post(mediaUrl="ftp://127.0.0.1/foto.png"), 422, "http://"),
        (post(), 422, "needs exactly one file"),
        (post(media=b64(PNG), mediaUrl=f"{files}/foto.png"), 422, "needs exactly one file"),
        (post(type="text", text="hai", mediaUrl=f"{files}/foto.png"), 422, "carries no file"),
        (post(type="image", media=b64(PNG), ptt=True), 422, "ptt"),
    ]
    for answer, status, words in cases:
        assert answer.status_code == status, answer.text
        assert words in answer.text, answer.text
    big = api.http.post("/api/messages/upload", headers=api.auth(alice.token),
                        data={"deviceId": alice.device["deviceId"], "to": bob.phone,
                              "type": "document"},
                        files={"file": ("besar.bin", b"\0" * (MAX_BYTES + 1))})
    assert big.status_code == 413
    # A redirect is followed (to a public address, as everywhere here, the check included).
    assert post(mediaUrl=f"{files}/pindah").json()["media"]["size"] == len(PNG)
    # Nothing refused was queued.
    listed = api.http.get("/api/messages", headers=api.auth(alice.token)).json()["items"]
    assert len(listed) == 1


def test_a_sent_text_is_edited_then_revoked(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    original = send(api, alice, to=bob.phone, text="Rapat jam 9")
    delivered(api, alice, original["id"])
    edit = api.http.patch(f"/api/messages/{original['id']}", json={"text": "Rapat jam 10"},
                          headers=api.auth(alice.token))
    assert edit.status_code == 202, edit.text
    assert edit.json()["type"] == "edit" and edit.json()["targetId"] == original["id"]
    edited = wait_until(lambda: (m := message(api, alice, original["id"]))["editedAt"] and m,
                        timeout=15)
    assert edited["text"] == "Rapat jam 10"
    [received] = wait_until(
        lambda: [m for m in inbox(api, bob) if m["type"] == "text" and m["editedAt"]],
        timeout=15)
    assert received["text"] == "Rapat jam 10"

    revoke = api.http.delete(f"/api/messages/{original['id']}", headers=api.auth(alice.token))
    assert revoke.status_code == 202 and revoke.json()["type"] == "revoke"
    wait_until(lambda: message(api, alice, original["id"])["revokedAt"], timeout=15)
    wait_until(lambda: message(api, bob, received["id"])["revokedAt"], timeout=15)
    again = api.http.delete(f"/api/messages/{original['id']}", headers=api.auth(alice.token))
    assert again.status_code == 409
    late_edit = api.http.patch(f"/api/messages/{original['id']}", json={"text": "x"},
                               headers=api.auth(alice.token))
    assert late_edit.status_code == 409
    # Only our own sent texts can be edited; only our own sent messages revoked.
    for answer in (
        api.http.patch(f"/api/messages/{received['id']}", json={"text": "x"},
                       headers=api.auth(bob.token)),
        api.http.delete(f"/api/messages/{received['id']}", headers=api.auth(bob.token)),
    ):
        assert answer.status_code == 409, answer.text


def test_a_revoke_asked_for_twice_is_queued_once(api: Api) -> None:
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    original = send(api, alice, to=bob.phone, text="Salah kirim")
    delivered(api, alice, original["id"])
    # Slow pacing: the revoke waits in the queue while it is asked for again.
    assert api.http.patch(f"/api/devices/{alice.device['id']}/settings",
                          json={"minDelayMs": 60000, "maxDelayMs": 60000},
                          headers=api.auth(alice.token)).status_code == 200
    first, second = (api.http.delete(f"/api/messages/{original['id']}",
                                     headers=api.auth(alice.token)) for _ in range(2))
    assert first.status_code == second.status_code == 202, second.text
    assert first.json()["type"] == "revoke" and first.json()["status"] == "queued"
    assert second.json()["id"] == first.json()["id"]
    listed = api.http.get("/api/messages", headers=api.auth(alice.token)).json()["items"]
    assert [m["id"] for m in listed if m["type"] == "revoke"] == [first.json()["id"]]
    # Still queued, the revoke itself can be cancelled; then a new one may be asked for.
    cancelled = api.http.delete(f"/api/messages/{first.json()['id']}",
                                headers=api.auth(alice.token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    third = api.http.delete(f"/api/messages/{original['id']}", headers=api.auth(alice.token))
    assert third.status_code == 202 and third.json()["id"] != first.json()["id"]


def test_a_queued_message_is_cancelled_not_revoked(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    later = send(api, alice, to=bob.phone, text="nanti", sendAt="2099-01-01T00:00:00Z")
    assert api.http.patch(f"/api/messages/{later['id']}", json={"text": "x"},
                          headers=api.auth(alice.token)).status_code == 409
    cancelled = api.http.delete(f"/api/messages/{later['id']}", headers=api.auth(alice.token))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_reading_a_message_shows_the_sender_it_was_read(api: Api,
                                                        pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    sent = send(api, alice, to=bob.phone, text="Sudah dibaca?")
    delivered(api, alice, sent["id"])
    [received] = wait_until(lambda: inbox(api, bob), timeout=10)
    answer = api.http.post(f"/api/messages/{received['id']}/read", headers=api.auth(bob.token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["readAt"]
    read = wait_until(lambda: (m := message(api, alice, sent["id"]))["status"] == "read" and m,
                      timeout=15)
    assert read["readAt"] >= read["deliveredAt"]
    # Our own messages are not ours to mark read.
    own = api.http.post(f"/api/messages/{sent['id']}/read", headers=api.auth(alice.token))
    assert own.status_code == 409


def test_a_poll_is_voted_on(api: Api, pair: tuple[Party, Party]) -> None:
    alice, bob = pair
    poll = send(api, alice, to=bob.phone, type="poll",
                poll={"name": "Makan di mana?", "options": ["Nasi", "Mie", "Sate"]})
    [received] = wait_until(lambda: inbox(api, bob), timeout=15)
    assert received["type"] == "poll"

    def vote(options: list[str], to: str = alice.phone):  # type: ignore[no-untyped-def]
        return api.http.post("/api/messages", headers=api.auth(bob.token), json={
            "deviceId": bob.device["deviceId"], "to": to, "type": "poll_vote",
            "vote": {"messageId": received["id"], "options": options}})

    assert vote(["Sate"]).status_code == 202
    got = wait_until(lambda: [m for m in inbox(api, alice) if m["type"] == "poll_vote"],
                     timeout=15)
    assert got[0]["vote"] == {"options": ["Sate"], "pollId": poll["id"]}
    # Only the poll's options, only in the poll's chat, only a poll.
    assert "tidak punya pilihan 'Rendang'" in vote(["Rendang"]).json()["error"]
    assert "ke chat polling itu" in vote(["Mie"], to=unique_phone()).json()["error"]
    not_poll = send(api, bob, to=alice.phone, text="hai")
    wrong = api.http.post("/api/messages", headers=api.auth(bob.token), json={
        "deviceId": bob.device["deviceId"], "to": alice.phone, "type": "poll_vote",
        "vote": {"messageId": not_poll["id"], "options": []}})
    assert wrong.status_code == 422 and "bukan polling" in wrong.json()["error"]

    # Someone outside the sandbox votes too (injected), on the poll alice sent.
    injected = api.http.post(
        f"/api/sandbox/devices/{alice.device['id']}/inbound", headers=api.auth(alice.token),
        json={"from": bob.phone, "type": "poll_vote",
              "vote": {"messageId": poll["id"], "options": ["Nasi", "Mie"]}})
    assert injected.status_code == 202, injected.text
    votes = wait_until(lambda: len(v := [m for m in inbox(api, alice)
                                         if m["type"] == "poll_vote"]) == 2 and v, timeout=15)
    assert votes[0]["vote"]["options"] == ["Nasi", "Mie"]


def test_a_file_is_never_run_in_the_browser(api: Api, pair: tuple[Party, Party]) -> None:
    """A sender chooses the type: a page is a download, in a sandbox, never shown."""
    alice, bob = pair
    page = send(api, alice, to=bob.phone, type="document", media=b64(b"<script>x()</script>"),
                mimetype="text/html", fileName="halaman.html")
    served = download(api, alice, page["id"])
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "sandbox; default-src 'none'"
    picture = send(api, alice, to=bob.phone, type="image", media=b64(PNG))
    assert download(api, alice, picture["id"]).headers["content-disposition"] == "inline"
