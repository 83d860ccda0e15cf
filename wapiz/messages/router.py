import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Header, Query, Request, Response, UploadFile, status
from pydantic import Field

from wapiz.accounts.deps import CurrentUser, TokenFirstRoute
from wapiz.http.etag import NOT_MODIFIED, conditional_json
from wapiz.kit.schemas import QueryMoment, error_responses, text
from wapiz.messages import media
from wapiz.messages.deps import Bulk, Live, Messages, sends_for
from wapiz.messages.media import IncomingFile
from wapiz.messages.repository import MessageFilter
from wapiz.messages.schemas import (
    BatchOut,
    BulkIn,
    BulkOut,
    EditIn,
    ForwardIn,
    MessageIn,
    MessageOut,
    MessagePage,
)
from wapiz.messages.service import CURSOR_PATTERN

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/messages", tags=["messages"],
                   route_class=TokenFirstRoute)
INLINE_TYPES = ("image/", "audio/", "video/")
StatusText = Annotated[str, text(max_length=16)]  # any text: an unknown status finds nothing
ChatId = Annotated[str, text(max_length=128)]


class MessageUpload(MessageIn):
    """A send whose file comes as a multipart upload."""

    file: UploadFile = Field(description="The file to send.")
    # A form's fields are text: its booleans come as "true" and "false".
    ptt: bool = Field(False, description="An audio message as a voice note.")
    queue: bool = Field(True, description="false: fail with 409 if the device is not "
                        "logged in, instead of waiting for it in the queue.")

    def media_sources(self) -> list[str]:
        return [*super().media_sources(), "file"]


IdempotencyKey = Annotated[str | None, Header(max_length=255, description=(
    "A retry with the same key returns the first answer instead of sending twice."))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 409, 413, 503),
    summary="Send a message: accepted into the device's durable queue",
)
async def send_message(body: MessageIn, user: CurrentUser, request: Request,
                       idempotency_key: IdempotencyKey = None) -> MessageOut:
    return await sends_for(request, user).send(body, idempotency_key)


@router.post(
    "/upload",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 409, 413, 503),
    summary="Send a file as multipart/form-data: the same fields as a send, and `file`",
)
async def send_upload(body: Annotated[MessageUpload, Form(media_type="multipart/form-data")],
                      user: CurrentUser, request: Request,
                      idempotency_key: IdempotencyKey = None) -> MessageOut:
    sends = sends_for(request, user)
    upload = body.file
    if upload.size is not None and upload.size > sends.settings.media_max_bytes:
        raise media.too_large(sends.settings)
    file = IncomingFile(await upload.read(), upload.content_type, upload.filename)
    return await sends.send(body, idempotency_key, file)


@router.post(
    "/bulk",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 413, 503),
    summary="One message to up to 1,000 recipients, spaced out (15 to 45 s by default)",
)
async def send_bulk(body: BulkIn, bulk: Bulk, idempotency_key: IdempotencyKey = None) -> BulkOut:
    return await bulk.send(body, idempotency_key)


@router.get("/bulk/{batch_id}", responses=error_responses(401, 404),
            summary="A bulk send's progress")
async def bulk_progress(batch_id: str, bulk: Bulk) -> BatchOut:
    return await bulk.progress(batch_id)


@router.get("", response_model=MessagePage, responses=NOT_MODIFIED | error_responses(401),
            summary="Messages, newest first (with an ETag: If-None-Match gives a 304)")
async def list_messages(
    request: Request,
    messages: Messages,
    device_public_id: Annotated[uuid.UUID | None, Query(alias="deviceId")] = None,
    direction: Literal["inbound", "outbound"] | None = None,
    status: Annotated[StatusText | None, Query()] = None,
    chat: Annotated[ChatId | None, Query()] = None,
    since: Annotated[QueryMoment | None, Query(description="(without a zone: UTC)")] = None,
    until: Annotated[QueryMoment | None, Query(description="(without a zone: UTC)")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, description=(
        "`nextCursor` of the previous page."))] = None,
    limit: int = Query(50, ge=1, le=200),
) -> Response:
    where = MessageFilter(device_public_id, direction, status, chat, since, until)
    items, next_cursor = await messages.page(where, cursor, limit)
    return conditional_json(request, MessagePage(items=items, next_cursor=next_cursor))


@router.get("/{id}", responses=error_responses(401, 404), summary="One message")
async def get_message(id: str, messages: Messages) -> MessageOut:
    return await messages.get(id)


@router.patch("/{id}", status_code=status.HTTP_202_ACCEPTED,
              responses=error_responses(401, 404, 409),
              summary="Edit a sent text (within 15 minutes): the edit is queued like a send")
async def edit_message(id: str, body: EditIn, messages: Messages) -> MessageOut:
    return await messages.edit(id, body)


@router.delete(
    "/{id}",
    responses={**error_responses(401, 404, 409),
               202: {"model": MessageOut,
                     "description": "A sent message: its revoke (delete for everyone) is "
                     "queued; this is the revoke."}},
    summary="Cancel a queued message (200), or revoke a sent one for everyone (202)",
)
async def delete_message(id: str, messages: Messages, response: Response) -> MessageOut:
    message, queued_action = await messages.delete(id)
    if queued_action:
        response.status_code = status.HTTP_202_ACCEPTED
    return message


@router.post("/{id}/forward", status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(401, 404, 409, 422),
             summary="Forward a message: a new message carrying its content, queued like a "
             "send")
async def forward_message(id: str, body: ForwardIn, messages: Messages) -> MessageOut:
    return await messages.forward(id, body)


@router.post("/{id}/read", responses=error_responses(401, 404, 409, 502, 503),
             summary="Mark an inbound message read (the sender sees it read)")
async def mark_read(id: str, live: Live) -> MessageOut:
    return await live.mark_read(id)


@router.get(
    "/{id}/media",
    response_class=Response,
    responses={**error_responses(401, 404, 409, 410, 413, 502, 503),
               200: {"content": {"application/octet-stream": {}},
                     "description": "The file, with its type and name."}},
    summary="Download a message's file (an inbound one is fetched from WhatsApp once)",
)
async def message_media(id: str, live: Live) -> Response:
    file, data = await live.file(id)
    # The type is whatever the sender said: only pictures, sound and video are shown in the
    # browser; anything else (text/html above all) is a download, in a sandbox that runs
    # nothing even if a browser shows it anyway.
    shown = file.mimetype.startswith(INLINE_TYPES) and "svg" not in file.mimetype
    name = f"; filename*=UTF-8''{quote(file.file_name)}" if file.file_name else ""
    return Response(data, media_type=file.mimetype,
                    headers={"Content-Disposition": ("inline" if shown else "attachment") + name,
                             "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "sandbox; default-src 'none'",
                             "Cache-Control": "private, max-age=86400"})
