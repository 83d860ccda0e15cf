"""Conditional GETs for the routes clients poll: an `ETag` on the answer, and `304 Not
Modified` (no body) when the client's `If-None-Match` names the same one.

The tag is a digest of the very bytes the route would send, so the answer's body stays
exactly what the route returns without it; a poller that asks every second then costs one
short answer while nothing changes.
"""

import hashlib
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

# The 304 in a route's `responses`, for the OpenAPI document.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the answer has not changed since the ETag given in "
          "If-None-Match (no body)."}}


def _tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # A list of tags, weak ones (W/"…") compared by their value (RFC 9110 §13.1.2).
    return any(candidate.strip().removeprefix("W/") == tag for candidate in header.split(","))


def conditional(request: Request, answer: Response) -> Response:
    """`answer` with its ETag (a digest of its body); a 304 when the client already has it."""
    tag = _tag(bytes(answer.body))
    cache_control = answer.headers.get("cache-control", "no-cache")
    if _matches(request, tag):
        return Response(status_code=304, headers={"ETag": tag, "Cache-Control": cache_control})
    answer.headers["ETag"] = tag
    answer.headers["Cache-Control"] = cache_control
    return answer


def conditional_json(request: Request, model: BaseModel) -> Response:
    """`model` as the route's JSON answer (the same bytes FastAPI would send for it)."""
    return conditional(request, JSONResponse(
        jsonable_encoder(model.model_dump(mode="json", by_alias=True))))
