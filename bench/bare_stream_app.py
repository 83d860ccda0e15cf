"""The stream benchmark's baseline: a bare sse-starlette endpoint and a bare WebSocket endpoint
that emit `n` pre-built events (the same bytes WAPIZ sends) one after another, as fast as the
client takes them. No database, no feed, no token check."""

import json
import uuid

from fastapi import FastAPI, WebSocket
from sse_starlette import EventSourceResponse

app = FastAPI()


def body(n: int) -> str:
    return json.dumps({"type": "webhook.test", "timestamp": "2026-12-03T00:00:00.000Z",
                       "data": {"id": str(uuid.uuid4()), "deviceId": str(uuid.uuid4()),
                                "message": f"{n}"}}, separators=(",", ":"))


@app.get("/sse")
async def sse(n: int) -> EventSourceResponse:
    events = [f"id: msg_{k}\nevent: webhook.test\ndata: {body(k)}\n\n".encode() for k in range(n)]

    async def emit():  # type: ignore[no-untyped-def]
        for event in events:
            yield event

    return EventSourceResponse(emit(), ping=15)


@app.websocket("/ws")
async def ws(websocket: WebSocket, n: int) -> None:
    frames = [f'{{"id":"msg_{k}",{body(k)[1:]}' for k in range(n)]
    await websocket.accept()
    for frame in frames:
        await websocket.send_text(frame)
    await websocket.close()
