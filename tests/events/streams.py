"""Clients of the event streams for tests: server-sent events read line by line with httpx
(as EventSource reads them), and WebSocket frames with the websockets library."""

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.support import Api


@dataclass
class Event:
    id: str | None
    type: str
    data: dict[str, Any]


def parse(lines: Iterator[str]) -> Iterator[Event]:
    """Server-sent events as the specification reads them (comments skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                yield Event(fields.get("id"), fields.get("event", "message"),
                            json.loads(fields["data"]))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


@contextlib.contextmanager
def sse(api: Api, token: str, last_event_id: str | None = None,
        read_timeout: float = 20.0, **params: Any) -> Iterator[Iterator[Event]]:
    """GET /api/events: its events as they come (a 200 is asserted)."""
    headers = api.auth(token) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    with httpx.stream("GET", api.url + "/api/events", params=params, headers=headers,
                      timeout=httpx.Timeout(10.0, read=read_timeout)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield parse(response.iter_lines())


def ws_url(api: Api, **params: Any) -> str:
    query = str(httpx.QueryParams(params))
    return api.url.replace("http://", "ws://") + "/api/events/ws" + (f"?{query}" if query else "")


@contextlib.contextmanager
def socket(api: Api, token: str, **params: Any) -> Iterator[ClientConnection]:
    with connect(ws_url(api, **params), additional_headers=api.auth(token),
                 open_timeout=10) as connection:
        yield connection


def frames(connection: ClientConnection, timeout: float = 20.0) -> Iterator[dict[str, Any]]:
    while True:
        yield json.loads(connection.recv(timeout))
