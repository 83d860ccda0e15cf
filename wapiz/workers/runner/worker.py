"""One device's supervised session inside a runner.

The worker owns the device's engine session: it starts it (retrying with backoff), turns the
engine's events into state rows (fenced by the lease), re-pairs after a logout, reconnects
after a drop, and watches a logged-in session that has gone quiet: after `watchdog_seconds`
without an event it makes the session prove itself with a round trip, and reconnects if it
cannot. All lifecycle calls for a device go through this one task, one at a time.

While the device is logged in the worker runs its sender (sender.py). Messages and
receipts the engine reports are stored before the engine's call returns, so the engine
acknowledges nothing the database does not hold yet.
"""

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from wapiz.db.base import utc_now
from wapiz.devices.requests import DOWNLOAD_MEDIA, LOGOUT, RESTART
from wapiz.engines import events
from wapiz.engines.base import EngineError, WhatsAppEngine
from wapiz.engines.events import (
    Disconnected,
    EngineEvent,
    InboundMessage,
    LoggedIn,
    LoggedOut,
    Notice,
    QrCode,
    Receipt,
)
from wapiz.kit.backoff import Backoff
from wapiz.webhooks.events import DeviceStatusData
from wapiz.workers.runner import metrics
from wapiz.workers.runner.calls import CALLS
from wapiz.workers.runner.leases import DeviceStart, Lease, LeaseLost
from wapiz.workers.runner.sender import DeviceMessages, Sender

log = logging.getLogger(__name__)

# Writes the session row's new values, and a device.status event when one is given.
StateWriter = Callable[[Lease, dict[str, Any], DeviceStatusData | None], Awaitable[bool]]
STOP_TIMEOUT_S = 3.0
STORE_RETRY_S = 0.2
STORE_RETRY_MAX_S = 10.0
PROBE_TIMEOUT_S = 15.0


def state_for(event: EngineEvent, unlinked: LoggedOut | None = None) -> dict[str, Any]:
    """The session-row columns an engine event sets. While a device that lost its link shows
    QR codes again, the reason it lost the link stays on show."""
    match event:
        case QrCode(code=code, expires_at=expires_at):
            return {
                "connected": True,
                "logged_in": False,
                "qr_code": code,
                "qr_expires_at": expires_at,
                "reason": unlinked.reason if unlinked else None,
                "detail": unlinked.detail if unlinked else None,
            }
        case LoggedIn(jid=jid):
            return {
                "connected": True,
                "logged_in": True,
                "jid": jid,
                "qr_code": None,
                "qr_expires_at": None,
                "reason": None,
                "detail": None,
            }
        case LoggedOut(reason=reason, detail=detail):
            return {
                "connected": False,
                "logged_in": False,
                "jid": None,
                "qr_code": None,
                "qr_expires_at": None,
                **_drop(reason, detail),
            }
        case Disconnected(reason=reason, detail=detail):
            return {"connected": False, "qr_code": None, "qr_expires_at": None,
                    **_drop(reason, detail)}
    raise TypeError(f"unknown engine event {event!r}")


def _drop(reason: str, detail: str | None) -> dict[str, Any]:
    return {"reason": reason, "detail": detail, "last_reason": reason, "last_detail": detail,
            "last_disconnect_at": utc_now()}


def announcement(event: EngineEvent) -> tuple[str, str | None, str | None] | None:
    """The device.status (status, reason, detail) an engine event brings, if any."""
    match event:
        case LoggedIn():
            return "logged_in", None, None
        case QrCode():
            return "connected", None, None  # reachable, showing QR codes: not logged in
        case LoggedOut(reason=reason, detail=detail):
            return "logged_out", reason, detail
        case Disconnected(reason=reason, detail=detail):
            return "disconnected", reason, detail
    return None


def _detail(exc: BaseException) -> str:
    text = exc.detail if isinstance(exc, EngineError) else str(exc)
    return (text or type(exc).__name__)[:500]


class DeviceWorker:
    def __init__(self, whatsapp: WhatsAppEngine, lease: Lease, start: DeviceStart,
                 write_state: StateWriter, messages: DeviceMessages, *, watchdog_s: float,
                 backoff_cap_s: float) -> None:
        self.lease = lease
        self.key = str(lease.device_id)
        self.start_point = start
        self.config = start.config
        self.messages = messages
        self._sender: asyncio.Task[None] | None = None
        self._sending_by: Sender | None = None  # what the `_sender` task runs
        failures = start.failures
        self._write_state = write_state
        self._watchdog_s = watchdog_s
        self._events: asyncio.Queue[EngineEvent] = asyncio.Queue()
        self.session = whatsapp.session(self.key, start.config, self._receive)
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._logged_in = False
        self._degraded = False  # was logged in, the engine is recovering (see Disconnected)
        self._unlinked: LoggedOut | None = None
        # The last device.status told (status, reason): a repeat is not told again.
        self._announced: tuple[str, str | None] | None = None
        # One backoff for the device: a flapping connection slows down, and only getting
        # through (a QR code or a login) resets it. It continues where the device's previous
        # runner or worker left it.
        self._backoff = Backoff(cap=backoff_cap_s, attempt=failures)
        self.lease_lost = False
        # Set once the session's first connect has an outcome (an event, or a failure): a
        # request that comes with the device (a runner that just took it over) waits for it.
        self.reached = asyncio.Event()
        self._over_again = False  # a restart or logout is under way: its task is ended on purpose

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"device-{self.key}")

    @property
    def crashed(self) -> BaseException | None:
        """What ended it unexpectedly (not losing its lease): worth a new worker."""
        if self._task is None or not self._task.done() or self.lease_lost or self._over_again:
            return None
        if self._task.cancelled():
            return asyncio.CancelledError()
        return self._task.exception() or RuntimeError("the worker returned")

    async def _write(self, announce: tuple[str, str | None, str | None] | None = None,
                     **values: Any) -> None:
        """Write the session row (fenced by the lease); `announce` a status change to the
        device's webhook in the same transaction, unless it is the one told last."""
        told = None
        if announce is not None and announce[:2] != self._announced:
            status, reason, detail = announce
            told = DeviceStatusData(self.lease.device_id, self.messages.device_public_id,
                                    status, reason, detail, values.get("jid"))
        if not await self._write_state(self.lease, values, told):
            raise LeaseLost(self.key)
        if told is not None:
            self._announced = (status, reason)

    async def _run(self) -> None:
        try:
            await self.messages.recover()
            if self._backoff.attempt:
                # Failing before this runner took it: wait as the previous runner would have.
                delay = self._backoff.next_delay()
                await self._write(("disconnected", events.CONNECT_FAILED, None),
                                  connected=False, reason=events.CONNECT_FAILED,
                                  detail=f"retrying in {delay:.0f} s after "
                                  f"{self._backoff.attempt - 1} failed attempts")
                await asyncio.sleep(delay)
            await self._connect()
            while True:
                await self._apply(await self._next_event())
        except LeaseLost:
            self.lease_lost = True
            log.warning("device %s: lease taken over; dropping the session", self.key)
            await self._stop_sender()
            await self._stop_session()

    async def _next_event(self) -> EngineEvent:
        """The next event; while logged in, a silence longer than the watchdog's limit is
        answered with a probe, and a failed probe becomes a disconnect."""
        while True:
            if not (self._logged_in or self._degraded):
                return await self._events.get()
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(self._events.get(), self._watchdog_s)
            try:
                await asyncio.wait_for(self.session.probe(), PROBE_TIMEOUT_S)
            except Exception as exc:
                log.warning("device %s: silent for %.0fs and not answering (%s); reconnecting",
                            self.key, self._watchdog_s, _detail(exc))
                return Disconnected(events.WATCHDOG_SILENT, detail=_detail(exc))

    async def _connect(self) -> None:
        while True:
            # A fenced write first: a worker whose lease is gone never connects.
            await self._write(connected=False, reason=events.CONNECTING, detail=None)
            try:
                self._started = True
                await self.session.start()
                return
            except Exception as exc:
                self.reached.set()
                delay = self._backoff.next_delay()
                log.warning("device %s: connect failed (%s); retry in %.1fs", self.key,
                            _detail(exc), delay)
                await self._write(("disconnected", events.CONNECT_FAILED, _detail(exc)),
                                  connected=False, reason=events.CONNECT_FAILED,
                                  detail=_detail(exc), failures=self._backoff.attempt)
                await self._stop_session()
                metrics.reconnected(events.CONNECT_FAILED)
                await asyncio.sleep(delay)

    async def _receive(self, event: EngineEvent) -> None:
        """The engine's events. Messages and receipts are stored before this returns, so an
        engine acknowledges nothing that is not in the database yet; session events are
        applied in order by the worker's task."""
        if isinstance(event, InboundMessage | Receipt | Notice):
            store = (functools.partial(self.messages.inbound, event)
                     if isinstance(event, InboundMessage)
                     else functools.partial(self.messages.receipt, event)
                     if isinstance(event, Receipt)
                     else functools.partial(self.messages.notice, event))
            delay = STORE_RETRY_S
            while True:  # until stored: the engine holds WhatsApp's acknowledgement till then
                try:
                    await store()
                    return
                except LeaseLost:
                    raise
                except Exception:
                    log.exception("device %s: could not store a %s; retrying", self.key,
                                  type(event).__name__)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, STORE_RETRY_MAX_S)
        await self._events.put(event)

    async def _apply(self, event: EngineEvent) -> None:
        self.reached.set()
        await self._write(announcement(event), **state_for(event, self._unlinked))
        if isinstance(event, LoggedOut | Disconnected):
            metrics.reconnected(event.reason)  # by us below, or by the engine itself
        if isinstance(event, LoggedOut):
            self._unlinked = event
        if isinstance(event, LoggedIn | QrCode) and self._backoff.attempt:
            # It got through to the network: the failures in a row are over.
            self._backoff.reset()
            await self._write(failures=0)
        if isinstance(event, LoggedIn):
            self._logged_in = True
            self._degraded = False
            self._unlinked = None
            self._start_sender()
        elif isinstance(event, Disconnected) and not event.reconnect:
            self._degraded = self._logged_in or self._degraded
            self._logged_in = False
            await self._stop_sender()
        elif isinstance(event, LoggedOut | Disconnected):
            await self._stop_sender()
            # Logged out: start over with a fresh pairing (a new QR). Dropped: reconnect,
            # no sooner than the network asked (a temporary ban says when).
            self._logged_in = self._degraded = False
            await self._stop_session()
            delay = self._backoff.next_delay()
            if isinstance(event, Disconnected) and event.retry_after:
                delay = max(delay, event.retry_after)
            await self._write(failures=self._backoff.attempt)
            log.info("device %s: %s; reconnecting in %.1fs", self.key, event.reason, delay)
            await asyncio.sleep(delay)
            await self._connect()

    def _start_sender(self) -> None:
        if self._sender is None or self._sender.done():
            self._sending_by = Sender(self.messages, self.session)
            self._sender = asyncio.create_task(self._sending_by.run(),
                                               name=f"sender-{self.key}")

    async def finish_sending(self, within: float) -> None:
        """Before a hand-over: the sender takes no further message, and the send under way
        (if any) may end, for up to `within`, so that its outcome is known rather than left
        `sending` for the next holder to settle as unknown (which, with an engine that cannot
        tell whether WhatsApp got it, fails it as "may have been sent")."""
        sender, task = self._sending_by, self._sender
        if sender is None or task is None or task.done():
            return
        sender.finishing = True
        if sender.sending:
            await asyncio.wait([task], timeout=within)

    async def _stop_sender(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender
            self._sender = None
            # A send cut short has an unknown outcome: settle it as after a crash.
            with contextlib.suppress(Exception):
                await self.messages.recover()

    async def _stop_session(self) -> None:
        if self._started:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.session.stop(), STOP_TIMEOUT_S)

    @property
    def sending(self) -> bool:
        """Whether its sender runs (the device is logged in)."""
        return self._sender is not None and not self._sender.done()

    @property
    def failures(self) -> int:
        """Failed connects in a row so far (what a replacement worker starts from)."""
        return self._backoff.attempt

    async def handle(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Carry out a request from the API (device_requests.py)."""
        if kind == DOWNLOAD_MEDIA:
            return {"size": await self.messages.download(self.session,
                                                         uuid.UUID(payload["mediaId"]))}
        if kind == LOGOUT:
            await self.unlink()
            return {}
        if kind == RESTART:
            await self.restart()
            return {}
        call = CALLS.get(kind)
        if call is None:
            raise EngineError("unsupported", f"unknown request {kind!r}")
        return await call(self.session, payload)

    async def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def _start_over(self) -> None:
        """A new run of the worker's task: nothing of the old session's is left to apply,
        and no backoff is owed (someone asked for this)."""
        self._events = asyncio.Queue()
        self._logged_in = self._degraded = False
        self._backoff.reset()
        self._over_again = False
        self.start()

    async def restart(self) -> None:
        """Reconnect the session from the start, at once, keeping its keys (asked through
        the API). Whatever state it was in: connecting, in a backoff, showing QR codes."""
        self._over_again = True
        try:
            await self._cancel()
            await self._stop_sender()
            await self._stop_session()
        finally:
            self._start_over()

    async def unlink(self) -> None:
        """Log the number out and forget its keys, keeping the device: it shows a new QR
        code for the next pairing (asked through the API)."""
        self._over_again = True
        try:
            await self._cancel()
            await self._stop_sender()
            await asyncio.wait_for(self.session.logout(), STOP_TIMEOUT_S * 2)
            unlinked = LoggedOut(events.LOGGED_OUT, "logged out through the API")
            await self._write(announcement(unlinked), **state_for(unlinked), failures=0)
            self._unlinked = unlinked
        finally:
            self._start_over()

    async def stop(self) -> None:
        """Disconnect, keeping the stored session (runner stopping, lease lost, or the
        database out of reach). The engine session is stopped first, before anything that
        may wait on the database: a runner cut off from it must let go of WhatsApp before its
        lease lapses, and a task cancelled in a query on a connection that does not answer
        takes seconds to end. A send cut short stays `sending`: whoever runs the device next
        settles it first (`DeviceMessages.recover`)."""
        await asyncio.gather(*await self.halt(), return_exceptions=True)

    async def halt(self) -> list[asyncio.Task[None]]:
        """`stop`'s first part: the worker's tasks cancelled and the engine session stopped;
        the cancelled tasks, to be awaited."""
        tasks = [task for task in (self._task, self._sender) if task is not None]
        for task in tasks:
            task.cancel()  # first: no lifecycle call of theirs can follow the stop
        self._sender = None
        await self._stop_session()
        return tasks

    async def remove(self) -> None:
        """The device was deleted: log out, stop, delete its stored keys."""
        await self._cancel()
        await self._stop_sender()
        await asyncio.wait_for(self.session.logout(), STOP_TIMEOUT_S * 2)
