"""The webhook routes' service, built from the request (as `devices/deps.py` does for
devices)."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.http.deps import SessionDep
from wapiz.webhooks.service import WebhookService


async def webhook_service(request: Request, user: CurrentUser,
                          session: SessionDep) -> WebhookService:
    """The caller's webhooks, in the request's transaction."""
    return WebhookService(session, request.app.state.settings, user)


Webhooks = Annotated[WebhookService, Depends(webhook_service)]
