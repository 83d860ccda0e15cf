"""The runner: leases devices from the database and keeps their sessions alive.

Loop: renew the leases held (in a task of its own, so slow work never lets them lapse, with
the runner's heartbeat in `nodes` beside them), claim devices no live lease covers up to the
runner's fair share (runner/spread.py), hand over what is beyond it, restart sessions whose
settings changed, and clean up devices their owners deleted. Beside it, requests from the
API (a pairing code) are carried out by the device's session. Told to stop while other
runners of its kind are alive, a runner drains: it hands its devices to them a batch at a
time, each taken before the next; then (or alone) every session is stopped (keys kept) and
every lease handed back, so the next runner resumes them at once; after a crash the leases
simply expire and another runner takes over. An engine that leaks per connection asks for its
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
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import wapiz.db.models  # noqa: F401  (every table: rows we insert name others by FK)
from wapiz.cluster.models import NodeRole
from wapiz.cluster.nodes import Heartbeat, NodeCard, NodeRows
from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database, Waits
from wapiz.db.schema import require_current_schema
from wapiz.db.wakeups import Listener
from wapiz.engines import whatsapp_engine_for
from wapiz.engines.base import EngineError, WhatsAppEngine
from wapiz.engines.events import CONNECTING
from wapiz.kit.identity import process_identity
from wapiz.messages.store import media_store_for
from wapiz.webhooks import outbox
from wapiz.webhooks.events import DEVICE_STATUS, DeviceStatusData
from wapiz.workers.retention.prune import prune_forever
from wapiz.workers.runner import metrics
from wapiz.workers.runner.device_requests import PendingRequests
from wapiz.workers.runner.leases import DeviceStart, Lease, LeaseRepository
from wapiz.workers.runner.roles import Role, fits
from wapiz.workers.runner.send_queue import devices_with_due
from wapiz.workers.runner.sender import DeviceMessages
from wapiz.workers.runner.spread import SLACK, share_of
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
REBALANCE_BATCH = 5  # devices a runner above its share hands over per tick: a joiner
# starts their sessions a few at a time instead of all at once
DRAIN_BATCH = 10  # devices a draining runner hands over at once, each batch taken first
DRAIN_TIMEOUT_S = 30.0  # a draining runner hands the rest back at once after this
DRAIN_BATCH_WAIT_S = 5.0  # how long a batch may wait for the others to take it
TAKEN_POLL_S = 0.05
# Devices a runner takes per tick: one taking hundreds at once (a first start, a dead runner's
# devices) starts their sessions a batch at a time, a short pause apart, so its event loop and
# database connections stay free for its lease renewals (bench/README.md, scale_bench).
CLAIM_BATCH = 50
CLAIM_PAUSE_S = 0.5
RECYCLE_EXIT = 3  # "replace me": the supervisor restarts the runner at once
IDLE_EXIT = 4  # a runner of a role with nothing to hold: started again when there is work
IDLE_AFTER_S = 30.0
FIRST_CONNECT_WAIT_S = 5.0  # a request waits this long for a new session's connect


class Runner:
    def __init__(
        self, settings: Settings, database: Database, whatsapp: WhatsAppEngine,
        identity: str | None = None, role: Role = Role.ALL,
        more_time: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.fits = fits(role)
        self.idle_after_s = IDLE_AFTER_S
        self.database = database
        # Renewals on a connection of their own (opened by `run`), so that a burst of the
        # sessions' writes never holds them up past their deadline: on SQLite, an engine of
        # their own takes write turns beside this one's (db/write_turns.py), so a renewal
        # waits for one write transaction of the sessions', not for all that queued first.
        self.renewals = database
        self.whatsapp = whatsapp
        self.media = media_store_for(settings)  # files' bytes, for senders and retention
        self.identity = identity or process_identity(settings.runner_name)
        self.ttl = timedelta(seconds=settings.lease_ttl_seconds)
        # Seen in `nodes`; a runner is alive while its heartbeat (beside its renewals) is
        # younger than a lease: it is seen dead when its leases lapse.
        self.node = Heartbeat(NodeCard(self.identity, NodeRole.RUNNER, role,
                                       settings.runner_capacity))
        self.draining = False
        self._more_time = more_time  # asked for before draining (its process's stop deadline)
        self.workers: dict[uuid.UUID, DeviceWorker] = {}
        self._requests_in_flight: set[uuid.UUID] = set()
        self._request_tasks: set[asyncio.Task[None]] = set()
        self.wakeups = Listener(database.engine,
                                 (wakeups.DUE_MESSAGES, wakeups.DEVICE_REQUESTS, wakeups.SPREAD))

    async def run(self, stop: asyncio.Event) -> int:
        """Run until `stop`; the exit code: 0, or RECYCLE_EXIT when the engine asked."""
        log.info("runner %s starting (engine %s, role %s)", self.identity, self.whatsapp.name,
                 self.role)
        await self.whatsapp.open()
        self.renewals = Database(self.settings, "wapiz-runner", pool_size=1,
                                 waits=runner_waits(self.settings))
        async with self.database.session_scope() as db:
            await self.node.join(db)
            await wakeups.announce(db, wakeups.SPREAD)  # the others make room at once
        background = [
            asyncio.create_task(self._renew_forever(), name="lease-renewer"),
            asyncio.create_task(self.wakeups.run(), name="wake-ups"),
            asyncio.create_task(self._serve_requests(), name="device-requests"),
            asyncio.create_task(self._wake_senders(), name="sender-wake"),
            asyncio.create_task(prune_forever(self.settings, self.database, self.media),
                                name="retention"),
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
                more_to_claim = False
                try:
                    more_to_claim = await self.tick()
                except Exception:
                    log.exception("runner tick failed; retrying")
                if self.workers or self.role is Role.ALL:
                    busy_at = loop.time()
                elif loop.time() - busy_at >= self.idle_after_s:
                    log.info("runner %s: no %s devices to hold; exiting", self.identity,
                             self.role)
                    code = IDLE_EXIT
                    break
                await self._pause(stop, CLAIM_PAUSE_S if more_to_claim else None)
            if code == 0:
                await self._drain()
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await self._shutdown()
            if self.renewals is not self.database:
                await self.renewals.dispose()
            await self.whatsapp.close()
            await self.media.close()
            log.info("runner %s stopped", self.identity)
        return code

    async def tick(self) -> bool:
        """Replace crashed workers, claim free devices, clean up deleted ones; True when
        there is more to claim than one batch took."""
        for device_id, worker in list(self.workers.items()):
            if worker.lease_lost:
                metrics.LEASES_LOST.labels("fenced").inc()
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
            if misfits:
                try:
                    await self._hand_over(misfits, f"no longer a {self.role} device")
                except Exception:
                    log.exception("could not hand devices over; retrying next tick")
        await self._apply_settings()
        async with self.database.session_scope() as db:
            share = await share_of(db, self.node.card, self.fits, self.ttl)
            held = await LeaseRepository(db, self.identity).live_count()
        if len(self.workers) > share + SLACK:
            extras = list(self.workers.values())[share:][-REBALANCE_BATCH:]
            await self._hand_over([worker.lease for worker in extras],
                                  f"above its share of {share}")
            return False
        room = max(0, share - held)
        async with self.database.session_scope() as db:
            leases = LeaseRepository(db, self.identity)
            claimed = await leases.claim(self.ttl, min(room, CLAIM_BATCH), self.fits)
            starts = await leases.starting_points([lease.device_id for lease in claimed])
        metrics.LEASES_CLAIMED.inc(len(claimed))
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
        return len(claimed) == CLAIM_BATCH and room > CLAIM_BATCH

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
                await worker.finish_sending(self.settings.engine_call_timeout_seconds)
                await worker.stop()
                if self.workers.get(device_id) is worker:
                    # New settings (a new proxy) are a new situation: try at once.
                    self._start_worker(worker.lease, replace(start, failures=0))

    def _start_worker(self, lease: Lease, start: DeviceStart) -> None:
        messages = DeviceMessages(self.database, self.identity, lease, start.device_public_id,
                                  start.user_id, self.whatsapp.keeps_message_ids,
                                  base_url=self.settings.base_url, media=self.media)
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

    async def _pause(self, stop: asyncio.Event, seconds: float | None = None) -> None:
        """Until the next tick: the poll interval (or `seconds`), or sooner when the spread
        changed (devices handed over, a runner joined or drains), or a stop."""
        heard = self.wakeups.heard(wakeups.SPREAD)
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(heard.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds or self.settings.runner_poll_seconds,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        heard.clear()

    async def _hand_over(self, leases: Sequence[Lease], why: str) -> None:
        """Devices another runner should hold (one that no longer fits this runner's role:
        it logged in, was logged out, or keeps failing; or beyond its share): stop their
        sessions (keys kept), release their leases and wake the other runners to claim
        them. A send under way ends first (the device still ours, its lease renewed)."""
        await asyncio.gather(*(worker.finish_sending(self.settings.engine_call_timeout_seconds)
                               for lease in leases
                               if (worker := self.workers.get(lease.device_id)) is not None),
                             return_exceptions=True)
        workers = [worker for lease in leases
                   if (worker := self.workers.pop(lease.device_id, None)) is not None]
        await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)
        async with self.database.session_scope() as db:
            await LeaseRepository(db, self.identity).release(leases, utc_now(), CONNECTING)
            await wakeups.announce(db, wakeups.SPREAD)
        log.info("runner %s: handed %d device(s) over (%s)", self.identity, len(leases), why)

    async def _drain(self) -> None:
        """Told to stop: while other runners of this kind are alive, hand them the devices a
        batch at a time, each taken by them (or DRAIN_BATCH_WAIT_S passed) before the next,
        so that no device is without a session for more than a moment. Bounded by
        DRAIN_TIMEOUT_S; what is left (or everything, with no other runner alive, or none
        taking) is handed back at once by the shutdown."""
        self.draining = True
        async with self.database.session_scope() as db:
            await self.node.beat(db, draining=True)
            others = [runner for runner in await NodeRows(db).live_runners(self.role, self.ttl)
                      if runner.name != self.identity]
            await wakeups.announce(db, wakeups.SPREAD)  # they count without us from now on
        if not others or not self.workers:
            return
        if self._more_time is not None:
            self._more_time(DRAIN_TIMEOUT_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_TIMEOUT_S
        log.info("runner %s: draining %d device(s) to %d other runner(s)", self.identity,
                 len(self.workers), len(others))
        while self.workers and loop.time() < deadline:
            batch = [worker.lease for worker in list(self.workers.values())[:DRAIN_BATCH]]
            await self._hand_over(batch, "draining")
            if not await self._taken(batch, min(deadline, loop.time() + DRAIN_BATCH_WAIT_S)):
                log.warning("runner %s: no other runner takes its devices; releasing the "
                            "rest", self.identity)
                return

    async def _taken(self, leases: Sequence[Lease], until: float) -> bool:
        """Wait until other runners hold these devices (or `until`); whether any was taken."""
        loop = asyncio.get_running_loop()
        device_ids = [lease.device_id for lease in leases]
        while True:
            async with self.database.session_scope() as db:
                taken = await LeaseRepository(db, self.identity).taken_by_others(device_ids)
            if taken == len(device_ids) or loop.time() >= until:
                return taken > 0
            await asyncio.sleep(TAKEN_POLL_S)

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
                    requests = PendingRequests(db, self.identity)
                    if loop.time() - expired_checked >= EXPIRED_REQUESTS_EVERY_S:
                        expired_checked = loop.time()
                        await requests.delete_expired(list(self.workers), utc_now())
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
            if worker is None:
                return  # the device moved to another runner: the request is its to answer
            # Answered (or refused) only while the device is still ours at this epoch.
            lease = worker.lease
            try:
                # A device just taken (a takeover) answers once its session is up.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.reached.wait(), FIRST_CONNECT_WAIT_S)
                result = await worker.handle(kind, payload)
            except EngineError as exc:
                async with self.database.session_scope() as db:
                    await PendingRequests(db, self.identity).refuse(request_id, lease,
                                                                    exc.reason, exc.detail)
            except Exception as exc:
                log.exception("device %s: %s request failed", device_id, kind)
                async with self.database.session_scope() as db:
                    await PendingRequests(db, self.identity).refuse(request_id, lease,
                                                                    "engine_error", str(exc))
            else:
                async with self.database.session_scope() as db:
                    await PendingRequests(db, self.identity).answer(request_id, lease, result)
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
                # The lease runs from the renewal's start (the database's clock then), not
                # from its answer: counted from the answer, a slow renewal would eat the margin.
                asked_at = loop.time()
                await _within(self._renew(), deadline - asked_at)
                last_renewed = asked_at
                await asyncio.sleep(interval)
                continue
            except Exception as exc:  # TimeoutError included
                log.error("lease renewal failed: %r", exc)
            if self.workers and loop.time() >= deadline:
                log.error("runner %s: cannot renew leases; stopping all sessions", self.identity)
                # Devices claimed from now on are leased afresh: their clock starts here.
                metrics.LEASES_LOST.labels("unrenewable").inc(len(self.workers))
                await self._drop_all(last_renewed)
                last_renewed = loop.time()
                continue
            await asyncio.sleep(min(RENEW_RETRY_S, deadline - loop.time()))

    async def _renew(self) -> None:
        # Judge only the workers that existed before the renewal: a device claimed meanwhile
        # may not be visible to the renewal's statement yet.
        before = dict(self.workers)
        async with self.renewals.session_scope() as db:
            held = await LeaseRepository(db, self.identity).renew(
                [worker.lease for worker in before.values()], self.ttl
            )
            await self.node.beat(db, self.draining)  # the same clock's moment as the renewal
        lost = [
            worker
            for device_id, worker in before.items()
            if worker.lease not in held and self.workers.get(device_id) is worker
        ]
        for worker in lost:
            log.warning("device %s: lease lost; stopping its session", worker.key)
            del self.workers[worker.lease.device_id]
        metrics.LEASES_LOST.labels("taken").inc(len(lost))
        metrics.LEASES_HELD.set(len(self.workers))  # every third of the TTL: fresh enough
        await asyncio.gather(*(worker.stop() for worker in lost), return_exceptions=True)

    async def _drop_all(self, last_renewed: float | None = None) -> None:
        """Stop every session; `last_renewed` (loop time) when it is for want of renewals."""
        workers = list(self.workers.values())
        self.workers.clear()
        metrics.LEASES_HELD.set(0)
        halted = await asyncio.gather(*(worker.halt() for worker in workers),
                                      return_exceptions=True)
        if last_renewed is not None:
            log.error("runner %s: stopped %d sessions %.2f s after the last renewal",
                      self.identity, len(workers), asyncio.get_running_loop().time() - last_renewed)
        await asyncio.gather(*(task for tasks in halted if isinstance(tasks, list)
                               for task in tasks), return_exceptions=True)

    async def _shutdown(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drop_all(), SHUTDOWN_TIMEOUT_S)
        async with self.database.session_scope() as db:
            await LeaseRepository(db, self.identity).release_all(utc_now(), RUNNER_STOPPED)
            await self.node.leave(db)
            await wakeups.announce(db, wakeups.SPREAD)


async def _within(work: Coroutine[Any, Any, None], seconds: float) -> None:
    """`work`, or TimeoutError after `seconds` — on time. (`asyncio.wait_for` waits for the
    cancelled work to end, and a query on a connection that does not answer ends only after
    SQLAlchemy's 2 s grace to close it: a renewal given up late would stop the sessions
    late.) The abandoned work is cancelled and left to end by itself."""
    task = asyncio.ensure_future(work)
    await asyncio.wait([task], timeout=max(0.0, seconds))
    if not task.done():
        task.cancel()
        task.add_done_callback(lambda ended: ended.cancelled() or ended.exception())
        raise TimeoutError(f"no answer within {seconds:.1f} s")
    task.result()


def runner_waits(settings: Settings) -> Waits:
    """Bounded waits on PostgreSQL (docs/architecture.md, fencing). A statement without an
    answer fails after a third of the TTL and its connection is closed, unsent bytes
    dropped: one sent before the sessions were stopped (two thirds of the TTL after the last
    renewal) can no longer reach the server once the lease has lapsed. A transaction a
    cut-off runner left open is ended by the server within the TTL, so its row locks never
    keep a device from the runner that takes it over."""
    return Waits(statement_s=settings.lease_ttl_seconds / 3,
                 idle_in_transaction_s=settings.lease_ttl_seconds)


async def release_leases_of(database: Database, identity: str) -> None:
    """Hand back the leases of a runner known to be dead, so others need not wait, and
    forget its node, so they count without it at once."""
    async with database.session_scope() as db:
        await LeaseRepository(db, identity).release_all(utc_now(), RUNNER_CRASHED)
        await NodeRows(db).leave(identity)
        await wakeups.announce(db, wakeups.SPREAD)


async def run_runner(settings: Settings, stop: asyncio.Event, identity: str | None = None,
                     role: Role = Role.ALL,
                     more_time: Callable[[float], None] | None = None) -> int:
    database = Database(settings, "wapiz-runner", waits=runner_waits(settings))
    try:
        await require_current_schema(database)
        whatsapp = whatsapp_engine_for(settings, database)
        return await Runner(settings, database, whatsapp, identity, role, more_time).run(stop)
    finally:
        await database.dispose()
