"""A webhook receiver on loopback that records what it is sent and answers as told."""

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    def verified_by(self, secret: str) -> dict:
        """The body, if the signature checks out with this secret (raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


# An answer: (status, headers, body), optionally after a pause.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    answer: Callable[[Received], Answer] = lambda _: (200, {}, b"ok")
    delay_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.lock:
            got = [r.event for r in self.received]
        return [e for e in got if event_type is None or e["type"] == event_type]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # An answer in one segment, sent at once: headers and body written apart would meet
        # the client's delayed acknowledgement (about 40 ms a request).
        wbufsize = 65536
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender died mid-request: nothing was delivered
                self.close_connection = True
                return
            got = Received({k.lower(): v for k, v in self.headers.items()}, body)
            with receiver.lock:
                receiver.received.append(got)
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status, headers, answer = receiver.answer(got)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the gateway gave up waiting
                self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
