"""The runner: leases devices from the database and keeps their sessions alive.

Loop: renew the leases held (in a task of its own, so slow work never lets them lapse),
claim devices no live lease covers, restart sessions whose settings changed, and clean up
devices their owners deleted. Beside it, requests from the API (a pairing code) are carried
out by the device's session. On shutdown every session is stopped (keys kept) and every
lease handed back, so the next runner resumes them at once; after a crash the leases simply
expire and another runner takes over. An engine that leaks per connection asks for its
process to be replaced: the runner then stops the same way and exits with RECYCLE_EXIT.
With such an engine a runner holds one kind of device (its role, runner/roles.py): a device
that stops fitting is handed over, only the quarantine runner ever recycles, and a runner
with nothing to hold exits (IDLE_EXIT) until its supervisor sees work for it again.
Every runner also prunes old rows now and then (workers/retention/).
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import wapiz.db.models  # noqa: F401  (every table: rows we insert name others by FK)
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.schema import require_current_schema
from wapiz.db.wakeups import Listener
from wapiz.engines import whatsapp_engine_for
from wapiz.engines.base import EngineError, WhatsAppEngine
from wapiz.engines.events import CONNECTING
from wapiz.kit.identity import process_identity
from wapiz.webhooks import outbox
from wapiz.webhooks.events import DEVICE_STATUS, DeviceStatusData
from wapiz.workers.retention.prune import prune_forever
from wapiz.workers.runner.device_requests import PendingRequests
from wapiz.workers.runner.leases import DeviceStart, Lease, LeaseRepository
from wapiz.workers.runner.roles import Role, fits
from wapiz.workers.runner.send_queue import devices_with_due
from wapiz.workers.runner.sender import DeviceMessages
from wapiz.workers.runner.worker import DeviceWorker

log = logging.getLogger(__name__)

RUNNER_STOPPED = "runner_stopped"
RUNNER_CRASHED = "runner_crashed"
SHUTDOWN_TIMEOUT_S = 5.0
RENEW_RETRY_S = 0.5
REQUEST_POLL_S = 0.2
WAKE_POLL_S = 0.02
SAFETY_POLL_S = 1.0  # how often to look anyway while announcements are heard
EXPIRED_REQUESTS_EVERY_S = 10.0  # the clean-up takes SQLite's write lock
MAX_DEVICES = 1000
RECYCLE_EXIT = 3  # "replace me": the supervisor restarts the runner at once
IDLE_EXIT = 4  # a runner of a role with nothing to hold: started again when there is work
IDLE_AFTER_S = 30.0


class Runner:
    def __init__(
        self, settings: Settings, database: Database, whatsapp: WhatsAppEngine,
        identity: str | None = None, role: Role = Role.ALL,
    ) -> None:
        self.settings = settings
        self.role = role
        self.fits = fits(role)
        self.idle_after_s = IDLE_AFTER_S
        self.database = database
        self.whatsapp = whatsapp
        self.identity = identity or process_identity(settings.runner_name)
        self.ttl = timedelta(seconds=settings.lease_ttl_seconds)
        self.workers: dict[uuid.UUID, DeviceWorker] = {}
        self._requests_in_flight: set[uuid.UUID] = set()
        self._request_tasks: set[asyncio.Task[None]] = set()
        self.wakeups = Listener(database.engine,
                                 (wakeups.DUE_MESSAGES, wakeups.DEVICE_REQUESTS))

    async def run(self, stop: asyncio.Event) -> int:
        """Run until `stop`; the exit code: 0, or RECYCLE_EXIT when the engine asked."""
        log.info("runner %s starting (engine %s, role %s)", self.identity, self.whatsapp.name,
                 self.role)
        await self.whatsapp.open()
        background = [
            asyncio.create_task(self._renew_forever(), name="lease-renewer"),
            asyncio.create_task(self.wakeups.run(), name="wake-ups"),
            asyncio.create_task(self._serve_requests(), name="device-requests"),
            asyncio.create_task(self._wake_senders(), name="sender-wake"),
            asyncio.create_task(prune_forever(self.settings, self.database), name="retention"),
        ]
        code = 0
        loop = asyncio.get_running_loop()
        busy_at = loop.time()
        try:
            while not stop.is_set():
                # A linked runner never recycles: that would restart every working session.
                if self.whatsapp.needs_recycle and self.role is not Role.LINKED:
                    log.warning("runner %s: engine asks to be recycled; handing devices over",
                                self.identity)
                    code = RECYCLE_EXIT
                    break
                try:
                    await self.tick()
                except Exception:
                    log.exception("runner tick failed; retrying")
                if self.workers or self.role is Role.ALL:
                    busy_at = loop.time()
                elif loop.time() - busy_at >= self.idle_after_s:
                    log.info("runner %s: no %s devices to hold; exiting", self.identity,
                             self.role)
                    code = IDLE_EXIT
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.runner_poll_seconds)
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self._shutdown()
            await self.whatsapp.close()
            log.info("runner %s stopped", self.identity)
        return code

    async def tick(self) -> None:
        """Replace crashed workers, claim free devices, clean up deleted ones."""
        for device_id, worker in list(self.workers.items()):
            if worker.lease_lost:
                del self.workers[device_id]
            elif (error := worker.crashed) is not None:
                log.warning("device %s: worker ended unexpectedly; restarting it", device_id,
                            exc_info=error)
                await worker.stop()
                self._start_worker(worker.lease, replace(worker.start_point,
                                                         failures=worker.failures))
        async with self.database.session_scope() as db:
            deleted = await LeaseRepository(db, self.identity).deleted_among_mine()
        for lease in deleted:
            await self._guarded(lease, self._remove)
        if self.role is not Role.ALL:
            async with self.database.session_scope() as db:
                misfits = await LeaseRepository(db, self.identity).misfits_among_mine(self.fits)
            for lease in misfits:
                await self._guarded(lease, self._hand_over)
        await self._apply_settings()
        capacity = MAX_DEVICES - len(self.workers)
        async with self.database.session_scope() as db:
            leases = LeaseRepository(db, self.identity)
            claimed = await leases.claim(self.ttl, capacity, self.fits)
            starts = await leases.starting_points([lease.device_id for lease in claimed])
        for lease in claimed:
            log.info("runner %s: took device %s (epoch %d)", self.identity, lease.device_id,
                     lease.epoch)
            previous = self.workers.get(lease.device_id)
            if previous is not None:
                # Our own lease had lapsed (a stall) and we took the device again: the old
                # session must go before the new one starts.
                await previous.stop()
            if lease.device_id in starts:  # (a device deleted meanwhile has none)
                self._start_worker(lease, starts[lease.device_id])
        # A device deleted while no runner held it is cleaned up on the next tick.

    async def _apply_settings(self) -> None:
        """Reconnect the sessions whose connection settings (a proxy) changed. (Senders read
        their pacing afresh for every message.)"""
        if not self.workers:
            return
        async with self.database.session_scope() as db:
            starts = await LeaseRepository(db, self.identity).starting_points(list(self.workers))
        for device_id, start in starts.items():
            worker = self.workers.get(device_id)
            if worker is None:
                continue
            if worker.config != start.config:
                log.info("device %s: settings changed; reconnecting", device_id)
                await worker.stop()
                if self.workers.get(device_id) is worker:
                    # New settings (a new proxy) are a new situation: try at once.
                    self._start_worker(worker.lease, replace(start, failures=0))

    def _start_worker(self, lease: Lease, start: DeviceStart) -> None:
        messages = DeviceMessages(self.database, self.identity, lease, start.device_public_id,
                                  start.user_id, self.whatsapp.keeps_message_ids,
                                  base_url=self.settings.base_url)
        worker = DeviceWorker(self.whatsapp, lease, start, self._write_state, messages,
                              watchdog_s=self.settings.watchdog_seconds,
                              backoff_cap_s=self.settings.reconnect_max_seconds)
        self.workers[lease.device_id] = worker
        worker.start()

    async def _guarded(self, lease: Lease, step: Callable[[Lease], Awaitable[None]]) -> None:
        """One device's step; its failure is logged and retried next tick, not spread."""
        try:
            await step(lease)
        except Exception:
            log.exception("device %s: %s failed; retrying next tick", lease.device_id,
                          step.__name__)

    async def _remove(self, lease: Lease) -> None:
        """Log a deleted device out, delete its stored keys, then its rows."""
        device_id = lease.device_id
        worker = self.workers.get(device_id)
        try:
            if worker is not None:
                await worker.remove()
            else:
                await self.whatsapp.destroy(str(device_id))
        except Exception:
            # The stored keys go regardless: a deleted device must not linger.
            log.exception("device %s: logout failed; removing its keys anyway", device_id)
            await self.whatsapp.destroy(str(device_id))
        async with self.database.session_scope() as db:
            await LeaseRepository(db, self.identity).remove_device(lease)
        self.workers.pop(device_id, None)
        log.info("runner %s: removed deleted device %s", self.identity, device_id)

    async def _hand_over(self, lease: Lease) -> None:
        """A device that no longer fits this runner's role (it logged in, was logged out,
        or keeps failing): stop its session (keys kept) and release its lease, for the runner
        of its kind to claim."""
        device_id = lease.device_id
        worker = self.workers.pop(device_id, None)
        if worker is not None:
            await worker.stop()
        async with self.database.session_scope() as db:
            await LeaseRepository(db, self.identity).release([lease], utc_now(), CONNECTING)
        log.info("runner %s: handed device %s over (no longer a %s device)", self.identity,
                 device_id, self.role)

    async def _wake_senders(self) -> None:
        """Wake the senders of devices with a message due: one read for all of them when
        the API announces new messages, and every few milliseconds where it cannot
        (db/wakeups.py), rather than a poll per device."""
        while True:
            try:
                by_device = {worker.messages.device_id: worker.messages
                             for worker in self.workers.values() if worker.sending}
                if by_device:
                    async with self.database.session_scope() as db:
                        due = await devices_with_due(db, list(by_device), utc_now())
                    for device_id in due:
                        by_device[device_id].wake.set()
            except Exception:
                log.exception("could not look for due messages; retrying")
                await asyncio.sleep(1)
            await self.wakeups.wait(wakeups.DUE_MESSAGES, SAFETY_POLL_S, WAKE_POLL_S)

    async def _serve_requests(self) -> None:
        """Hand the API's requests for our devices to their sessions, each in a task."""
        loop = asyncio.get_running_loop()
        expired_checked = loop.time()
        while True:
            try:
                async with self.database.session_scope() as db:
                    requests = PendingRequests(db)
                    if loop.time() - expired_checked >= EXPIRED_REQUESTS_EVERY_S:
                        expired_checked = loop.time()
                        await requests.delete_expired(utc_now())
                    pending = await requests.pending_for(list(self.workers), utc_now())
                    taken = [(r.id, r.device_id, r.kind, dict(r.payload)) for r in pending
                             if r.id not in self._requests_in_flight]
                for request_id, device_id, kind, payload in taken:
                    self._requests_in_flight.add(request_id)
                    task = asyncio.create_task(
                        self._answer(request_id, device_id, kind, payload))
                    self._request_tasks.add(task)
                    task.add_done_callback(self._request_tasks.discard)
            except Exception:
                log.exception("could not read device requests; retrying")
            await self.wakeups.wait(wakeups.DEVICE_REQUESTS, SAFETY_POLL_S, REQUEST_POLL_S)

    async def _answer(self, request_id: uuid.UUID, device_id: uuid.UUID, kind: str,
                      payload: dict[str, Any]) -> None:
        worker = self.workers.get(device_id)
        try:
            try:
                if worker is None:
                    raise EngineError("not_connected", "the device moved to another runner")
                result = await worker.handle(kind, payload)
            except EngineError as exc:
                async with self.database.session_scope() as db:
                    await PendingRequests(db).refuse(request_id, exc.reason, exc.detail)
            except Exception as exc:
                log.exception("device %s: %s request failed", device_id, kind)
                async with self.database.session_scope() as db:
                    await PendingRequests(db).refuse(request_id, "engine_error", str(exc))
            else:
                async with self.database.session_scope() as db:
                    await PendingRequests(db).answer(request_id, result)
        finally:
            self._requests_in_flight.discard(request_id)

    async def _write_state(self, lease: Lease, values: dict[str, Any],
                           status_event: DeviceStatusData | None = None) -> bool:
        async with self.database.session_scope() as db:
            written = await LeaseRepository(db, self.identity).write_state(
                lease, utc_now(), **values)
            if written and status_event is not None:
                await outbox.record(db, DEVICE_STATUS, status_event, lease.device_id)
        return written

    async def _renew_forever(self) -> None:
        """Renew every third of the TTL. Past two thirds without a renewal (an error, or a
        database that does not answer), another runner may hold our devices any moment: let
        go of every session rather than risk two connections for one device. With nothing
        held nothing can lapse, so the clock starts again: devices claimed afterwards carry
        leases of their own, and renewals go on as before."""
        interval = self.ttl.total_seconds() / 3
        loop = asyncio.get_running_loop()
        last_renewed = loop.time()
        while True:
            if not self.workers:
                last_renewed = loop.time()
            deadline = last_renewed + 2 * interval
            try:
                await asyncio.wait_for(self._renew(), max(0.0, deadline - loop.time()))
                last_renewed = loop.time()
                await asyncio.sleep(interval)
                continue
            except Exception as exc:  # TimeoutError included
                log.error("lease renewal failed: %r", exc)
            if self.workers and loop.time() >= deadline:
                log.error("runner %s: cannot renew leases; stopping all sessions", self.identity)
                # Devices claimed from now on are leased afresh: their clock starts here.
                last_renewed = loop.time()
                await self._drop_all()
                continue
            await asyncio.sleep(min(RENEW_RETRY_S, deadline - loop.time()))

    async def _renew(self) -> None:
        # Judge only the workers that existed before the renewal: a device claimed meanwhile
        # may not be visible to the renewal's statement yet.
        before = dict(self.workers)
        async with self.database.session_scope() as db:
            held = await LeaseRepository(db, self.identity).renew(
                [worker.lease for worker in before.values()], self.ttl
            )
        lost = [
            worker
            for device_id, worker in before.items()
            if worker.lease not in held and self.workers.get(device_id) is worker
        ]
        for worker in lost:
            log.warning("device %s: lease lost; stopping its session", worker.key)
            del self.workers[worker.lease.device_id]
        await asyncio.gather(*(worker.stop() for worker in lost), return_exceptions=True)

    async def _drop_all(self) -> None:
        workers = list(self.workers.values())
        self.workers.clear()
        await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)

    async def _shutdown(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drop_all(), SHUTDOWN_TIMEOUT_S)
        async with self.database.session_scope() as db:
            await LeaseRepository(db, self.identity).release_all(utc_now(), RUNNER_STOPPED)


async def release_leases_of(database: Database, identity: str) -> None:
    """Hand back the leases of a runner known to be dead, so others need not wait."""
    async with database.session_scope() as db:
        await LeaseRepository(db, identity).release_all(utc_now(), RUNNER_CRASHED)


async def run_runner(settings: Settings, stop: asyncio.Event, identity: str | None = None,
                     role: Role = Role.ALL) -> int:
    database = Database(settings, "wapiz-runner")
    try:
        await require_current_schema(database)
        whatsapp = whatsapp_engine_for(settings, database)
        return await Runner(settings, database, whatsapp, identity, role).run(stop)
    finally:
        await database.dispose()
