from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.chats.deps import Chats
from wapiz.chats.schemas import ChatChange, ChatOut, ChatPage
from wapiz.kit.paging import CREATED_CURSOR_PATTERN
from wapiz.kit.schemas import error_responses
from wapiz.messages.schemas import MessagePage

router = APIRouter(prefix="/api/devices", tags=["chats"], route_class=TokenFirstRoute)

Cursor = Annotated[str | None, Query(pattern=CREATED_CURSOR_PATTERN,
                                     description="`nextCursor` of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=200)]
# The chat in the path: a phone number as people write it, or a WhatsApp id (URL-encoded);
# one that is neither is a 422 (invalid_chat).
ChatPath = Annotated[str, Path(max_length=160, description=(
    "A phone number as people write it (0812…, +62 812-…, 62812…) or a WhatsApp id "
    "(…@s.whatsapp.net, …@g.us, …@lid), URL-encoded."))]
LIVE_ERRORS = error_responses(401, 404, 409, 422, 501, 502, 503)


@router.get("/{id}/chats", responses=error_responses(401, 404, 422),
            summary="The device's chats, most recent first")
async def list_chats(id: str, chats: Chats, cursor: Cursor = None,
                     limit: Limit = 50) -> ChatPage:
    items, next_cursor = await chats.page(id, cursor, limit)
    return ChatPage(items=items, next_cursor=next_cursor)


@router.get("/{id}/chats/{chat}/messages", responses=error_responses(401, 404, 422),
            summary="A chat's messages, newest first")
async def chat_messages(id: str, chat: ChatPath, chats: Chats, cursor: Cursor = None,
                        limit: Limit = 50) -> MessagePage:
    items, next_cursor = await chats.messages(id, chat, cursor, limit)
    return MessagePage(items=items, next_cursor=next_cursor)


@router.post("/{id}/chats/{chat}/read", responses=LIVE_ERRORS,
             summary="Mark a chat's unread messages read (their senders see it read)")
async def read_chat(id: str, chat: ChatPath, chats: Chats) -> ChatOut:
    return await chats.read(id, chat)


@router.patch("/{id}/chats/{chat}", responses=LIVE_ERRORS,
              summary="Archive, pin or mute a chat (on the linked device too)")
async def change_chat(id: str, chat: ChatPath, body: ChatChange, chats: Chats) -> ChatOut:
    return await chats.change(id, chat, body)


@router.delete("/{id}/chats/{chat}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response, responses=LIVE_ERRORS,
               summary="Delete a chat (on the linked device too); its messages are hidden")
async def delete_chat(id: str, chat: ChatPath, chats: Chats) -> Response:
    await chats.delete(id, chat)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
