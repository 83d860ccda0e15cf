"""A device's labels (WhatsApp Business) and the labels on its chats."""

from typing import Annotated

from fastapi import APIRouter, Path

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.kit.schemas import error_responses
from wapiz.labels.deps import Labels
from wapiz.labels.schemas import ChatLabelsIn, ChatLabelsOut, LabelsOut

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/devices", tags=["labels"], route_class=TokenFirstRoute)
Chat = Annotated[str, Path(max_length=128, description="A phone number or a group id.")]


@router.get("/{id}/labels", responses=error_responses(401, 404, 409, 501, 502, 503),
            summary="The account's labels (WhatsApp Business), each with its chats")
async def list_labels(id: str, labels: Labels) -> LabelsOut:
    return await labels.labels(id)


@router.put("/{id}/chats/{chat}/labels",
            responses=error_responses(401, 404, 409, 501, 502, 503),
            summary="Set exactly the labels on a chat ([] takes them all off)")
async def set_chat_labels(id: str, chat: Chat, body: ChatLabelsIn,
                          labels: Labels) -> ChatLabelsOut:
    return await labels.set_chat_labels(id, chat, body)
