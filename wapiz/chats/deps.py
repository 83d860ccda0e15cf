"""The chat routes' service, built from the request."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.chats.service import ChatService


async def chat_service(request: Request, user: CurrentUser) -> ChatService:
    """The caller's chats; each read and write a short session of its own (a read receipt,
    an archive or a delete waits for the device's session, holding no transaction)."""
    state = request.app.state
    return ChatService(state.database, state.settings, user, state.status_cache)


Chats = Annotated[ChatService, Depends(chat_service)]
