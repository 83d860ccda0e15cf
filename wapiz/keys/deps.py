"""The key routes' service, built from the request (as `devices/deps.py` does for devices)."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.http.deps import SessionDep
from wapiz.keys.service import KeyService


async def key_service(request: Request, user: CurrentUser, session: SessionDep) -> KeyService:
    """The caller's keys (403 for a key limited to one device), in the request's
    transaction."""
    return KeyService(session, request.app.state.settings, user)


Keys = Annotated[KeyService, Depends(key_service)]
