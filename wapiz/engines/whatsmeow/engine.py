"""The whatsmeow engine: real WhatsApp sessions through neonize, inside a runner process.

How a session runs: `start` creates a neonize client on the device's own key store and calls
its blocking `connect` on a thread of the session's own. neonize calls our handlers on that
thread; each handler turns the event into a gateway event (adapter.py) and hands it to the
runner, waiting until the runner has taken it (so a slow runner slows WhatsApp down instead
of piling events up in memory). Every call into Go goes through `GoCalls` (gocalls.py).

What neonize does not do, the session does: it notices a connection that ended (connect
returned) or a QR sequence that ran out, and reports it; the runner then reconnects with
backoff. neonize leaks a store handle per connect, which nothing can close (route.py): so a
start first checks that WhatsApp is reachable on the device's route, and a device whose route
is down never reaches Go. The connects that do reach it are counted, and past
`whatsmeow_recycle_after` of them the engine asks for its process to be replaced; only the
quarantine runner, which holds no linked session, does so (workers/runner/roles.py).
"""

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.engines import events
from wapiz.engines.base import (
    FORBIDDEN,
    EngineError,
    EngineSession,
    EventSink,
    NotConnected,
    NotSupported,
    OutboundMessage,
    SendResult,
    SessionConfig,
    WhatsAppEngine,
)
from wapiz.engines.content import Edit, PollVote, Revoke
from wapiz.engines.events import (
    Disconnected,
    EngineEvent,
    InboundMessage,
    LoggedIn,
    QrCode,
    Receipt,
    phone_of,
)
from wapiz.engines.groups import GroupInfo, GroupSettings, Joined, JoinRequest, ParticipantResult
from wapiz.engines.whatsmeow import adapter, outbound, people, route
from wapiz.engines.whatsmeow import groups as wa_groups
from wapiz.engines.whatsmeow.gocalls import GoCalls
from wapiz.engines.whatsmeow.store import SessionStores
from wapiz.kit.addresses import UnsafeAddress, mask_credentials, pinned_proxy

log = logging.getLogger(__name__)

T = TypeVar("T")

# A start holds the lifecycle lock until neonize has registered the client in its maps. Go
# does not say when; a QR code, an event or connect returning prove it, and otherwise the
# lock is let go after this long: registering is opening the device's store (milliseconds
# for a file, more for a PostgreSQL schema), while proof can take a whole handshake (which
# would make starting 200 devices take minutes).
REGISTER_WAIT_S = {"sqlite": 0.5, "postgresql": 2.0}
LIFECYCLE_TIMEOUT_S = 15.0
PAIR_TIMEOUT_S = 20.0
ROUND_TRIP_TIMEOUT_S = 10.0
LID_WAIT_S = 1.0
HANDOFF_TIMEOUT_S = 30.0
# whatsmeow shows the first QR code for 60 s and each next one for 20 s.
FIRST_QR_S = 60.0
NEXT_QR_S = 20.0
QR_GRACE_S = 5.0
DEFAULT_RECYCLE_AFTER = {"sqlite": 200, "postgresql": 20}
CLIENT_NUMBERS = itertools.count(1)


def _quiet_neonize() -> None:
    # neonize logs every Go line at INFO and reads its Go log level from this logger.
    for name in ("neonize", "whatsmeow", "Whatsmeow"):
        logging.getLogger(name).setLevel(logging.WARNING)


@dataclass(eq=False)
class Attempt:
    """One `start`: one neonize client (with an id of its own in Go's maps), its connect
    thread, and what it has shown. Events of an attempt that is no longer current are
    dropped, so a late event from a stopped client never reaches the runner."""

    client: Any
    client_id: str
    proxy: str | None  # checked and pinned to an address (see _checked_proxy)
    # Set once Go is past the dial (a QR code, an event, or connect returned): only then is
    # Go's Stop prompt; before, it waits for the dial to time out (up to a minute).
    registered: threading.Event = field(default_factory=threading.Event)
    stop_deferred: bool = False  # stopped while dialling: Go's Stop waits for the dial
    started: bool = False  # start() has returned; later failures are reported as events
    error: str | None = None  # connect failed before that
    stopped: bool = False
    logged_in: bool = False
    qr_count: int = 0


class WhatsmeowSession(people.PeopleSession, EngineSession):
    def __init__(self, engine: "WhatsmeowEngine", key: str, config: SessionConfig,
                 emit: EventSink) -> None:
        self.engine = engine
        self.key = key
        self.config = config
        self._emit = emit
        self._loop = asyncio.get_running_loop()
        self._attempt: Attempt | None = None
        self._starts = 0
        self._stopping = False
        # Guards an attempt's fields between the connect thread and the lifecycle thread.
        self._lock = threading.Lock()
        self._qr_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self.jid: str | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        from neonize.client import NewClient

        proxy = await self._checked_proxy()
        try:
            await route.check_route(proxy)
        except route.RouteDown as down:
            # Only the kind reaches /status; the words (host and port, never a password)
            # the log.
            log.info("device %s: %s (%s)", self.key, down, down.kind)
            raise EngineError(events.CONNECT_FAILED, down.kind) from None
        await self.engine.stores.prepare(self.key)
        self._starts += 1
        if self._starts > 1:
            self.engine.retries += 1
        self._stopping = False
        # Unique in the process (Go's maps are per process): a device handed back to this
        # process later must not reuse the id of a client whose stop may still be on its way.
        client_id = f"wapiz-{self.key}-{next(CLIENT_NUMBERS)}"

        def begin() -> Attempt | None:
            if self._stopping:  # stop() was asked while this start waited its turn
                return None
            # One store per device, never a jid: neonize resumes the store's only device, or
            # pairs a new one when the store is empty (first use, or after a logout).
            client = NewClient(self.engine.stores.name(self.key), uuid=client_id)
            # neonize would call Go's Stop from the garbage collector, on any thread.
            client._stop_finalizer.detach()
            attempt = Attempt(client, client_id, proxy)
            self._subscribe(attempt)
            self._attempt = attempt
            threading.Thread(target=self._connect, args=(attempt,), name=f"wa-{self.key[:8]}",
                             daemon=True).start()
            attempt.registered.wait(self.engine.register_wait_s)
            with self._lock:
                attempt.started = True
                if attempt.error is None:
                    self.engine.go.register(client_id)
            return attempt

        attempt = await self.engine.go.lifecycle(begin, LIFECYCLE_TIMEOUT_S)
        if attempt is None:
            raise EngineError(events.CONNECT_FAILED, "stopped before it started")
        if attempt.error is not None:
            raise EngineError(events.CONNECT_FAILED,
                              adapter.failure_kind(attempt.error, attempt.proxy is not None))

    async def _checked_proxy(self) -> str | None:
        """The proxy for this attempt, checked now: Go dials it itself, so its host is
        resolved here, refused if not public (unless WAPIZ_PROXY_ALLOW_PRIVATE), and handed to
        Go as the checked address (net.pinned_proxy)."""
        proxy = self.config.proxy or self.engine.settings.proxy
        if proxy is None:
            return None
        try:
            return await pinned_proxy(proxy, self.engine.settings.proxy_allow_private)
        except UnsafeAddress as refused:
            log.warning("device %s: proxy %s refused: %s (only with "
                        "WAPIZ_PROXY_ALLOW_PRIVATE=true)", self.key, mask_credentials(proxy),
                        refused.reason.en)
            raise EngineError(events.CONNECT_FAILED, events.PROXY_REFUSED) from None
        except (OSError, UnicodeError) as exc:
            log.info("device %s: proxy %s does not resolve: %s", self.key,
                     mask_credentials(proxy), exc)
            raise EngineError(events.CONNECT_FAILED, events.DNS_FAILED) from None

    def _connect(self, attempt: Attempt) -> None:
        """The connect thread: neonize's `connect` blocks for the life of the connection."""
        from neonize._binder import ProxySettings

        proxy = attempt.proxy
        error = ""
        try:
            attempt.client.connect(ProxySettings(proxy_address=proxy) if proxy else None)
        except Exception as exc:
            error = str(exc) or type(exc).__name__
        if error:
            # The whole text for the operator; the device's status gets only its kind.
            log.info("device %s: connect failed: %s", self.key, mask_credentials(error))
        with self._lock:
            if not attempt.started:
                attempt.error = error or "the connection ended at once"
                attempt.registered.set()
                return
        self._past_dial(attempt)
        # The connection ended without being asked to.
        reason = events.CONNECT_FAILED if error else events.CONNECTION_LOST
        self._hand_off(attempt, Disconnected(
            reason, detail=adapter.failure_kind(error, proxy is not None) if error else None))

    async def stop(self) -> None:
        self._stopping = True
        self._cancel_qr_timer()

        def end() -> None:
            # The attempt is read here, in turn: a start queued before this stop has run.
            attempt = self._attempt
            if attempt is None or attempt.stopped:
                return
            with self._lock:
                attempt.stopped = True
                # Go's Stop during a dial would hold every other call back until the dial
                # times out; the connect thread stops the client once the dial is over.
                attempt.stop_deferred = not attempt.registered.is_set()
            self.engine.go.forget(attempt.client_id)
            if not attempt.stop_deferred:
                attempt.client.stop()  # safe even if Go never registered it (it checks)

        await self.engine.go.lifecycle(end, LIFECYCLE_TIMEOUT_S)

    def _past_dial(self, attempt: Attempt) -> None:
        """On the connect thread, as Go gets past the dial: a stop that was put off until
        now is carried out (in turn, like any stop)."""
        attempt.registered.set()
        with self._lock:
            deferred, attempt.stop_deferred = attempt.stop_deferred, False
        if deferred:
            with contextlib.suppress(RuntimeError):  # the runner is shutting down
                asyncio.run_coroutine_threadsafe(
                    self.engine.go.lifecycle(attempt.client.stop, LIFECYCLE_TIMEOUT_S),
                    self._loop)

    async def logout(self) -> None:
        attempt = self._attempt
        if attempt is not None and attempt.logged_in and not attempt.stopped:
            # Logging out only looks the client up in Go's maps: it is a reading call, so a
            # slow WhatsApp holds back no one else's sends.
            with contextlib.suppress(Exception):  # a dead connection cannot log out
                await self._call(attempt, attempt.client.logout, LIFECYCLE_TIMEOUT_S)
        await self.stop()
        await self.engine.stores.delete(self.key)

    async def pair_phone(self, phone: str) -> str:
        from neonize.utils.enum import ClientName, ClientType

        attempt = self._current(pairing=True)
        # The phone then lists the link as "Chrome (Linux)". Asking for a code only reads
        # neonize's maps.
        return await self._call(
            attempt, lambda: attempt.client.PairPhone(phone, True, ClientName.LINUX,
                                                      ClientType.CHROME), PAIR_TIMEOUT_S)

    async def probe(self) -> None:
        attempt = self._current()
        if not await self._call(attempt, lambda: attempt.client.is_connected,
                                ROUND_TRIP_TIMEOUT_S):
            raise NotConnected("the socket is closed")
        if self.jid is not None:
            # A real round trip: the server answers a usync query for our own number.
            await self._call(attempt, lambda: attempt.client.is_on_whatsapp(phone_of(self.jid)),
                             ROUND_TRIP_TIMEOUT_S)

    # --- operations the message work uses -----------------------------------------------

    def _current(self, pairing: bool = False) -> Attempt:
        attempt = self._attempt
        ready = attempt is not None and (attempt.qr_count > 0 if pairing else attempt.logged_in)
        if attempt is None or attempt.stopped or not ready:
            raise NotConnected("pairing has not started" if pairing else "not logged in")
        return attempt

    async def _call(self, attempt: Attempt, fn: Callable[[], T],
                    limit_s: float | None = None) -> T:
        try:
            return await self.engine.go.call(attempt.client_id, fn,
                                             limit_s or self.engine.call_timeout)
        except TimeoutError:
            raise EngineError("timeout", "WhatsApp did not answer in time") from None
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError("engine_error", str(exc) or type(exc).__name__) from exc

    async def send(self, message: OutboundMessage) -> SendResult:
        attempt = self._current()
        client = attempt.client

        def send_now() -> Any:
            chat = outbound.to_jid(message.to)
            match message.content:
                case Revoke(target=target):
                    sender = outbound.to_jid(target.sender or self.jid or "")
                    return client.revoke_message(chat, sender, target.id)
                case Edit(target=target, text=text):
                    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

                    return client.edit_message(chat, target.id, wa.Message(conversation=text))
                case PollVote(poll=poll) as vote if poll.sender is None:
                    # A vote in our own poll: whatsmeow finds the poll's key under its sender.
                    own = f"{events.phone_of(self.jid)}@{adapter.PHONE_SERVER}"
                    return client.send_message(chat, outbound.build(client, replace(
                        message, content=replace(vote, poll=replace(poll, sender=own)))))
            return client.send_message(chat, outbound.build(client, message))

        response = await self._call(attempt, send_now)
        sent_at = datetime.fromtimestamp(response.Timestamp, UTC) if response.Timestamp else None
        return SendResult(message_id=response.ID, timestamp=sent_at or utc_now())

    async def download(self, ref: bytes) -> bytes:
        from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

        attempt = self._current()
        return await self._call(
            attempt, lambda: attempt.client.download_any(wa.Message.FromString(ref)))

    async def check(self, phones: Sequence[str]) -> dict[str, str | None]:
        attempt = self._current()
        answers = await self._call(attempt, lambda: attempt.client.is_on_whatsapp(*phones))
        found = {answer.Query.lstrip("+"): adapter.jid_text(answer.JID)
                 for answer in answers if answer.IsIn}
        return {phone: found.get(phone) for phone in phones}

    async def mark_read(self, chat: str, sender: str, message_ids: Sequence[str]) -> None:
        from neonize.utils.enum import ReceiptType

        attempt = self._current()
        await self._call(attempt, lambda: attempt.client.mark_read(
            *message_ids, chat=outbound.to_jid(chat), sender=outbound.to_jid(sender),
            receipt=ReceiptType.READ))

    # --- groups (groups.py reads neonize's answers) -------------------------------------

    async def _group_call(self, fn: Callable[[Any], T]) -> T:
        """`fn(client)` on the logged-in client, its refusal worded for groups."""
        attempt = self._current()
        try:
            return await self._call(attempt, lambda: fn(attempt.client))
        except EngineError as failure:
            raise wa_groups.refusal(failure) from None

    async def groups(self) -> list[GroupInfo]:
        joined = await self._group_call(lambda client: client.get_joined_groups())
        return [wa_groups.group_info(info) for info in joined]

    async def group(self, group: str) -> GroupInfo:
        return wa_groups.group_info(await self._group_call(
            lambda client: client.get_group_info(outbound.to_jid(group))))

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        return wa_groups.group_info(await self._group_call(lambda client: client.create_group(
            subject, [outbound.to_jid(jid) for jid in participants])))

    async def change_group(self, group: str, changes: GroupSettings) -> None:
        if changes.join_approval is not None:
            raise NotSupported("turning join approval on or off (neonize 0.5.2 lacks "
                               "SetGroupJoinApprovalMode)")
        jid = outbound.to_jid(group)

        def change(client: Any) -> None:
            # One call each, as whatsmeow has them; the topic's ids are left to whatsmeow
            # (it reads the current one and makes the new one).
            if changes.subject is not None:
                client.set_group_name(jid, changes.subject)
            if changes.description is not None:
                client.set_group_topic(jid, "", "", changes.description)
            if changes.announce is not None:
                client.set_group_announce(jid, changes.announce)
            if changes.locked is not None:
                client.set_group_locked(jid, changes.locked)

        await self._group_call(change)

    async def set_group_picture(self, group: str, jpeg: bytes) -> str:
        # Bytes, never text: neonize reads a str as a file path or a URL to fetch.
        return str(await self._group_call(
            lambda client: client.set_group_photo(outbound.to_jid(group), jpeg)))

    async def change_participants(self, group: str, action: str,
                                  participants: Sequence[str]) -> list[ParticipantResult]:
        from neonize.utils.enum import ParticipantChange

        answered = await self._group_call(lambda client: client.update_group_participants(
            outbound.to_jid(group), [outbound.to_jid(jid) for jid in participants],
            ParticipantChange(action)))
        return wa_groups.participant_results(list(participants), list(answered))

    async def invite_link(self, group: str, reset: bool = False) -> str:
        return str(await self._group_call(
            lambda client: client.get_group_invite_link(outbound.to_jid(group), reset)))

    async def join_group(self, link: str) -> Joined:
        jid = adapter.jid_text(await self._group_call(
            lambda client: client.join_group_with_link(link)))
        try:
            return Joined(jid, await self.group(jid))
        except EngineError as failure:
            if failure.reason != FORBIDDEN:
                raise
            # whatsmeow answers a request that waits for the admins' approval with the
            # group's id, as it answers a join: only the group says which it was.
            return Joined(jid, None)

    async def leave_group(self, group: str) -> None:
        await self._group_call(lambda client: client.leave_group(outbound.to_jid(group)))

    async def join_requests(self, group: str) -> list[JoinRequest]:
        asked = await self._group_call(
            lambda client: client.get_group_request_participants(outbound.to_jid(group)))
        return [wa_groups.join_request(request) for request in asked]

    async def answer_join_requests(self, group: str, action: str,
                                   participants: Sequence[str]) -> list[ParticipantResult]:
        raise NotSupported("answering join requests (neonize 0.5.2 lacks "
                           "UpdateGroupRequestParticipants)")

    # --- events, on the connect thread ---------------------------------------------------

    def _subscribe(self, attempt: Attempt) -> None:
        """Register a handler for every event we translate (neonize subscribes Go to only
        the registered ones, so this must happen before `connect`)."""
        from neonize import events as ev

        client = attempt.client
        client.event.qr(lambda _client, code: self._on_qr(attempt, code))

        def resolve(lid: str) -> str | None:
            return self._resolve_lid(attempt, lid)

        handlers: dict[Any, Callable[[Any], EngineEvent | None]] = {
            ev.ConnectedEv: lambda _: self._logged_in_event(client),
            ev.PairStatusEv: adapter.pair_status,
            ev.LoggedOutEv: adapter.logged_out,
            ev.ConnectFailureEv: adapter.connect_failure,
            ev.TemporaryBanEv: lambda event: adapter.temporary_ban(event, utc_now()),
            ev.StreamReplacedEv: lambda _: adapter.stream_replaced(),
            ev.KeepAliveTimeoutEv: adapter.keepalive_timeout,
            ev.KeepAliveRestoredEv: lambda _: self._logged_in_event(client),
            ev.ClientOutdatedEv: lambda _: Disconnected(events.CLIENT_OUTDATED),
            ev.DisconnectedEv: lambda _: Disconnected(events.CONNECTION_LOST),
            ev.MessageEv: lambda event: adapter.inbound_message(
                event, resolve, lambda vote: self._decrypt_vote(attempt, vote)),
            ev.ReceiptEv: lambda event: adapter.receipt(event, resolve),
            ev.JoinedGroupEv: wa_groups.joined_group,
            ev.GroupInfoEv: lambda event: wa_groups.group_changed(event, resolve),
            ev.OfflineSyncCompletedEv: lambda _: None,
            ev.CallOfferEv: lambda event: people.call_offer(event, resolve),
            ev.PresenceEv: lambda event: people.presence(event, resolve),
            ev.ChatPresenceEv: lambda event: people.chat_presence(event, resolve),
        }
        if self.config.history_sync_days is not None:  # else Go is not even subscribed
            handlers[ev.HistorySyncEv] = lambda event: adapter.history_sync(
                event, self.jid, resolve)
        for event_type, translate in handlers.items():
            client.event(event_type)(self._handler(attempt, translate))

    def _handler(self, attempt: Attempt,
                 translate: Callable[[Any], EngineEvent | None]) -> Callable[..., None]:
        def handle(_client: Any, event: Any) -> None:
            self._past_dial(attempt)
            if not self._is_current(attempt):  # before any work on a stale event
                return
            try:
                translated = translate(event)
            except Exception:
                log.exception("device %s: could not read a %s event", self.key,
                              type(event).__name__)
                return
            if translated is not None:
                self._hand_off(attempt, translated)

        return handle

    def _is_current(self, attempt: Attempt) -> bool:
        return attempt is self._attempt and not attempt.stopped

    def _logged_in_event(self, client: Any) -> EngineEvent | None:
        me = getattr(client, "me", None)
        jid = adapter.jid_text(me.JID, with_device=True) if me is not None else self.jid
        return LoggedIn(jid) if jid else None

    def _on_qr(self, attempt: Attempt, code: bytes) -> None:
        self._past_dial(attempt)
        if not self._is_current(attempt):
            return
        attempt.qr_count += 1
        lifetime = FIRST_QR_S if attempt.qr_count == 1 else NEXT_QR_S
        expires_at = utc_now() + timedelta(seconds=lifetime)
        self._loop.call_soon_threadsafe(self._arm_qr_timer, attempt, lifetime + QR_GRACE_S)
        self._hand_off(attempt, QrCode(code.decode(), expires_at))

    def _resolve_lid(self, attempt: Attempt, lid: str) -> str | None:
        """The phone number behind a LID, from the session's store (None if unknown)."""

        def look_up() -> str | None:
            return attempt.client.get_pn_from_lid(outbound.to_jid(lid)).User or None

        # On the connect thread: never wait long for a lifecycle call to finish.
        with contextlib.suppress(Exception):  # no mapping known
            return self.engine.go.call_now(attempt.client_id, look_up, LID_WAIT_S)
        return None

    def _decrypt_vote(self, attempt: Attempt, event: Any) -> list[bytes]:
        """A poll vote's chosen options (their SHA-256), decrypted with the poll's key from
        the session's store."""
        chosen = self.engine.go.call_now(
            attempt.client_id, lambda: attempt.client.decrypt_poll_vote(event).selectedOptions,
            LID_WAIT_S)
        if chosen is None:
            raise RuntimeError("the session did not answer (stopped, or busy too long)")
        return list(chosen)

    def _hand_off(self, attempt: Attempt, event: EngineEvent) -> None:
        """Give the event to the runner and wait until it has been taken; an event of an
        attempt that was stopped or replaced meanwhile is dropped."""
        if not self._is_current(attempt):
            return
        if isinstance(event, LoggedIn):
            attempt.logged_in = True
            self.jid = event.jid
            self._loop.call_soon_threadsafe(self._cancel_qr_timer)
        elif isinstance(event, events.LoggedOut | Disconnected):
            attempt.logged_in = False
        # A message or receipt is waited for without a limit: WhatsApp's acknowledgement
        # goes out only when this returns, so a slow database holds it back instead of
        # losing the message (and Go stops reading once its buffer is full).
        limit = (None if isinstance(event, InboundMessage | Receipt | events.HistorySync)
                 else HANDOFF_TIMEOUT_S)
        try:
            future = asyncio.run_coroutine_threadsafe(self._emit(event), self._loop)
            future.result(limit)
        except Exception:
            log.exception("device %s: the runner did not take a %s event", self.key,
                          type(event).__name__)

    # --- QR expiry: neonize does not say when the last code has run out ------------------

    def _arm_qr_timer(self, attempt: Attempt, delay: float) -> None:
        self._cancel_qr_timer()
        self._qr_timer = self._loop.call_later(delay, self._qr_ran_out, attempt)

    def _cancel_qr_timer(self) -> None:
        if self._qr_timer is not None:
            self._qr_timer.cancel()
            self._qr_timer = None

    def _qr_ran_out(self, attempt: Attempt) -> None:
        self._qr_timer = None
        if self._is_current(attempt) and not attempt.logged_in:
            task = asyncio.ensure_future(self._emit(Disconnected(events.QR_TIMEOUT)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


class WhatsmeowEngine(WhatsAppEngine):
    name = "whatsmeow"

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.stores = SessionStores(settings, database)
        self.go = GoCalls()
        self.call_timeout = settings.engine_call_timeout_seconds
        store_kind = "postgresql" if self.stores.postgres else "sqlite"
        self.register_wait_s = REGISTER_WAIT_S[store_kind]
        self.recycle_after = settings.whatsmeow_recycle_after or DEFAULT_RECYCLE_AFTER[store_kind]
        # Reconnects (a session's starts after its first): what the recycle budget counts, so
        # a fresh runner taking many devices does not count itself out at once.
        self.retries = 0

    async def open(self) -> None:
        _quiet_neonize()
        # Importing neonize loads the Go library (~60 MB) once per runner process.
        await asyncio.to_thread(__import__, "neonize.client")

    async def close(self) -> None:
        self.go.close()

    def session(self, key: str, config: SessionConfig, emit: EventSink) -> EngineSession:
        return WhatsmeowSession(self, key, config, emit)

    async def destroy(self, key: str) -> None:
        # Without a live session there is no one to log out with: the keys go, and WhatsApp
        # drops the dead linked device from the phone's list on its own.
        await self.stores.delete(key)

    @property
    def needs_recycle(self) -> bool:
        return self.retries >= self.recycle_after
