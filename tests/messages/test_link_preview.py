"""A text's link preview end to end on the sandbox: the server reads the linked page's
title and description when it accepts the send, and the recipient's message carries them;
a page it cannot read leaves the bare link; a preview without a link is refused."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.messages.parties import inbox, linked_party, message, send, unique_phone
from tests.support import Api, Deployment, WapizProcess, db_rows, wait_until

PAGE = ("<html><head><title>Toko Sari</title>"
        '<meta property="og:title" content="Toko Sari &amp; Anak">'
        '<meta name="description" content="Kue basah   setiap hari">'
        "</head><body>" + "x" * 1000 + "</body></html>").encode()


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(media_allow_private="true")


@pytest.fixture
def pages() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = self.path.startswith("/toko")
            body = PAGE if html else b"%PDF-1.4"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8" if html
                             else "application/pdf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _stored_body(deployment: Deployment, message_id: str) -> dict:
    [(body,)] = db_rows(deployment.database_url, "SELECT body FROM messages WHERE id = :id",
                        id=message_id.replace("-", "") if deployment.backend == "sqlite"
                        else message_id)
    return body if isinstance(body, dict) else json.loads(body)


def test_a_link_is_previewed_for_the_recipient(api: Api, pages: str,
                                               shared_deployment: Deployment) -> None:
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    text = f"Pesan kue di {pages}/toko?id=7."
    sent = send(api, alice, to=bob.phone, text=text, linkPreview=True)
    assert sent["text"] == text
    preview = {"url": f"{pages}/toko?id=7", "title": "Toko Sari & Anak",
               "description": "Kue basah setiap hari"}
    assert _stored_body(shared_deployment, sent["id"])["linkPreview"] == preview
    [received] = wait_until(lambda: inbox(api, bob), timeout=20)
    assert received["text"] == text
    assert _stored_body(shared_deployment, received["id"])["linkPreview"] == preview

    # A link that is not a page: the bare link, and the text goes all the same.
    plain = send(api, alice, to=bob.phone, text=f"{pages}/menu.pdf", linkPreview=True)
    assert _stored_body(shared_deployment, plain["id"])["linkPreview"] == {
        "url": f"{pages}/menu.pdf", "title": None, "description": None}
    wait_until(lambda: message(api, alice, plain["id"])["status"] == "delivered", timeout=20)


def test_a_preview_needs_a_text_with_a_link(api: Api) -> None:
    alice = linked_party(api, unique_phone())
    for body in ({"text": "tanpa tautan", "linkPreview": True},
                 {"type": "location", "linkPreview": True,
                  "location": {"latitude": 1.0, "longitude": 2.0}},
                 {"text": "http://contoh.id", "linkPreview": "ya"}):
        answer = api.http.post("/api/messages", headers=api.auth(alice.token), json={
            "deviceId": alice.device["deviceId"], "to": unique_phone(), **body})
        assert answer.status_code == 422, (body, answer.text)
    refused = api.http.post("/api/messages", headers=api.auth(alice.token), json={
        "deviceId": alice.device["deviceId"], "to": unique_phone(), "text": "tanpa tautan",
        "linkPreview": True})
    assert [d["type"] for d in refused.json()["details"]] == ["link_preview_needs_link"]
