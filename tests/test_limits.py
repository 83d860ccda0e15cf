"""Bounds on what one request can make the API hold: bodies (413), headers (431), and no
body read at all for a caller without a token (401). Spoken over raw sockets where the
point is what the server does before the client has sent everything."""

import base64
import json
import select
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests.support import Api, WapizProcess

ANSWER_WITHIN_S = 15.0
DEFAULT_LIMIT = 1024 * 1024
BIG = 200 * 1024 * 1024


def _connect(server: WapizProcess) -> socket.socket:
    url = urlsplit(server.url)
    return socket.create_connection((url.hostname, url.port), timeout=ANSWER_WITHIN_S)


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one answer (the server may then hang up); no byte of a
    next, pipelined answer is taken."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)  # one at a time: the head's end is the answer's body's start
        assert byte, f"connection closed before an answer: {head!r}"
        head += byte
    lines = head[:-4].decode("latin1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    body = b""
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(int(headers["content-length"]) - len(body))
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def _start_request(server: WapizProcess, method: str, path: str,
                   headers: dict[str, str], first_bytes: bytes = b"") -> socket.socket:
    """Send a request's line and headers (and the body's first bytes) and no more."""
    sock = _connect(server)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + first_bytes)
    return sock


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
        server: WapizProcess) -> None:
    # 200 MB announced on the open login route, 1 KB sent: the answer comes at once.
    sock = _start_request(server, "POST", "/api/auth/login",
                          {"Content-Type": "application/json", "Content-Length": str(BIG),
                           "Accept-Language": "en"}, b"{" + b" " * 1023)
    with sock:
        status, headers, body = _read_answer(sock)
    assert status == 413
    assert json.loads(body) == {
        "error": f"The request body is larger than the limit of {DEFAULT_LIMIT} bytes",
        "code": "body_too_large"}
    assert headers["connection"] == "close"


def test_a_chunked_body_is_counted_as_it_arrives(server: WapizProcess) -> None:
    sock = _start_request(server, "POST", "/api/auth/register",
                          {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    chunk = b"a" * 65536
    sent = 0
    most = 32 * DEFAULT_LIMIT
    with sock:
        # Sent until the server answers, which it must do long before `most` (the socket
        # buffers between the two hold a few MB more than the server has read).
        while sent < most:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status, _, body = _read_answer(sock)
    assert status == 413 and json.loads(body)["code"] == "body_too_large"
    assert json.loads(body)["error"] == (
        f"Isi permintaan lebih besar dari batas {DEFAULT_LIMIT} byte")
    assert sent < most, sent


def test_without_a_token_no_body_is_read(server: WapizProcess) -> None:
    # A 200 MB upload without a token: the 401 comes before the body is sent.
    boundary = "batas"
    first_part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                  f"filename=\"besar.bin\"\r\n\r\n").encode()
    sock = _start_request(server, "POST", "/api/messages/upload",
                          {"Content-Type": f"multipart/form-data; boundary={boundary}",
                           "Content-Length": str(BIG)}, first_part)
    with sock:
        status, _, body = _read_answer(sock)
    assert status == 401 and json.loads(body) == {"error": "Unauthorized"}


def test_every_route_with_a_body_answers_401_whatever_the_body(api: Api) -> None:
    spec = api.http.get("/api/openapi.json").json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "security" not in operation or "requestBody" not in operation:
                continue
            url = path.replace("{id}", str(uuid.uuid4()))
            for headers in ({}, {"Authorization": "Bearer wapiz_bogus"}):
                for content_type in ("application/json", "multipart/form-data; boundary=x"):
                    answer = api.http.request(method, url, content=b"{bukan json",
                                              headers={**headers,
                                                       "Content-Type": content_type})
                    assert answer.status_code == 401, (method, path, answer.text)
                    assert answer.json() == {"error": "Unauthorized"}
            checked += 1
    assert checked >= 10


def test_sends_may_carry_a_file_other_bodies_may_not(api: Api, server: WapizProcess) -> None:
    token, _ = api.register()
    two_mb = base64.b64encode(b"\0" * 2 * DEFAULT_LIMIT).decode()
    unknown_device = str(uuid.uuid4())
    # A base64 file bigger than the default limit reaches the send (which knows no such
    # device); the same size anywhere else is refused.
    send = api.http.post("/api/messages", headers=api.auth(token), json={
        "deviceId": unknown_device, "to": "081234567890", "type": "document", "media": two_mb})
    assert send.status_code == 404, send.text
    upload = api.http.post("/api/messages/upload", headers=api.auth(token),
                           data={"deviceId": unknown_device, "to": "081234567890",
                                 "type": "document"},
                           files={"file": ("dua.bin", b"\0" * 2 * DEFAULT_LIMIT)})
    assert upload.status_code == 404, upload.text
    device = api.http.post("/api/devices", headers=api.auth(token),
                           json={"label": "x" * 2 * DEFAULT_LIMIT})
    assert device.status_code == 413 and device.json()["code"] == "body_too_large"
    # Past a send's own limit (16 MiB of file in base64, and the default on top), refused
    # before it is sent.
    sock = _start_request(server, "POST", "/api/messages",
                          {**api.auth(token), "Content-Type": "application/json",
                           "Content-Length": str(BIG)})
    with sock:
        status, _, body = _read_answer(sock)
    limit = DEFAULT_LIMIT + 4 * -(-16 * 1024 * 1024 // 3)
    assert status == 413 and str(limit) in json.loads(body)["error"]


@pytest.mark.parametrize("headers", [
    {"X-Besar": "a" * 70_000},
    {f"X-Nomor-{n}": "a" for n in range(150)},
], ids=["one huge header", "too many headers"])
def test_headers_too_large_or_too_many_are_431(server: WapizProcess,
                                               headers: dict[str, str]) -> None:
    sock = _start_request(server, "GET", "/api/health", headers)
    with sock:
        status, _, body = _read_answer(sock)
    assert status == 431 and json.loads(body)["code"] == "headers_too_large"
    # The server is still there for everyone else.
    sock = _start_request(server, "GET", "/api/health", {})
    with sock:
        assert _read_answer(sock)[0] == 200


def test_a_chunked_body_within_the_limit_is_read_whole(server: WapizProcess) -> None:
    body = json.dumps({"email": f"x-{uuid.uuid4().hex[:8]}@example.com", "password": "salah123"})
    raw = body.encode()
    sock = _start_request(server, "POST", "/api/auth/login",
                          {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    with sock:
        for piece in (raw[:10], raw[10:]):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.1)
        sock.sendall(b"0\r\n\r\n")
        status, _, _ = _read_answer(sock)
    assert status == 401


def test_a_request_pipelined_after_a_large_body_is_answered(server: WapizProcess) -> None:
    # A 100 KB body (well within the limit) and the start of the next request arrive in one
    # read: that read is not a header that never ends.
    body = json.dumps({"email": "pipa@example.com", "password": "a" * 100_000}).encode()
    sock = _start_request(server, "POST", "/api/auth/login",
                          {"Content-Type": "application/json",
                           "Content-Length": str(len(body))},
                          body + b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    with sock:
        time.sleep(0.5)  # the second request's headers end in a later read
        sock.sendall(b"\r\n")
        first, _, answer = _read_answer(sock)
        assert first == 422 and json.loads(answer)["code"] == "validation_failed"
        assert _read_answer(sock)[0] == 200


def test_a_header_that_never_ends_is_431_before_it_is_all_sent(server: WapizProcess) -> None:
    sock = _connect(server)
    with sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Lama: ")
        sent = 0
        while sent < 10 * 1024 * 1024 and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(b"a" * 8192)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 8192
            time.sleep(0.001)
        status, _, body = _read_answer(sock)
    assert status == 431 and json.loads(body)["code"] == "headers_too_large"
    assert sent < 10 * 1024 * 1024
