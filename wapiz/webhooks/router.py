"""A device's webhook: its URL (the contract's PATCH), secret, filter, tests, and the log
of deliveries with redelivery; and the account's webhook, the same for every device's
events (`/api/webhook…`)."""


from fastapi import APIRouter, Query, Request, Response, status

from wapiz.accounts.deps import TokenFirstRoute
from wapiz.http.etag import NOT_MODIFIED, conditional_json
from wapiz.kit.schemas import error_responses
from wapiz.webhooks.deps import AccountWebhook, Webhooks
from wapiz.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    DeliveryStatusField,
    RecoverIn,
    RecoverOut,
    TestOut,
    WebhookIn,
    WebhookOut,
)
from wapiz.webhooks.service import CURSOR_PATTERN

# Token-first: a caller without a token gets 401 before any of its body is read.
router = APIRouter(prefix="/api/devices", tags=["webhooks"],
                   route_class=TokenFirstRoute)


@router.patch("/{id}/webhook", responses=error_responses(401, 404),
              summary="Set or clear the webhook URL (and which events, and whether on)")
async def set_webhook(id: str, body: WebhookIn, webhooks: Webhooks) -> WebhookOut:
    return await webhooks.update(body)


@router.get("/{id}/webhook", responses=error_responses(401, 404),
            summary="The webhook's URL, signing secret, events and state")
async def get_webhook(id: str, webhooks: Webhooks) -> WebhookOut:
    return await webhooks.get()


@router.post("/{id}/webhook/secret", responses=error_responses(401, 404),
             summary="A new signing secret; the old one also signs for 24 hours")
async def rotate_secret(id: str, webhooks: Webhooks) -> WebhookOut:
    return await webhooks.rotate_secret()


@router.post("/{id}/webhook/test", status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(401, 404, 409),
             summary="Send a webhook.test event now")
async def test_webhook(id: str, webhooks: Webhooks) -> TestOut:
    event_id, delivery_id = await webhooks.test()
    return TestOut(event_id=event_id, delivery_id=delivery_id)


@router.get("/{id}/webhook/deliveries", response_model=DeliveryPage,
            responses=NOT_MODIFIED | error_responses(401, 404),
            summary="Deliveries, newest first, each with its attempts (with an ETag)")
async def list_deliveries(
    request: Request,
    id: str,
    webhooks: Webhooks,
    delivery_status: DeliveryStatusField | None = Query(
        None, alias="status"),
    cursor: str | None = Query(None, pattern=CURSOR_PATTERN,
                               description="`nextCursor` of the previous page."),
    limit: int = Query(50, ge=1, le=200),
) -> Response:
    items, next_cursor = await webhooks.deliveries(delivery_status, cursor, limit)
    return conditional_json(request, DeliveryPage(items=items, next_cursor=next_cursor))


@router.get("/{id}/webhook/deliveries/{delivery_id}", responses=error_responses(401, 404),
            summary="One delivery, with the body sent and every attempt")
async def get_delivery(id: str, delivery_id: str, webhooks: Webhooks) -> DeliveryOut:
    return await webhooks.delivery(delivery_id)


@router.post("/{id}/webhook/deliveries/{delivery_id}/redeliver",
             status_code=status.HTTP_202_ACCEPTED, responses=error_responses(401, 404, 409),
             summary="Send a delivery again (with a fresh retry schedule)")
async def redeliver(id: str, delivery_id: str, webhooks: Webhooks) -> DeliveryOut:
    return await webhooks.redeliver(delivery_id)


@router.post("/{id}/webhook/recover", status_code=status.HTTP_202_ACCEPTED,
             responses=error_responses(401, 404, 409),
             summary="Send again every failed delivery since a time")
async def recover(id: str, body: RecoverIn, webhooks: Webhooks) -> RecoverOut:
    return RecoverOut(recovered=await webhooks.recover(body.since))


account_router = APIRouter(prefix="/api/webhook", tags=["webhooks"],
                           route_class=TokenFirstRoute)


@account_router.patch("", responses=error_responses(401, 403),
                      summary="Set or clear the account's webhook URL (every device's events)")
async def set_account_webhook(body: WebhookIn, webhook: AccountWebhook) -> WebhookOut:
    return await webhook.update(body)


@account_router.get("", responses=error_responses(401, 403),
                    summary="The account webhook's URL, signing secret, events and state")
async def get_account_webhook(webhook: AccountWebhook) -> WebhookOut:
    return await webhook.get()


@account_router.post("/secret", responses=error_responses(401, 403),
                     summary="A new signing secret for the account's webhook")
async def rotate_account_secret(webhook: AccountWebhook) -> WebhookOut:
    return await webhook.rotate_secret()


@account_router.post("/test", status_code=status.HTTP_202_ACCEPTED,
                     responses=error_responses(401, 403, 409),
                     summary="Send a webhook.test event to the account's webhook now")
async def test_account_webhook(webhook: AccountWebhook) -> TestOut:
    event_id, delivery_id = await webhook.test()
    return TestOut(event_id=event_id, delivery_id=delivery_id)


@account_router.get("/deliveries", response_model=DeliveryPage,
                    responses=NOT_MODIFIED | error_responses(401, 403),
                    summary="The account webhook's deliveries, newest first (with an ETag)")
async def list_account_deliveries(
    request: Request,
    webhook: AccountWebhook,
    delivery_status: DeliveryStatusField | None = Query(None, alias="status"),
    cursor: str | None = Query(None, pattern=CURSOR_PATTERN,
                               description="`nextCursor` of the previous page."),
    limit: int = Query(50, ge=1, le=200),
) -> Response:
    items, next_cursor = await webhook.deliveries(delivery_status, cursor, limit)
    return conditional_json(request, DeliveryPage(items=items, next_cursor=next_cursor))


@account_router.get("/deliveries/{delivery_id}", responses=error_responses(401, 403, 404),
                    summary="One delivery of the account's webhook, with every attempt")
async def get_account_delivery(delivery_id: str, webhook: AccountWebhook) -> DeliveryOut:
    return await webhook.delivery(delivery_id)


@account_router.post("/deliveries/{delivery_id}/redeliver",
                     status_code=status.HTTP_202_ACCEPTED,
                     responses=error_responses(401, 403, 404, 409),
                     summary="Send a delivery of the account's webhook again")
async def redeliver_account(delivery_id: str, webhook: AccountWebhook) -> DeliveryOut:
    return await webhook.redeliver(delivery_id)


@account_router.post("/recover", status_code=status.HTTP_202_ACCEPTED,
                     responses=error_responses(401, 403, 409),
                     summary="Send again every failed delivery of the account's webhook since "
                     "a time")
async def recover_account(body: RecoverIn, webhook: AccountWebhook) -> RecoverOut:
    return RecoverOut(recovered=await webhook.recover(body.since))
