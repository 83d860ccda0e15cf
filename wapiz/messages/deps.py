"""The message routes' services, built from the request (as `devices/deps.py` does for
devices)."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.accounts.principal import Principal
from wapiz.http.deps import SessionDep
from wapiz.messages.accept import SendService
from wapiz.messages.bulk import BulkService
from wapiz.messages.live import LiveMessages
from wapiz.messages.service import MessageService


async def message_service(request: Request, user: CurrentUser,
                          session: SessionDep) -> MessageService:
    """The caller's messages, for reads and changes in the request's transaction."""
    return MessageService(session, request.app.state.settings, user)


def sends_for(request: Request, user: Principal) -> SendService:
    """Sends need no request transaction: the process's intake commits them in groups.
    Built in the route rather than by a dependency: each dependency costs a send a little."""
    state = request.app.state
    return SendService(state.database, state.settings, user, state.status_cache,
                       state.device_ids, state.intake, state.media_store)


async def bulk_service(request: Request, user: CurrentUser, session: SessionDep) -> BulkService:
    return BulkService(session, request.app.state.settings, user, request.app.state.media_store)


async def live_messages(request: Request, user: CurrentUser) -> LiveMessages:
    """What only the device's session can do; each read a short session of its own."""
    state = request.app.state
    return LiveMessages(state.database, state.settings, user, state.media_store)


Messages = Annotated[MessageService, Depends(message_service)]
Bulk = Annotated[BulkService, Depends(bulk_service)]
Live = Annotated[LiveMessages, Depends(live_messages)]
