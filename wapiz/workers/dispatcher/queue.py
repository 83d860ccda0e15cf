"""The dispatcher's side of deliveries: which endpoints have some due, taking an endpoint
(one dispatcher at a time delivers an endpoint's events, in order: a device's webhook, or
an account's, which gets every device's), and recording attempts.

An endpoint is taken with a lease on its webhook_endpoints row (owner and expiry), renewed
between attempts; a dispatcher that dies lets it lapse and another carries on. A delivery
attempted by a dispatcher that died before recording it is attempted again: the receiver
may see an event twice, always with the same `webhook-id`.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.results import rows_changed
from wapiz.devices.models import Device
from wapiz.kit.retry import RetryPolicy
from wapiz.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

JITTER = 0.2  # ±20 % on each retry's delay, so retries of many deliveries spread out
MAX_RETRY_AFTER_S = 3600.0  # a receiver's Retry-After is honoured up to an hour


@dataclass(frozen=True)
class DueDelivery:
    id: uuid.UUID
    event_id: str
    body: str


@dataclass(frozen=True)
class EndpointBatch:
    """An endpoint's due deliveries, in event order, with where and how to send them."""

    url: str | None
    enabled: bool
    signing_secrets: list[str]
    deliveries: list[DueDelivery]


@dataclass(frozen=True)
class Outcome:
    """How one attempt went."""

    delivery_id: uuid.UUID
    attempted_at: datetime
    duration_ms: int
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, as the receiver asked

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the receiver says this endpoint is no more."""
        return self.status_code == 410


def delivery_retries(schedule: Sequence[float]) -> RetryPolicy[Outcome]:
    """A delivery's retries: the schedule's waits (WAPIZ_WEBHOOK_RETRY_SCHEDULE), then
    failed; a receiver's Retry-After replaces a wait (bounded); 410 Gone ends it at once."""
    return RetryPolicy(max_attempts=len(schedule) + 1, schedule=tuple(schedule),
                       jitter=(1 - JITTER, 1 + JITTER), retryable=lambda outcome: not outcome.gone,
                       asked_bounds=(1.0, MAX_RETRY_AFTER_S))


class DeliveryQueue:
    def __init__(self, session: AsyncSession, dispatcher: str) -> None:
        self.session = session
        self.dispatcher = dispatcher

    def _clock(self, now: datetime) -> Any:
        """Now for leases: the database's clock on PostgreSQL, where API nodes may run on
        hosts whose clocks differ (one running ahead would take a live lease: two
        dispatchers on one endpoint, out of order), as for runners' leases."""
        return func.now() if self.session.get_bind().dialect.name == "postgresql" else now

    def _free(self, now: datetime) -> ColumnElement[bool]:
        return or_(WebhookEndpoint.dispatcher.is_(None),
                   WebhookEndpoint.dispatcher == self.dispatcher,
                   WebhookEndpoint.dispatch_expires_at < self._clock(now))

    async def endpoints_due(self, now: datetime, skip: Sequence[uuid.UUID],
                            limit: int) -> list[uuid.UUID]:
        """Endpoints with a delivery due that no other dispatcher is delivering."""
        statement = (
            select(WebhookDelivery.endpoint_id).distinct()
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING,
                   WebhookDelivery.next_attempt_at <= now, self._free(now))
            .limit(limit))
        if skip:
            statement = statement.where(WebhookDelivery.endpoint_id.not_in(skip))
        return list(await self.session.scalars(statement))

    async def take(self, endpoint_id: uuid.UUID, now: datetime, lease_s: float) -> bool:
        """Take (or keep) the endpoint's deliveries for `lease_s`; False if another has
        them."""
        result = await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, self._free(now))
            .values(dispatcher=self.dispatcher,
                    dispatch_expires_at=self._clock(now) + timedelta(seconds=lease_s)))
        return rows_changed(result) == 1

    async def let_go(self, endpoint_id: uuid.UUID) -> None:
        await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id,
                   WebhookEndpoint.dispatcher == self.dispatcher)
            .values(dispatcher=None, dispatch_expires_at=None))

    async def batch(self, endpoint_id: uuid.UUID, now: datetime, limit: int) -> EndpointBatch:
        target = (await self.session.execute(
            select(Device.webhook_url, WebhookEndpoint).select_from(WebhookEndpoint)
            .outerjoin(Device, Device.id == WebhookEndpoint.device_id)
            .where(WebhookEndpoint.id == endpoint_id))).first()
        if target is None:
            return EndpointBatch(None, False, [], [])
        device_url, endpoint = target
        # A device's URL is the device's (the contract's); an account's is the endpoint's.
        url = device_url if endpoint.device_id is not None else endpoint.url
        rows = await self.session.execute(
            select(WebhookDelivery.id, WebhookEvent.id, WebhookEvent.body)
            .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
            .where(WebhookDelivery.endpoint_id == endpoint_id,
                   WebhookDelivery.status == DeliveryStatus.PENDING,
                   WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.event_seq)
            .limit(limit))
        signing = [endpoint.secret]
        if endpoint.previous_secret and (endpoint.previous_secret_expires_at or now) > now:
            signing.append(endpoint.previous_secret)
        return EndpointBatch(url, endpoint.enabled, signing,
                           [DueDelivery(*row) for row in rows])

    async def record(self, outcomes: Sequence[Outcome], retries: RetryPolicy[Outcome],
                     now: datetime) -> None:
        """Log each attempt and move its delivery on: succeeded, due again later, or failed
        once `retries` says so. Successes (nearly all) are written a few statements for
        the lot."""
        if not outcomes:
            return
        await self.session.execute(insert(WebhookAttempt), [
            {"delivery_id": o.delivery_id, "attempted_at": o.attempted_at,
             "status_code": o.status_code, "duration_ms": o.duration_ms,
             "response_body": o.response_body, "error": o.error} for o in outcomes])
        succeeded: dict[int | None, list[uuid.UUID]] = {}
        for outcome in outcomes:
            if outcome.succeeded:
                succeeded.setdefault(outcome.status_code, []).append(outcome.delivery_id)
        for status_code, ids in succeeded.items():
            await self.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids),
                       WebhookDelivery.status == DeliveryStatus.PENDING)
                .values(status=DeliveryStatus.SUCCEEDED, attempts=WebhookDelivery.attempts + 1,
                        last_status_code=status_code, last_error=None, finished_at=now,
                        next_attempt_at=None))
        failures = [outcome for outcome in outcomes if not outcome.succeeded]
        if not failures:
            return
        retries_so_far = dict((await self.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.retries)
            .where(WebhookDelivery.id.in_([o.delivery_id for o in failures])))).all())
        for outcome in failures:
            delay = retries.delay(retries_so_far.get(outcome.delivery_id, 0) + 1, outcome,
                                  outcome.retry_after)
            values: dict[str, object] = {
                "attempts": WebhookDelivery.attempts + 1, "retries": WebhookDelivery.retries + 1,
                "last_status_code": outcome.status_code, "last_error": outcome.error}
            values.update(
                {"status": DeliveryStatus.FAILED, "finished_at": now, "next_attempt_at": None}
                if delay is None else
                {"next_attempt_at": outcome.attempted_at + timedelta(seconds=delay)})
            await self.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == outcome.delivery_id,
                       WebhookDelivery.status == DeliveryStatus.PENDING)
                .values(values))

    async def disable(self, endpoint_id: uuid.UUID, reason: str, now: datetime) -> None:
        """The receiver said 410 Gone: stop sending; what was waiting fails (and can be
        recovered once the endpoint is fixed)."""
        await self.session.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
            .values(enabled=False, disabled_reason=reason[:500], updated_at=now))
        await self.fail_pending(endpoint_id, reason, now)

    async def fail_pending(self, endpoint_id: uuid.UUID, reason: str, now: datetime) -> None:
        await self.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id,
                   WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, finished_at=now, next_attempt_at=None,
                    last_error=reason[:500]))
