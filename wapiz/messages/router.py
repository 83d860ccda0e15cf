import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, status

from wapiz.accounts.deps import CurrentUser
from wapiz.deps import SessionDep
from wapiz.messages.bulk import BulkService
from wapiz.messages.repository import MessageFilter
from wapiz.messages.schemas import BatchOut, BulkIn, BulkOut, MessageIn, MessageOut, MessagePage
from wapiz.messages.service import MessageService
from wapiz.schemas import error_responses

router = APIRouter(prefix="/api/messages", tags=["messages"])


def as_utc(moment: datetime | None) -> datetime | None:
    """A time from a query string; one without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def message_service(request: Request, user: CurrentUser,
                          session: SessionDep) -> MessageService:
    return MessageService(session, request.app.state.settings, user)


Messages = Annotated[MessageService, Depends(message_service)]


async def bulk_service(request: Request, user: CurrentUser, session: SessionDep) -> BulkService:
    return BulkService(session, request.app.state.settings, user)


Bulk = Annotated[BulkService, Depends(bulk_service)]
IdempotencyKey = Annotated[str | None, Header(max_length=255, description=(
    "A retry with the same key returns the first answer instead of sending twice."))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404, 409),
    summary="Send a message: accepted into the device's durable queue",
)
async def send_message(
    body: MessageIn, messages: Messages, idempotency_key: IdempotencyKey = None
) -> MessageOut:
    return await messages.send(body, idempotency_key)


@router.post(
    "/bulk",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(401, 404),
    summary="One message to up to 1,000 recipients, spaced out (15 to 45 s by default)",
)
async def send_bulk(body: BulkIn, bulk: Bulk, idempotency_key: IdempotencyKey = None) -> BulkOut:
    return await bulk.send(body, idempotency_key)


@router.get("/bulk/{batch_id}", responses=error_responses(401, 404),
            summary="A bulk send's progress")
async def bulk_progress(batch_id: str, bulk: Bulk) -> BatchOut:
    return await bulk.progress(batch_id)


@router.get("", responses=error_responses(400, 401), summary="Messages, newest first")
async def list_messages(
    messages: Messages,
    device_id: Annotated[uuid.UUID | None, Query(alias="deviceId")] = None,
    direction: Literal["inbound", "outbound"] | None = None,
    status: str | None = Query(None, max_length=16),
    chat: str | None = Query(None, max_length=128, pattern=r"^[^\x00]*$"),
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=200),
) -> MessagePage:
    where = MessageFilter(device_id, direction, status, chat, as_utc(since), as_utc(until))
    items, next_cursor = await messages.page(where, cursor, limit)
    return MessagePage(items=items, next_cursor=next_cursor)


@router.get("/{id}", responses=error_responses(401, 404), summary="One message")
async def get_message(id: str, messages: Messages) -> MessageOut:
    return await messages.get(id)


@router.delete("/{id}", responses=error_responses(401, 404, 409),
               summary="Cancel a message that is still queued")
async def cancel_message(id: str, messages: Messages) -> MessageOut:
    return await messages.cancel(id)
