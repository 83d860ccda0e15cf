"""The webhook routes' service, built from the request (as `devices/deps.py` does for
devices): a device's webhook (the path's `id`), or the account's."""

from typing import Annotated

from fastapi import Depends, Request

from wapiz.accounts.deps import CurrentUser
from wapiz.http.deps import SessionDep
from wapiz.webhooks.service import WebhookService


async def device_webhook(id: str, request: Request, user: CurrentUser,
                         session: SessionDep) -> WebhookService:
    """The caller's device's webhook, in the request's transaction."""
    return WebhookService(session, request.app.state.settings, user, id)


async def account_webhook(request: Request, user: CurrentUser,
                          session: SessionDep) -> WebhookService:
    """The caller's account's webhook (every device's events)."""
    return WebhookService(session, request.app.state.settings, user, None)


Webhooks = Annotated[WebhookService, Depends(device_webhook)]
AccountWebhook = Annotated[WebhookService, Depends(account_webhook)]
