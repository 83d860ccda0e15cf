"""The sandbox engine: sessions that pair by QR code and stay paired across restarts."""

import asyncio
import base64
import contextlib
import hashlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from wapiz.config import Settings
from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.db.wakeups import Listener
from wapiz.engines.base import (
    ChatStateChange,
    EngineError,
    EngineSession,
    EventSink,
    Label,
    NotConnected,
    OutboundMessage,
    SendResult,
    SessionConfig,
    WhatsAppEngine,
    new_message_id,
)
from wapiz.engines.content import (
    Contact,
    Edit,
    File,
    LinkPreview,
    Location,
    Poll,
    PollVote,
    Reaction,
    Revoke,
    Text,
)
from wapiz.engines.events import (
    REMOVED_FROM_PHONE,
    InboundMessage,
    LoggedIn,
    LoggedOut,
    Media,
    Party,
    QrCode,
    Receipt,
    phone_of,
)
from wapiz.engines.groups import GroupInfo, GroupSettings, Joined, JoinRequest, ParticipantResult
from wapiz.engines.sandbox import groups, network, people
from wapiz.engines.sandbox.groups import SandboxGroups
from wapiz.engines.sandbox.history import history_of
from wapiz.engines.sandbox.models import SandboxMail
from wapiz.engines.sandbox.network import SandboxStore
from wapiz.kit.jids import PHONE_SERVER, phone_jid

log = logging.getLogger(__name__)

T = TypeVar("T")

MAIL_POLL_S = 0.2  # while announcements of new mail cannot be heard
MAIL_SAFETY_POLL_S = 1.0  # while they can
MAIL_BATCH = 200


def outbound_payload(message: OutboundMessage) -> dict[str, Any]:
    """A message as the simulated network carries it (JSON; a file in base64)."""
    content = message.content
    target = (content.target if isinstance(content, Reaction | Edit | Revoke)
              else content.poll if isinstance(content, PollVote) else None)
    text = (content.caption if isinstance(content, File)
            else content.text if isinstance(content, Text | Edit) else None)
    payload: dict[str, Any] = {
        "chat": message.to, "type": message.type, "text": text,
        "location": content.to_json() if isinstance(content, Location) else None,
        "contact": content.to_json() if isinstance(content, Contact) else None,
        "poll": content.to_json() if isinstance(content, Poll) else None,
        "targetId": target.id if target else None,
        "reaction": content.emoji if isinstance(content, Reaction) else None,
        "quotedId": message.quoted.id if message.quoted else None,
        "mentions": list(message.mentions),
        "vote": [hashlib.sha256(option.encode()).hexdigest()
                 for option in (content.options if isinstance(content, PollVote) else ())],
        "timestamp": utc_now().isoformat(),
    }
    # Carried as WhatsApp carries them, so the recipient's rows show them.
    if isinstance(content, Text) and content.preview is not None:
        payload["linkPreview"] = content.preview.to_json()
    if message.forwarded:
        payload["forwarded"] = True
    if isinstance(content, File):
        payload["media"] = {
            "data": base64.b64encode(content.data).decode(), "mimetype": content.mimetype,
            "fileName": content.file_name, "ptt": content.ptt}
    return payload


def _media(payload: dict[str, Any]) -> Media | None:
    carried = payload.get("media")
    if not carried:
        return None
    data = base64.b64decode(carried["data"])
    return Media(mimetype=carried.get("mimetype") or "application/octet-stream", ref=b"",
                 file_name=carried.get("fileName"), size=len(data),
                 sha256=hashlib.sha256(data).hexdigest(), data=data)


def inbound_message(payload: dict[str, Any]) -> InboundMessage:
    """What the recipient's session sees; in a one-to-one chat the chat is the sender."""
    sender = Party(jid=payload["from"], phone=phone_of(payload["from"]))
    chat = sender if payload["chat"].endswith(f"@{PHONE_SERVER}") else Party(
        jid=payload["chat"])
    return InboundMessage(
        id=payload["id"], chat=chat, sender=sender, from_me=False,
        timestamp=datetime.fromisoformat(payload["timestamp"]), type=payload["type"],
        text=payload.get("text"),
        location=Location.from_json(payload["location"]) if payload.get("location") else None,
        contact=Contact.from_json(payload["contact"]) if payload.get("contact") else None,
        poll=Poll.from_json(payload["poll"]) if payload.get("poll") else None,
        link_preview=(LinkPreview.from_json(payload["linkPreview"])
                      if payload.get("linkPreview") else None),
        forwarded=bool(payload.get("forwarded")),
        target_id=payload.get("targetId"), reaction=payload.get("reaction"),
        quoted_id=payload.get("quotedId"), mentions=tuple(payload.get("mentions") or ()),
        media=_media(payload), ptt=bool((payload.get("media") or {}).get("ptt")),
        vote=tuple(payload.get("vote") or ()),
    )


class SandboxSession(people.PeopleSession, EngineSession):
    def __init__(
        self, engine: "SandboxEngine", key: str, config: SessionConfig, emit: EventSink
    ) -> None:
        self.engine = engine
        self.key = key
        self.config = config
        self.emit = emit
        self.jid: str | None = None
        self._qr_task: asyncio.Task[None] | None = None
        # Mail arrives on the engine's poller task while the runner may call stop/logout.
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock, self.engine.database.session_scope() as db:
            store = SandboxStore(db)
            stored = await store.load(self.key)
            if stored is not None and stored.revoked_at is not None:
                # Removed on the phone while no runner was connected: the keys are void.
                await store.delete(self.key)
                await self.emit(LoggedOut(REMOVED_FROM_PHONE))
                return
            if stored is None:
                stored = await store.add(network.new_keys(self.key))
            self.engine.attach(self)
            if stored.jid is not None:
                self.jid = stored.jid
                await self.emit(LoggedIn(stored.jid))
                return
        self._qr_task = asyncio.create_task(self._rotate_qr(), name=f"sandbox-qr-{self.key}")

    async def _rotate_qr(self) -> None:
        """Show a new code every period, like WhatsApp's ~20 s rotation."""
        period = timedelta(seconds=self.engine.settings.sandbox_qr_seconds)
        while True:
            ref = network.new_qr_ref()
            expires_at = utc_now() + period
            try:
                async with self.engine.database.session_scope() as db:
                    store = SandboxStore(db)
                    await store.publish_qr(self.key, ref, expires_at)
                    stored = await store.load(self.key)
            except Exception:
                log.exception("sandbox %s: could not publish a QR code; retrying", self.key)
                await asyncio.sleep(1)
                continue
            if stored is None:
                return
            await self.emit(QrCode(network.qr_code(stored, ref), expires_at))
            await asyncio.sleep(period.total_seconds())

    async def _stop_qr(self) -> None:
        if self._qr_task is not None:
            self._qr_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._qr_task
            self._qr_task = None

    @property
    def live(self) -> bool:
        """Attached to the network: not stopped (nor replaced by a newer session)."""
        return self.engine._live.get(self.key) is self

    async def deliver(self, mail: SandboxMail) -> bool:
        """Act on one mail; False (left for whoever runs the device now) once stopped."""
        async with self._lock:
            if not self.live:
                return False
            if mail.kind == network.PAIR_SUCCESS and self.jid is None:
                await self._stop_qr()
                jid = mail.payload["jid"]
                async with self.engine.database.session_scope() as db:
                    await SandboxStore(db).complete_pairing(self.key, jid, utc_now())
                self.jid = jid
                await self.emit(LoggedIn(jid))
                await self._send_history()
            elif mail.kind == network.LOGGED_OUT and self.jid is not None:
                async with self.engine.database.session_scope() as db:
                    await SandboxStore(db).delete(self.key)
                self.jid = None
                self.engine.detach(self)
                await self.emit(LoggedOut(mail.payload.get("reason", "logged_out")))
            elif mail.kind == network.MESSAGE:
                await self._receive([mail])
            elif mail.kind == groups.GROUP and self.jid is not None:
                await self.emit(groups.notice_of(mail.payload))
            elif mail.kind in people.NOTICE_MAIL and self.jid is not None:
                await self.emit(people.notice_of(mail))
            elif mail.kind == network.RECEIPT and self.jid is not None:
                payload = mail.payload
                chat = Party(jid=payload["chat"], phone=phone_of(payload["chat"]))
                await self.emit(Receipt(chat=chat, sender=chat, message_ids=tuple(payload["ids"]),
                                        status=payload["status"], timestamp=utc_now()))
        return True

    async def _send_history(self) -> None:
        """Just linked: the phone sends its recent history, if this device asked for it."""
        days = self.config.history_sync_days
        phone = phone_of(self.jid)
        if days is None or phone is None:
            return
        async with self.engine.database.session_scope() as db:
            history = await history_of(db, phone, utc_now() - timedelta(days=days),
                                       inbound_message)
        if history.chats:
            await self.emit(history)

    async def deliver_messages(self, mails: Sequence[SandboxMail]) -> bool:
        """Messages for this phone, in order; the session stores a burst in one go. False
        (left for whoever runs the device now) once stopped."""
        async with self._lock:
            if not self.live:
                return False
            await self._receive(mails)
            return True

    async def _receive(self, mails: Sequence[SandboxMail]) -> None:
        if self.jid is None:
            return
        # Handed over together (in order): the runner stores them in one transaction.
        await asyncio.gather(*(self.emit(inbound_message(mail.payload)) for mail in mails))
        # Delivered to this phone: the network tells the senders, a receipt per chat.
        delivered: dict[tuple[str, str], list[str]] = {}
        for mail in mails:
            key = (mail.payload["from"], mail.payload["chat"])
            delivered.setdefault(key, []).append(mail.payload["id"])
        async with self.engine.database.session_scope() as db:
            store = SandboxStore(db)
            for (sender, chat), ids in delivered.items():
                await store.send_receipt(sender, chat, ids, "delivered")

    async def pair_phone(self, phone: str) -> str:
        async with self._lock:
            if self._qr_task is None or self.jid is not None:
                raise NotConnected("pairing has not started")
            async with self.engine.database.session_scope() as db:
                return await SandboxStore(db).request_pair_code(self.key, phone)

    def _own_jid(self) -> str:
        phone = phone_of(self.jid)
        if phone is None or not self.live:
            raise NotConnected("not logged in")
        return phone_jid(phone)

    async def send(self, message: OutboundMessage) -> SendResult:
        sender = self._own_jid()
        message_id = message.id or new_message_id()
        async with self.engine.database.session_scope() as db:
            await SandboxStore(db).carry(message_id, sender, message.to, outbound_payload(message))
        return SendResult(message_id=message_id, timestamp=utc_now())

    async def check(self, phones: Sequence[str]) -> dict[str, str | None]:
        self._own_jid()
        found: dict[str, str | None] = {}
        async with self.engine.database.session_scope() as db:
            store = SandboxStore(db)
            for phone in phones:
                linked = await store.linked_sessions(phone)
                found[phone] = phone_jid(phone) if linked else None
        return found

    async def mark_read(self, chat: str, sender: str, message_ids: Sequence[str]) -> None:
        self._own_jid()
        async with self.engine.database.session_scope() as db:
            await SandboxStore(db).send_receipt(sender, chat, message_ids, "read")

    # --- groups: the network's records (engines/sandbox/groups.py), as this number ---------

    async def _as_member(self, work: Callable[[SandboxGroups], Awaitable[T]]) -> T:
        phone = phone_of(self._own_jid()) or ""
        async with self.engine.database.session_scope() as db:
            return await work(SandboxGroups(db, phone))

    async def groups(self) -> list[GroupInfo]:
        return await self._as_member(lambda g: g.joined())

    async def group(self, group: str) -> GroupInfo:
        return await self._as_member(lambda g: g.info(group))

    async def create_group(self, subject: str, participants: Sequence[str]) -> GroupInfo:
        return await self._as_member(lambda g: g.create(subject, participants))

    async def change_group(self, group: str, changes: GroupSettings) -> None:
        await self._as_member(lambda g: g.change(group, changes))

    async def set_group_picture(self, group: str, jpeg: bytes) -> str:
        return await self._as_member(lambda g: g.set_picture(group, jpeg))

    async def change_participants(self, group: str, action: str,
                                  participants: Sequence[str]) -> list[ParticipantResult]:
        return await self._as_member(lambda g: g.change_participants(group, action, participants))

    async def invite_link(self, group: str, reset: bool = False) -> str:
        return await self._as_member(lambda g: g.invite_link(group, reset))

    async def join_group(self, link: str) -> Joined:
        return await self._as_member(lambda g: g.join(link))

    async def leave_group(self, group: str) -> None:
        await self._as_member(lambda g: g.leave(group))

    async def join_requests(self, group: str) -> list[JoinRequest]:
        return await self._as_member(lambda g: g.requests(group))

    async def answer_join_requests(self, group: str, action: str,
                                   participants: Sequence[str]) -> list[ParticipantResult]:
        return await self._as_member(lambda g: g.answer_requests(group, action, participants))
    async def labels(self) -> list[Label]:
        self._own_jid()
        async with self.engine.database.session_scope() as db:
            on_chats = await SandboxStore(db).chat_labels(self.key)
        return [Label(label_id, name, color,
                      tuple(sorted(chat for chat, ids in on_chats.items() if label_id in ids)))
                for label_id, name, color in network.BUSINESS_LABELS]

    async def set_chat_labels(self, chat: str, label_ids: Sequence[str]) -> None:
        self._own_jid()
        known = {label_id for label_id, _, _ in network.BUSINESS_LABELS}
        unknown = sorted(set(label_ids) - known)
        if unknown:
            raise EngineError("not_found", f"no label {', '.join(unknown)}")
        async with self.engine.database.session_scope() as db:
            await SandboxStore(db).set_chat_labels(self.key, chat, sorted(set(label_ids)))

    async def change_chat(self, chat: str, change: ChatStateChange) -> None:
        # The simulated phone keeps no chat list of its own: it takes the change, as a
        # phone does, and there is nothing of it to show.
        self._own_jid()

    async def delete_chat(self, chat: str) -> None:
        self._own_jid()

    async def probe(self) -> None:
        async with self.engine.database.session_scope() as db:
            stored = await SandboxStore(db).load(self.key)
        if stored is None or stored.revoked_at is not None:
            raise NotConnected("the network no longer knows this session")

    async def stop(self) -> None:
        # Off the network at once, without waiting for a delivery under way (it may wait on
        # a database that does not answer): from now on the session takes no mail, acts on
        # none, sends nothing and shows no new QR code. (A delivery under way acts on no
        # more mail; what it stores for the runner is fenced by the runner's lease.)
        self.engine.detach(self)
        await self._stop_qr()

    async def logout(self) -> None:
        await self.stop()
        await self.engine.destroy(self.key)
        self.jid = None  # a start after this pairs anew


class SandboxEngine(WhatsAppEngine):
    name = "sandbox"
    keeps_message_ids = True

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._live: dict[str, SandboxSession] = {}
        self._mail_announced = Listener(database.engine, (wakeups.SANDBOX_MAIL,))
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        self._tasks = [
            asyncio.create_task(self._mail_announced.run(), name="sandbox-mail-wake-ups"),
            asyncio.create_task(self._poll_mail(), name="sandbox-mail"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def session(self, key: str, config: SessionConfig, emit: EventSink) -> EngineSession:
        # Sandbox sessions dial nothing, so a proxy has nothing to do here.
        return SandboxSession(self, key, config, emit)

    async def destroy(self, key: str) -> None:
        # Deleting the keys also removes the device from the phone's linked devices.
        async with self.database.session_scope() as db:
            await SandboxStore(db).delete(key)

    def attach(self, session: SandboxSession) -> None:
        self._live[session.key] = session
        self._mail_announced.heard(wakeups.SANDBOX_MAIL).set()  # mail may be waiting for it

    def detach(self, session: SandboxSession) -> None:
        if self._live.get(session.key) is session:
            del self._live[session.key]

    async def _poll_mail(self) -> None:
        while True:
            try:
                if await self._deliver_mail() == MAIL_BATCH:
                    continue  # more is waiting
            except Exception:
                log.exception("sandbox mail delivery failed; retrying")
            await self._mail_announced.wait(wakeups.SANDBOX_MAIL, MAIL_SAFETY_POLL_S,
                                            MAIL_POLL_S)

    async def _deliver_mail(self) -> int:
        """Deliver the waiting mail, up to a batch; how much there was."""
        async with self.database.session_scope() as db:
            mail = await SandboxStore(db).mail_for(list(self._live), MAIL_BATCH)
        # Runs of messages for one session go together; anything else one at a time.
        for key, run in itertools.groupby(mail, lambda item: (
                item.session_key, "messages" if item.kind == network.MESSAGE else item.id)):
            items = list(run)
            session = self._live.get(key[0])
            if session is None:
                continue  # stopped meanwhile: the mail waits for whoever runs the device now
            delivered = (await session.deliver_messages(items)
                         if items[0].kind == network.MESSAGE else await session.deliver(items[0]))
            if delivered:
                async with self.database.session_scope() as db:
                    await SandboxStore(db).ack_mail([item.id for item in items])
        return len(mail)
