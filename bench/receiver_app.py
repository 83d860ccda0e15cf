"""A webhook receiver for the benchmark: answers 200 at once and notes when each delivery
arrived. Plain ASGI (no framework), so the receiver costs as little as possible on both
sides of the comparison. GET /results returns (and forgets) what arrived."""

import json
import time

arrivals: list[tuple[float, str]] = []


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        answer = json.dumps(arrivals).encode()
        arrivals.clear()
    else:
        arrivals.append((time.time(), body.decode()))
        answer = b"ok"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(answer)).encode())]})
    await send({"type": "http.response.body", "body": answer})
