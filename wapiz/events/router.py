"""The account's events as they happen: `GET /api/events` (server-sent events) and
`GET /api/events/ws` (a WebSocket), the same events, filters and resume rule."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, WebSocket
from pydantic import ValidationError
from sse_starlette import EventSourceResponse

from wapiz.accounts.deps import CurrentUser, authenticate
from wapiz.events.deps import streams_for
from wapiz.events.schemas import EventId, Overflow, StreamQuery
from wapiz.events.service import Stream
from wapiz.http.error_handlers import error_response, invalid_input, request_language
from wapiz.kit.errors import WapizError
from wapiz.kit.schemas import error_responses
from wapiz.kit.text import Language, Text

router = APIRouter(prefix="/api/events", tags=["events"])

HEARTBEAT_S = 15.0  # a comment line, so proxies keep an idle stream open
# A client that takes this long to accept one write is gone (its buffer overflowed already).
SEND_TIMEOUT_S = 60.0
OVERFLOW_CLOSE = 4000  # the WebSocket's close code after an overflow
FELL_BEHIND = Text(
    "Klien tertinggal terlalu jauh: sambung lagi dengan id terakhir yang diterima",
    "The client fell too far behind: connect again with the last id it received")
STREAM_DESCRIPTION = """\
Each event: `id:` its id (the webhook's `webhook-id`, `msg_…`), `event:` its type, `data:` the
webhook's exact JSON body. A comment line every 15 s keeps proxies from closing an idle stream.
Reconnect with `Last-Event-ID` (browsers' EventSource does) or `?after=`: the stored events
after that id, then live ones, none missed and none twice; an id that is gone (retention) or
not this account's is a 410 `event_gone`. A client that falls more than the buffer behind gets
an `overflow` event (`lastId`: the last one sent) and the stream ends."""


def _overflow(stream: Stream, language: Language, acked_id: str | None = None) -> str:
    return Overflow(error=FELL_BEHIND(language), last_id=stream.last_id,
                    acked_id=acked_id).model_dump_json(by_alias=True)


@router.get("", response_class=EventSourceResponse, summary="The account's events, live "
            "(server-sent events)", description=STREAM_DESCRIPTION,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "The event stream."},
                       **error_responses(401, 404, 410, 422)})
async def event_stream(request: Request, user: CurrentUser,
                       query: Annotated[StreamQuery, Query()],
                       last_event_id: Annotated[EventId | None, Header()] = None,
                       ) -> EventSourceResponse:
    stream = await streams_for(request, user).open(query.device_id, query.type,
                                                  # an empty one: no resume id
                                                  last_event_id or query.after or None)
    language = request_language(request)

    async def chunks() -> AsyncIterator[bytes]:
        async for batch in stream.batches():
            yield b"".join(event.sse() for event in batch)
        if stream.overflowed:
            yield f"event: overflow\ndata: {_overflow(stream, language)}\n\n".encode()

    return EventSourceResponse(chunks(), ping=HEARTBEAT_S, send_timeout=SEND_TIMEOUT_S)


@router.websocket("/ws")
async def event_socket(websocket: WebSocket) -> None:
    """The same as GET /api/events, as JSON text frames `{"id", "type", "timestamp",
    "data"}`. The client may send `{"ack": "<id>"}`: the connection remembers the newest id
    acknowledged and names it in its `overflow` frame (nothing is kept after it closes)."""
    language = request_language(websocket)
    try:
        user = await authenticate(websocket)
        params = websocket.query_params
        query = StreamQuery.model_validate({"deviceId": params.getlist("deviceId"),
                                            "type": params.getlist("type"),
                                            "after": params.get("after")})
        stream = await streams_for(websocket, user).open(query.device_id, query.type,
                                                         query.after or None)
    except ValidationError as exc:
        await websocket.send_denial_response(error_response(
            invalid_input([dict(error) for error in exc.errors()], language), language))
        return
    except WapizError as exc:
        await websocket.send_denial_response(error_response(exc, language))
        return
    await websocket.accept()
    acked: list[str | None] = [None]
    sending = asyncio.create_task(_send(websocket, stream))
    try:
        await _hear_acks(websocket, acked, sending)
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sending
    if stream.overflowed:
        with contextlib.suppress(Exception):
            await websocket.send_text(_overflow(stream, language, acked[0]))
            await websocket.close(OVERFLOW_CLOSE, "overflow")


async def _send(websocket: WebSocket, stream: Stream) -> None:
    async for batch in stream.batches():
        for event in batch:
            await websocket.send_text(event.frame())


async def _hear_acks(websocket: WebSocket, acked: list[str | None],
                     sending: "asyncio.Task[None]") -> None:
    """Read the client's frames until it goes or the stream ends; keep the newest ack (other
    frames are ignored)."""
    receiving = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            await asyncio.wait((receiving, sending), return_when=asyncio.FIRST_COMPLETED)
            if sending.done():
                return
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                return
            with contextlib.suppress(ValueError):
                frame: Any = json.loads(message.get("text") or "null")
                if isinstance(frame, dict) and isinstance(frame.get("ack"), str):
                    acked[0] = frame["ack"][:64]
            receiving = asyncio.ensure_future(websocket.receive())
    finally:
        receiving.cancel()
