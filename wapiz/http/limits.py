"""Bounds on what one request can make the API hold: its headers and its body.

Headers: uvicorn's httptools protocol keeps every header byte that arrives (a 100 MB header
was held whole), so `BoundedHttpToolsProtocol` answers 431 and hangs up once a request's
line and headers pass `HEADER_BYTES_MAX` without ending; `BodyLimit` refuses more than
`HEADERS_MAX` of them (431).

Bodies: `BodyLimit` gives each request a limit (`WAPIZ_MAX_BODY_BYTES`, or more for a body
that may carry a file) and refuses at the first read of a body that is, or turns out to be,
larger: a `Content-Length` over the limit before a byte is read, a chunked body as its
chunks arrive. The refusal happens at the read, not on arrival, so a route that answers
without reading (a missing token is checked first, see `wapiz.accounts.deps`) keeps its own
answer. Starlette's `RequestBodyLimitMiddleware` does the counting too, but answers in plain
text and replaces any answer (a 401 among them) when `Content-Length` is over: not our
errors.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from wapiz.http.error_handlers import error_body, error_response
from wapiz.kit.errors import HeadersTooLarge, PayloadTooLarge, WapizError
from wapiz.kit.text import DEFAULT_LANGUAGE, Text, preferred_language

HEADER_BYTES_MAX = 64 * 1024  # the request line and headers together
HEADERS_MAX = 100

BODY_TOO_LARGE = Text("Isi permintaan lebih besar dari batas {limit} byte",
                      "The request body is larger than the limit of {limit} bytes")


def body_too_large(limit: int) -> PayloadTooLarge:
    # The rest of the body is never read: the connection closes after the answer.
    return PayloadTooLarge(BODY_TOO_LARGE.format(limit=limit), code="body_too_large",
                           headers={"Connection": "close"})


@dataclass(frozen=True, slots=True)
class RouteBodyLimit:
    """A route whose body may be larger than the default (one that carries a file)."""

    method: str
    path: re.Pattern[str]
    limit: int


class BodyLimit:
    """ASGI middleware: every request's body is bounded; too many headers are refused."""

    def __init__(self, app: ASGIApp, default: int, routes: Sequence[RouteBodyLimit]) -> None:
        self.app = app
        self.default = default
        self.routes = tuple(routes)

    def limit_for(self, scope: Scope) -> int:
        for route in self.routes:
            if route.method == scope["method"] and route.path.match(scope["path"]):
                return route.limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if len(headers) > HEADERS_MAX:
            await _answer(HeadersTooLarge(), scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in headers:
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        if declared is None and not chunked:  # no body (HTTP/1.1 framing): the hot path
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        length = int(declared) if declared is not None and declared.isdigit() else None
        if length is not None and length <= limit:
            # The server hands over exactly Content-Length bytes: nothing to count.
            await self.app(scope, receive, send)
            return
        await _BoundedBody(limit, length).run(self.app, scope, receive, send)


class BodyTooLarge(Exception):
    """Raised into the app by a read past the limit; `BodyLimit` answers 413 instead."""


class _BoundedBody:
    """One request whose body must be counted (chunked) or is already known to be too big."""

    def __init__(self, limit: int, declared: int | None) -> None:
        self.limit = limit
        self.declared = declared
        self.received = 0
        self.exceeded = False
        self.started = False  # a response has begun (the app's, or our 413)

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            if not self.exceeded or self.started:
                raise
        # Whatever the app made of the refused read (FastAPI: a 400), the answer is our 413.
        if self.exceeded and not self.started:
            self.started = True
            await _answer(body_too_large(self.limit), scope, receive, send)

    async def receive(self) -> Message:
        if self.declared is not None and self.declared > self.limit:
            self._exceed()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self._exceed()
        return message

    def _exceed(self) -> None:
        self.exceeded = True
        raise BodyTooLarge

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # the app's own answer to the refused read is replaced (see `run`)
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _answer(error: WapizError, scope: Scope, receive: Receive, send: Send) -> None:
    language = preferred_language(Headers(scope=scope).get("accept-language"))
    await error_response(error, language)(scope, receive, send)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing (431, then hanging up) a request whose line and
    headers pass `HEADER_BYTES_MAX` bytes.

    Counted twice, as each misses what the other sees: the pieces the parser hands over
    (exact, but a header comes only once it has ended, and httptools keeps it whole until
    then) and the bytes received while the headers have not ended (a bound on what is kept
    meanwhile). The read in which a request begins is left to the first count: it may also
    hold the end of the previous request's body (a pipelining client), which is no header.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_headers = True
        self._header_bytes = 0
        self._unfinished_bytes = 0
        self._refused = False
        self._began_in_this_read = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._began_in_this_read = True
        self._header_bytes = self._unfinished_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > HEADER_BYTES_MAX:
            self._refused = True
            # Stops the parser; uvicorn then answers through `send_400_response`.
            raise HeadersTooLarge()

    def data_received(self, data: bytes) -> None:
        self._began_in_this_read = False
        super().data_received(data)
        if (self._in_headers and not self._began_in_this_read and not self._refused
                and not self.transport.is_closing()):
            self._unfinished_bytes += len(data)
            if self._unfinished_bytes > HEADER_BYTES_MAX:
                self._refused = True
                self._refuse_headers()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            self._refuse_headers()
        else:
            super().send_400_response(msg)

    def _refuse_headers(self) -> None:
        # The headers never ended, so there is no Accept-Language to follow: the default.
        body = json.dumps(error_body(HeadersTooLarge(), DEFAULT_LANGUAGE)).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )
        self.transport.close()
