"""The webhook dispatcher: posts due events to their webhooks' URLs (a device's, an
account's). One runs in every API
process, away from the runners, so that delivering a burst of events never slows the
WhatsApp sessions down (and on one machine, the two use both cores); the database decides
who delivers what (queue.py). Events are announced when they are written, from
any process (db/wakeups.py), and looked for anyway every second (four times a second
while announcements cannot be heard).

Order: an endpoint's deliveries are taken by one dispatcher at a time and attempted in
event order, one after another, so while the endpoint answers 2xx the receiver gets them in the
order they happened. A failed delivery waits for its retry while later events go on, so
after a failure order no longer holds: `timestamp` in the body tells the order of events.

An attempt is a success only with a 2xx; redirects are not followed (a 3xx is a failure);
410 Gone disables the endpoint; a Retry-After is honoured within bounds; each attempt has a
time limit, and is logged with its status, duration and the first 2 KB of the answer.
"""

import asyncio
import contextlib
import email.utils
import functools
import logging
import time
import uuid
from datetime import UTC, datetime

import httpx
from prometheus_client import Histogram

from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.wakeups import Listener
from wapiz.kit.metrics import ROUND_TRIP_BUCKETS
from wapiz.kit.net import outbound_client
from wapiz.webhooks.signing import signed_headers
from wapiz.workers.dispatcher.queue import (
    DeliveryQueue,
    DueDelivery,
    EndpointBatch,
    Outcome,
    delivery_retries,
)

log = logging.getLogger(__name__)

POLL_S = 0.25  # while announcements cannot be heard
SAFETY_POLL_S = 1.0  # while they can
BATCH = 100
CONCURRENT_ENDPOINTS = 32
KEEP_RESPONSE_BYTES = 2048
RECORD_EVERY_S = 0.5  # outcomes are written in groups, at least this often
# An endpoint with nothing due is kept this long, in case more comes (as it does in bursts).
LINGER_S = 1.0

DELIVERIES = Histogram(
    "wapiz_webhook_delivery_duration_seconds", "Time of one webhook delivery attempt, by "
    "outcome: success (2xx), http_error (any other status, a redirect included), timeout "
    "(no answer within WAPIZ_WEBHOOK_TIMEOUT_SECONDS), network_error (no answer at all: "
    "refused, unreachable, an address not allowed).", ["outcome"], buckets=ROUND_TRIP_BUCKETS)
for _outcome in ("success", "http_error", "timeout", "network_error"):  # shown from the start
    DELIVERIES.labels(_outcome)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After: 120` or an HTTP date, as seconds from now."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    return None


class Dispatcher:
    def __init__(self, settings: Settings, database: Database, name: str) -> None:
        self.settings = settings
        self.database = database
        self.name = name
        self.timeout = settings.webhook_timeout_seconds
        self.retries = delivery_retries(settings.webhook_retry_schedule)
        # Long enough for a group of attempts between two renewals (the last may take the
        # whole time limit), and short enough that a dispatcher that died is soon replaced.
        self.lease_s = self.timeout + 2 * RECORD_EVERY_S + 5
        self.client = outbound_client(settings.webhook_allow_private,
                                      httpx.Timeout(self.timeout))
        self.wake_ups = Listener(database.engine, (wakeups.WEBHOOKS,))
        self._endpoints: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._endpoint_woken: dict[uuid.UUID, asyncio.Event] = {}

    async def run(self) -> None:
        """Until cancelled."""
        listening = asyncio.create_task(self.wake_ups.run(), name="webhook-wake-ups")
        try:
            while True:
                try:
                    await self._start_due_endpoints()
                except Exception:
                    log.exception("webhooks: could not look for due deliveries; retrying")
                announced = await self.wake_ups.wait(wakeups.WEBHOOKS, SAFETY_POLL_S, POLL_S)
                if announced or not self.wake_ups.live:
                    for woken in self._endpoint_woken.values():  # endpoints lingering for more
                        woken.set()
        finally:
            tasks = [*self._endpoints.values(), listening]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.client.aclose()

    async def _start_due_endpoints(self) -> None:
        free = CONCURRENT_ENDPOINTS - len(self._endpoints)
        if free <= 0:
            return
        now = utc_now()
        async with self.database.session_scope() as db:
            due = await DeliveryQueue(db, self.name).endpoints_due(now, list(self._endpoints), free)
        for endpoint_id in due:
            async with self.database.session_scope() as db:
                taken = await DeliveryQueue(db, self.name).take(endpoint_id, now, self.lease_s)
            if taken:
                task = asyncio.create_task(self._deliver_endpoint(endpoint_id),
                                           name=f"webhooks-{endpoint_id}")
                self._endpoints[endpoint_id] = task
                task.add_done_callback(functools.partial(self._forget_endpoint, endpoint_id))

    def _forget_endpoint(self, endpoint_id: uuid.UUID, _finished: asyncio.Task[None]) -> None:
        self._endpoints.pop(endpoint_id, None)

    async def _deliver_endpoint(self, endpoint_id: uuid.UUID) -> None:
        """The endpoint's due deliveries, in event order, until none is due for a while."""
        woken = self._endpoint_woken[endpoint_id] = asyncio.Event()
        loop = asyncio.get_running_loop()
        busy_at = loop.time()  # when this endpoint last had something to deliver
        try:
            while True:
                woken.clear()
                async with self.database.session_scope() as db:
                    queue = DeliveryQueue(db, self.name)
                    if not await queue.take(endpoint_id, utc_now(), self.lease_s):
                        return  # another dispatcher has it now
                    batch = await queue.batch(endpoint_id, utc_now(), BATCH)
                if not batch.deliveries:
                    # Announcements for other endpoints wake it too: the linger is counted
                    # from its last delivery, not from the last wake-up.
                    lingered = loop.time() - busy_at
                    try:
                        async with asyncio.timeout(LINGER_S - lingered):
                            await woken.wait()
                    except TimeoutError:
                        return
                    continue
                if not batch.url or not batch.enabled:
                    async with self.database.session_scope() as db:
                        await DeliveryQueue(db, self.name).fail_pending(
                            endpoint_id, "the webhook has no URL" if not batch.url
                            else "the endpoint is disabled", utc_now())
                    return
                await self._send_batch(endpoint_id, batch)
                busy_at = loop.time()
        except Exception:
            log.exception("webhooks: delivering for endpoint %s failed; retrying", endpoint_id)
            await asyncio.sleep(1)
        finally:
            self._endpoint_woken.pop(endpoint_id, None)
            with contextlib.suppress(Exception):
                async with self.database.session_scope() as db:
                    await DeliveryQueue(db, self.name).let_go(endpoint_id)

    async def _send_batch(self, endpoint_id: uuid.UUID, batch: EndpointBatch) -> None:
        """Attempt the deliveries in order, writing their outcomes in groups."""
        outcomes: list[Outcome] = []
        recording: asyncio.Task[bool] | None = None
        recorded_at = time.monotonic()
        try:
            for delivery in batch.deliveries:
                outcome = await self.attempt(batch.url or "", delivery,
                                             batch.signing_secrets)
                outcomes.append(outcome)
                if outcome.gone:
                    break
                if time.monotonic() - recorded_at >= RECORD_EVERY_S:
                    # Handed to a task of its own before the write: if the process stops
                    # meanwhile, the write is finished below, not made a second time.
                    recording = asyncio.create_task(self._record(endpoint_id, outcomes))
                    outcomes = []
                    if not await asyncio.shield(recording):
                        return  # another dispatcher has the endpoint now: it goes on from here
                    recording, recorded_at = None, time.monotonic()
        finally:
            # Also when the process stops: attempts made and not written would be made
            # again by the next dispatcher, and the receiver would see them twice.
            await self._finish_recording(endpoint_id, recording, outcomes)

    async def _finish_recording(self, endpoint_id: uuid.UUID, recording: asyncio.Task[bool] | None,
                                outcomes: list[Outcome]) -> None:
        """The write under way, then the outcomes not yet written: within the lease (after
        it another dispatcher may make the attempts again anyway), and never raising, so an
        error here does not hide the one (or the cancellation) that ended the batch."""
        try:
            async with asyncio.timeout(self.lease_s):
                if recording is not None and not recording.done():
                    await asyncio.shield(recording)
                await asyncio.shield(self._record(endpoint_id, outcomes))
        except Exception as exc:
            log.warning("webhooks: could not record %d attempts for endpoint %s (%r); they "
                        "will be made again", len(outcomes), endpoint_id, exc)

    async def _record(self, endpoint_id: uuid.UUID, outcomes: list[Outcome]) -> bool:
        """Write the outcomes and renew the lease; False if the endpoint is no longer ours."""
        if not outcomes:
            return True
        now = utc_now()
        async with self.database.session_scope() as db:
            queue = DeliveryQueue(db, self.name)
            await queue.record(outcomes, self.retries, now)
            gone = next((o for o in outcomes if o.gone), None)
            if gone is not None:
                await queue.disable(endpoint_id, f"the endpoint answered 410 Gone at "
                                    f"{gone.attempted_at.isoformat()}", now)
            return await queue.take(endpoint_id, now, self.lease_s)

    async def attempt(self, url: str, delivery: DueDelivery,
                      signing_secrets: list[str]) -> Outcome:
        """POST the event once, signed at the time of the attempt."""
        at = utc_now()
        headers = signed_headers(delivery.event_id, delivery.body, signing_secrets, at)
        started = time.monotonic()
        status, kept, error, retry_after = None, None, None, None
        outcome = "network_error"
        try:
            async with asyncio.timeout(self.timeout), self.client.stream(
                    "POST", url, content=delivery.body.encode(), headers=headers) as response:
                status = response.status_code
                kept = await _first_bytes(response, KEEP_RESPONSE_BYTES)
                retry_after = retry_after_seconds(response.headers.get("retry-after"), at)
                if response.is_redirect:
                    error = f"redirect (HTTP {status}) not followed"
                elif not 200 <= status < 300:
                    error = f"HTTP {status}"
                outcome = "http_error" if error else "success"
        except TimeoutError:
            error, outcome = f"no answer within {self.timeout:g}s", "timeout"
        except Exception as exc:  # any failure is this attempt's, never the dispatcher's
            error = (str(exc) or type(exc).__name__)[:500]
            if isinstance(exc, httpx.TimeoutException):  # httpx's own limit, the same one
                outcome = "timeout"
        took = time.monotonic() - started
        DELIVERIES.labels(outcome).observe(took)
        duration_ms = int(took * 1000)
        return Outcome(delivery.id, at, duration_ms, status, kept, error, retry_after)


async def _first_bytes(response: httpx.Response, limit: int) -> str:
    """The start of the answer, for the attempt log; the rest is not read."""
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= limit:
            break
    # Stored as text: PostgreSQL cannot hold NUL characters.
    return kept[:limit].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
