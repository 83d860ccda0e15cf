"""A client that stops reading: its stream's buffer is bounded, it is told it fell behind
(`event: overflow` with the last id sent) and the stream ends; the server's memory does not
grow with what it did not read, and it resumes from its last id."""

import socket
import time
from pathlib import Path

import pytest

from tests.events.rows import write_events
from tests.events.streams import parse, sse
from tests.messages.parties import Party, linked_party, unique_phone
from tests.support import Api, Deployment, WapizProcess

BUFFER = 100  # the least allowed
LARGE = "x" * 20_000  # each event about 20 KB
COUNT = 2000  # 40 MB of events pass while the client reads nothing


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(stream_buffer_events=str(BUFFER))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def open_unread_stream(api: Api, token: str) -> socket.socket:
    """A stream whose client reads its headers and then nothing (a small receive window)."""
    host, port = api.url.removeprefix("http://").split(":")
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, int(port)))
    client.sendall(f"GET /api/events?type=message.received HTTP/1.1\r\nHost: {host}\r\n"
                   f"Connection: close\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += client.recv(1)
    assert head.startswith(b"HTTP/1.1 200"), head
    return client


def read_to_end(client: socket.socket) -> str:
    """The rest of the body, its chunks put together, until the server closes."""
    client.settimeout(30)
    data = b""
    while received := client.recv(1 << 16):
        data += received
    client.close()
    body = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        body += data[:int(size, 16)]
        data = data[int(size, 16) + 2:]
    return body.decode()


def test_a_slow_client_is_cut_off_without_the_server_growing(
        api: Api, server: WapizProcess, shared_deployment: Deployment) -> None:
    alice: Party = linked_party(api, unique_phone())
    url = shared_deployment.database_url
    # Warm up: the same events through a client that reads them.
    warm = write_events(url, alice.device, [LARGE] * 200)
    with sse(api, alice.token, after=warm[0], type="message.received") as events:
        for n, _ in enumerate(events):
            if n == len(warm) - 2:
                break
    before = rss_bytes(server.pid)

    client = open_unread_stream(api, alice.token)
    time.sleep(0.5)  # subscribed
    ids = write_events(url, alice.device, [LARGE] * COUNT)
    time.sleep(3)  # the feed has read them all (it reads as fast as they are written)
    grown = rss_bytes(server.pid) - before
    assert grown < 12 * 1024 * 1024, f"the server grew {grown / 1e6:.1f} MB"

    events = list(parse(iter(read_to_end(client).splitlines())))
    *delivered, overflow = events
    assert overflow.type == "overflow" and overflow.id is None
    assert overflow.data["code"] == "stream_overflow"
    assert 0 < len(delivered) < COUNT
    assert [event.id for event in delivered] == ids[:len(delivered)]
    assert overflow.data["lastId"] == delivered[-1].id

    # It resumes from the last id it received: the rest, once each.
    rest = []
    with sse(api, alice.token, last_event_id=delivered[-1].id, type="message.received"
             ) as resumed:
        for event in resumed:
            rest.append(event.id)
            if event.id == ids[-1]:
                break
    assert rest == ids[len(delivered):]
