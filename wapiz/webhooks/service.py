"""Webhook rules: a webhook's URL (refused when it points into the server's own network),
its secret and its rotation, its event filter, tests, and looking at and replaying
deliveries. The same rules for a device's webhook and for its account's (every device's
events): a `Hook` is either. Never commits (the request does)."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.devices.reader import DEVICE_NOT_FOUND, device_uuid
from wapiz.devices.repository import DeviceRepository
from wapiz.kit.addresses import UnsafeAddress, check_public_host, not_allowed
from wapiz.kit.errors import Conflict, InvalidInput, NotFound
from wapiz.kit.ids import parse_uuid
from wapiz.kit.paging import fetch_page
from wapiz.kit.text import Text
from wapiz.webhooks import events, outbox
from wapiz.webhooks.events import WebhookTestData
from wapiz.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from wapiz.webhooks.repository import WebhookRepository
from wapiz.webhooks.schemas import AttemptOut, DeliveryOut, WebhookIn, WebhookOut
from wapiz.webhooks.signing import new_secret

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret signs too, while receivers switch
DELIVERY_NOT_FOUND = Text("Pengiriman webhook tidak ditemukan", "Webhook delivery not found")


@dataclass(frozen=True)
class Hook:
    """A webhook as its routes see it: its endpoint, and its device (None: the account's,
    whose URL is kept on the endpoint; a device's is devices.webhook_url, the contract's)."""

    endpoint: WebhookEndpoint
    device: Device | None

    @property
    def url(self) -> str | None:
        return self.device.webhook_url if self.device is not None else self.endpoint.url

    def set_url(self, url: str | None) -> None:
        if self.device is not None:
            self.device.webhook_url = url
        else:
            self.endpoint.url = url


def webhook_out(hook: Hook) -> WebhookOut:
    endpoint = hook.endpoint
    overlap = endpoint.previous_secret_expires_at
    return WebhookOut(
        webhook_url=hook.url, secret=endpoint.secret, events=endpoint.events,
        enabled=endpoint.enabled, disabled_reason=endpoint.disabled_reason,
        previous_secret_expires_at=overlap if overlap and overlap > utc_now() else None)


def delivery_out(delivery: WebhookDelivery, event: WebhookEvent, log: list[AttemptOut],
                 with_payload: bool = False) -> DeliveryOut:
    # The columns are str, the fields Literals (pydantic checks them): until statuses are enums.
    return DeliveryOut(
        id=delivery.id, event_id=event.id, type=event.type, status=delivery.status,
        attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code, last_error=delivery.last_error,
        created_at=delivery.created_at, finished_at=delivery.finished_at, log=log,
        payload=json.loads(event.body) if with_payload else None)


# A page ends at an event's sequence number; any number the pattern admits can be read.
CURSOR_PATTERN = r"^[0-9]{1,18}$"


class WebhookService:
    """One webhook's rules: a device's (`device`: its id as the path gives it), or the
    account's (`device` None)."""

    def __init__(self, session: AsyncSession, settings: Settings, user: Principal,
                 device: str | None) -> None:
        self.session = session
        self.settings = settings
        self.user = user
        self.device = device
        self.webhooks = WebhookRepository(session, user.id)
        self.devices = DeviceRepository.for_caller(session, user)

    async def _hook(self) -> Hook:
        if self.device is None:
            # Every device's events: not for a key limited to one of them.
            self.user.require_whole_account()
            return Hook(await self.webhooks.account_endpoint(), None)
        device = await self.devices.get(device_uuid(self.device))
        endpoint = await self.webhooks.endpoint(device.id) if device is not None else None
        if device is None or endpoint is None:  # a device deleted meanwhile is gone too
            raise NotFound(DEVICE_NOT_FOUND, code="device_not_found")
        return Hook(endpoint, device)

    async def get(self) -> WebhookOut:
        return webhook_out(await self._hook())

    async def update(self, body: WebhookIn) -> WebhookOut:
        given = body.model_fields_set
        if "webhook_url" in given and body.webhook_url is not None:
            # Before any write: a name lookup must not hold SQLite's write lock.
            await self._check_reachable(body.webhook_url)
        hook = await self._hook()
        endpoint = hook.endpoint
        if "webhook_url" in given:
            if body.webhook_url is not None:
                endpoint.enabled, endpoint.disabled_reason = True, None
            hook.set_url(body.webhook_url)
        if "events" in given:
            endpoint.events = sorted(set(body.events)) if body.events is not None else None
        if body.enabled is not None:
            endpoint.enabled = body.enabled
            endpoint.disabled_reason = None
        endpoint.updated_at = utc_now()
        await self.session.flush()
        return webhook_out(hook)

    async def _check_reachable(self, url: str) -> None:
        """A URL whose host is, or resolves to, a non-public address is refused now (and
        checked again at every connection, as a name may resolve differently later)."""
        if self.settings.webhook_allow_private:
            return
        parts = urlsplit(url)
        try:
            await check_public_host(parts.hostname or "",
                                    parts.port or (443 if parts.scheme == "https" else 80))
        except UnsafeAddress as refused:
            raise InvalidInput(not_allowed("webhookUrl", refused.reason,
                                           "WAPIZ_WEBHOOK_ALLOW_PRIVATE"),
                               code="webhook_url_refused") from None

    async def rotate_secret(self) -> WebhookOut:
        hook = await self._hook()
        endpoint = hook.endpoint
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = utc_now() + ROTATION_OVERLAP
        endpoint.secret = new_secret()
        endpoint.updated_at = utc_now()
        await self.session.flush()
        return webhook_out(hook)

    async def test(self) -> tuple[str, uuid.UUID]:
        hook = await self._hook()
        if not hook.url:
            raise Conflict(_NO_URL[hook.device is None], code="webhook_not_set")
        if not hook.endpoint.enabled:
            raise Conflict(_DISABLED[hook.device is None], code="webhook_disabled")
        device = hook.device
        data = (WebhookTestData(device.id, device.public_id, "Webhook WAPIZ berfungsi")
                if device is not None else
                WebhookTestData(hook.endpoint.id, None, "Webhook akun WAPIZ berfungsi"))
        return await outbox.record_for(self.session, hook.endpoint, events.WEBHOOK_TEST, data)

    async def deliveries(self, status: DeliveryStatus | None,
                         cursor: str | None, limit: int) -> tuple[list[DeliveryOut], str | None]:
        hook = await self._hook()
        before = int(cursor) if cursor else None
        rows, next_cursor = await fetch_page(
            lambda count: self.webhooks.deliveries(hook.endpoint.id, status, before, count),
            limit, lambda row: str(row[0].event_seq))
        logs = await self.webhooks.attempts([delivery.id for delivery, _ in rows])
        items = [delivery_out(d, e, [AttemptOut.model_validate(a) for a in logs[d.id]])
                 for d, e in rows]
        return items, next_cursor

    async def delivery(self, raw_delivery_id: str) -> DeliveryOut:
        return await self._delivery_of(await self._hook(), raw_delivery_id)

    async def _delivery_of(self, hook: Hook, raw_delivery_id: str) -> DeliveryOut:
        delivery_id = parse_uuid(raw_delivery_id)
        found = (await self.webhooks.delivery(hook.endpoint.id, delivery_id)
                 if delivery_id else None)
        if found is None:
            raise NotFound(DELIVERY_NOT_FOUND, code="delivery_not_found")
        delivery, event = found
        logs = await self.webhooks.attempts([delivery.id])
        return delivery_out(delivery, event,
                            [AttemptOut.model_validate(a) for a in logs[delivery.id]],
                            with_payload=True)

    async def _sendable(self) -> Hook:
        hook = await self._hook()
        if not hook.url or not hook.endpoint.enabled:
            raise Conflict(_NOT_SENDABLE[hook.device is None], code="webhook_not_set")
        return hook

    async def redeliver(self, raw_delivery_id: str) -> DeliveryOut:
        hook = await self._sendable()
        delivery_id = parse_uuid(raw_delivery_id)
        if (delivery_id is None
                or await self.webhooks.delivery(hook.endpoint.id, delivery_id) is None):
            raise NotFound(DELIVERY_NOT_FOUND, code="delivery_not_found")
        if not await self.webhooks.requeue(hook.endpoint.id, utc_now(),
                                           delivery_id=delivery_id):
            raise Conflict(Text("Pengiriman ini masih menunggu dikirim",
                                "This delivery is still waiting to be sent"),
                           code="delivery_pending")
        await wakeups.announce(self.session, wakeups.WEBHOOKS)
        return await self._delivery_of(hook, raw_delivery_id)

    async def recover(self, since: datetime) -> int:
        hook = await self._sendable()
        requeued = await self.webhooks.requeue(hook.endpoint.id, utc_now(), failed_since=since)
        if requeued:
            await wakeups.announce(self.session, wakeups.WEBHOOKS)
        return requeued


# Each refusal worded for a device's webhook (False) and for the account's (True).
_NO_URL = {False: Text("Device belum punya webhookUrl", "The device has no webhookUrl"),
           True: Text("Akun belum punya webhookUrl", "The account has no webhookUrl")}
_DISABLED = {False: Text("Webhook device ini sedang nonaktif",
                         "This device's webhook is disabled"),
             True: Text("Webhook akun ini sedang nonaktif",
                        "This account's webhook is disabled")}
_NOT_SENDABLE = {False: Text("Webhook device ini tidak punya URL atau sedang nonaktif",
                             "This device's webhook has no URL or is disabled"),
                 True: Text("Webhook akun ini tidak punya URL atau sedang nonaktif",
                            "This account's webhook has no URL or is disabled")}
