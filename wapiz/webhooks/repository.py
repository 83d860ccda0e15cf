"""Every query on a user's webhooks, scoped to the user's own devices and account from its
first line."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.base import utc_now
from wapiz.db.results import rows_changed
from wapiz.db.upsert import insert_for
from wapiz.devices.models import Device
from wapiz.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from wapiz.webhooks.signing import new_secret


class WebhookRepository:
    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    def _owned(self, device_id: uuid.UUID) -> Select[uuid.UUID]:
        return select(Device.id).where(Device.id == device_id, Device.user_id == self.user_id,
                                       Device.deleted_at.is_(None))

    def _owned_endpoint(self, endpoint_id: uuid.UUID) -> Select[uuid.UUID]:
        """The endpoint, if it is the account's or one of its (not deleted) devices'."""
        devices = select(Device.id).where(Device.user_id == self.user_id,
                                          Device.deleted_at.is_(None))
        return select(WebhookEndpoint.id).where(
            WebhookEndpoint.id == endpoint_id,
            or_(WebhookEndpoint.user_id == self.user_id, WebhookEndpoint.device_id.in_(devices)))

    async def endpoint(self, device_id: uuid.UUID) -> WebhookEndpoint | None:
        """The device's endpoint settings, made (with a fresh secret) the first time; None
        if the device is not (or no longer: deleted meanwhile) the user's."""
        await self.session.execute(
            insert_for(self.session, WebhookEndpoint)
            .values(id=uuid.uuid4(), device_id=device_id, secret=new_secret(), enabled=True,
                    updated_at=utc_now())
            .on_conflict_do_nothing(index_elements=["device_id"]))
        endpoint = await self.session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.device_id.in_(self._owned(device_id)))
            .execution_options(populate_existing=True))
        return endpoint

    async def account_endpoint(self) -> WebhookEndpoint:
        """The account's endpoint settings, made (with a fresh secret) the first time."""
        await self.session.execute(
            insert_for(self.session, WebhookEndpoint)
            .values(id=uuid.uuid4(), user_id=self.user_id, secret=new_secret(), enabled=True,
                    updated_at=utc_now())
            .on_conflict_do_nothing(index_elements=["user_id"]))
        endpoint = await self.session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.user_id == self.user_id)
            .execution_options(populate_existing=True))
        assert endpoint is not None  # made above if it was not there
        return endpoint

    async def deliveries(self, endpoint_id: uuid.UUID, status: DeliveryStatus | None,
                         before_seq: int | None, limit: int
                         ) -> Sequence[tuple[WebhookDelivery, WebhookEvent]]:
        """Newest first."""
        statement = (
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
            .where(WebhookDelivery.endpoint_id.in_(self._owned_endpoint(endpoint_id))))
        if status is not None:
            statement = statement.where(WebhookDelivery.status == status)
        if before_seq is not None:
            statement = statement.where(WebhookDelivery.event_seq < before_seq)
        statement = statement.order_by(WebhookDelivery.event_seq.desc()).limit(limit)
        return [(row[0], row[1]) for row in await self.session.execute(
            statement.execution_options(populate_existing=True))]

    async def delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
                       ) -> tuple[WebhookDelivery, WebhookEvent] | None:
        row = (await self.session.execute(
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.seq == WebhookDelivery.event_seq)
            .where(WebhookDelivery.id == delivery_id,
                   WebhookDelivery.endpoint_id.in_(self._owned_endpoint(endpoint_id)))
            .execution_options(populate_existing=True))).first()
        return None if row is None else (row[0], row[1])

    async def attempts(self, delivery_ids: Sequence[uuid.UUID]
                       ) -> dict[uuid.UUID, list[WebhookAttempt]]:
        by_delivery: dict[uuid.UUID, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
        if delivery_ids:
            for attempt in await self.session.scalars(
                    select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                    .order_by(WebhookAttempt.id)):
                by_delivery[attempt.delivery_id].append(attempt)
        return by_delivery

    async def requeue(self, endpoint_id: uuid.UUID, now: datetime, *,
                      delivery_id: uuid.UUID | None = None,
                      failed_since: datetime | None = None) -> int:
        """Make deliveries due again, with a fresh retry schedule: one (whatever its
        state, unless it is still pending), or every failed one created since a time."""
        statement = update(WebhookDelivery).where(
            WebhookDelivery.endpoint_id.in_(self._owned_endpoint(endpoint_id)))
        if delivery_id is not None:
            statement = statement.where(WebhookDelivery.id == delivery_id,
                                        WebhookDelivery.status != DeliveryStatus.PENDING)
        else:
            statement = statement.where(WebhookDelivery.status == DeliveryStatus.FAILED,
                                        WebhookDelivery.created_at >= failed_since)
        result = await self.session.execute(statement.values(
            status=DeliveryStatus.PENDING, retries=0, next_attempt_at=now, finished_at=None))
        return rows_changed(result)
