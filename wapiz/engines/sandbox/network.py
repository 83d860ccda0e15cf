"""The simulated WhatsApp network: its servers' records and the phone's actions.

Both sides reach it through the database: sessions (in a runner) publish QR codes, store
keys and read their mail; the phone (driven through the API's sandbox routes) scans a QR
code or removes a linked device.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.results import rows_changed
from wapiz.db.upsert import insert_for
from wapiz.engines.events import REMOVED_FROM_PHONE, phone_of
from wapiz.engines.sandbox.models import (
    SandboxBlock,
    SandboxChatLabels,
    SandboxMail,
    SandboxMessage,
    SandboxSession,
)
from wapiz.kit.errors import Conflict
from wapiz.kit.jids import GROUP_SERVER, PHONE_SERVER
from wapiz.kit.text import Text

NOT_LINKED = Text("Device belum terhubung ke nomor WhatsApp",
                  "The device is not linked to a WhatsApp number")
NUMBER_IN_USE = Text("Nomor ini sudah tertaut ke device lain; lepaskan dulu di sana",
                     "This number is already linked to another device; unlink it there first")
PAIR_SUCCESS = "pair_success"
LOGGED_OUT = "logged_out"
MESSAGE = "message"
RECEIPT = "receipt"


def _random_b64(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode()


def new_keys(key: str) -> SandboxSession:
    """Fresh pairing keys, as a new companion device generates them."""
    return SandboxSession(
        key=key, identity_key=_random_b64(32), noise_key=_random_b64(32), adv_secret=_random_b64(32)
    )


def new_qr_ref() -> str:
    return _random_b64(18)


def qr_code(session: SandboxSession, ref: str) -> str:
    """Shaped like WhatsApp's: `2@<ref>,<noise key>,<identity key>,<adv secret>`."""
    return f"2@{ref},{session.noise_key},{session.identity_key},{session.adv_secret}"


PAIR_CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"  # WhatsApp's: no 0, O, I or U


def new_pair_code() -> str:
    """`ABCD-EFGH`, as WhatsApp shows a pairing code."""
    letters = "".join(secrets.choice(PAIR_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def ref_of(code: str) -> str | None:
    if not code.startswith("2@") or code.count(",") != 3:
        return None
    return code[2:].split(",", 1)[0]


# The labels a WhatsApp Business account starts with: (id, name, colour number).
BUSINESS_LABELS = (("1", "New customer", 0), ("2", "New order", 1),
                   ("3", "Pending payment", 2), ("4", "Paid", 3), ("5", "Order complete", 4))


async def post(session: AsyncSession, mail: Sequence[SandboxMail]) -> None:
    """Put mail in sessions' boxes; the engines holding them hear of it at commit."""
    if not mail:
        return
    session.add_all(mail)
    await session.flush()
    await wakeups.announce(session, wakeups.SANDBOX_MAIL)


class SandboxStore:
    """The session side: a device's stored keys and its mailbox."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, key: str) -> SandboxSession | None:
        statement = select(SandboxSession).where(SandboxSession.key == key)
        return await self.session.scalar(statement.execution_options(populate_existing=True))

    async def add(self, row: SandboxSession) -> SandboxSession:
        self.session.add(row)
        await self.session.flush()
        return row

    async def publish_qr(self, key: str, ref: str, expires_at: datetime) -> None:
        await self.session.execute(
            update(SandboxSession)
            .where(SandboxSession.key == key)
            .values(current_qr_ref=ref, qr_expires_at=expires_at)
        )

    async def request_pair_code(self, key: str, phone: str) -> str:
        code = new_pair_code()
        await self.session.execute(
            update(SandboxSession)
            .where(SandboxSession.key == key)
            .values(pair_code=code, pair_phone=phone)
        )
        return code

    async def complete_pairing(self, key: str, jid: str, now: datetime) -> None:
        await self.session.execute(
            update(SandboxSession)
            .where(SandboxSession.key == key)
            .values(jid=jid, paired_at=now, current_qr_ref=None, qr_expires_at=None,
                    pair_code=None, pair_phone=None)
        )

    async def delete(self, key: str) -> None:
        await self.session.execute(delete(SandboxSession).where(SandboxSession.key == key))
        await self.session.execute(delete(SandboxMail).where(SandboxMail.session_key == key))

    async def linked_sessions(self, phone: str) -> Sequence[SandboxSession]:
        """The sessions linked to a phone number (its companion devices), still valid."""
        statement = select(SandboxSession).where(
            SandboxSession.jid.like(f"{phone}:%"), SandboxSession.revoked_at.is_(None))
        return (await self.session.scalars(statement)).all()

    async def carry(self, message_id: str, sender: str, chat: str,
                    payload: dict[str, Any]) -> bool:
        """Deliver a message to every session linked to the recipient's number (to each other
        participant's, in a group), once per message id (a resend under the same id is
        dropped, as WhatsApp's clients drop it). False if it was carried before."""
        # One statement, no read first: on SQLite a read then a write in one transaction
        # fails at once when another writer got in between.
        carried = await self.session.execute(
            insert_for(self.session, SandboxMessage)
            .values(id=message_id, sender=sender, chat=chat, created_at=utc_now(),
                    # Files are not kept for history: their bytes went with the mail.
                    payload={**{key: value for key, value in payload.items()
                                if key != "media"}, "id": message_id, "from": sender})
            .on_conflict_do_nothing())
        if rows_changed(carried) == 0:
            return False
        if chat.endswith(f"@{GROUP_SERVER}"):
            # Every other participant's devices; refused if the sender may not send there.
            from wapiz.engines.sandbox.groups import SandboxGroups  # it builds on this module

            phones = await SandboxGroups(self.session, phone_of(sender) or "").recipients(chat)
        else:
            phones = [chat.split("@", 1)[0]]
        # A recipient who blocked the sender gets nothing, as on WhatsApp.
        blocking = set(await self.session.scalars(select(SandboxBlock.phone).where(
            SandboxBlock.phone.in_(phones), SandboxBlock.blocked == (phone_of(sender) or ""))))
        phones = [phone for phone in phones if phone not in blocking]
        await post(self.session, [
            SandboxMail(session_key=target.key, kind=MESSAGE,
                        payload={**payload, "id": message_id, "from": sender})
            for phone in phones for target in await self.linked_sessions(phone)])
        return True

    async def chat_labels(self, key: str) -> dict[str, list[str]]:
        """chat → the labels on it, for the session's account."""
        rows = await self.session.execute(
            select(SandboxChatLabels.chat, SandboxChatLabels.labels)
            .where(SandboxChatLabels.session_key == key))
        return {chat: list(labels) for chat, labels in rows}

    async def set_chat_labels(self, key: str, chat: str, labels: list[str]) -> None:
        await self.session.execute(delete(SandboxChatLabels).where(
            SandboxChatLabels.session_key == key, SandboxChatLabels.chat == chat))
        if labels:
            self.session.add(SandboxChatLabels(session_key=key, chat=chat, labels=labels,
                                               updated_at=utc_now()))
            await self.session.flush()

    async def send_receipt(self, to_jid: str, chat: str, message_ids: Sequence[str],
                           status: str) -> None:
        """Tell the sender's sessions that their messages reached `status`."""
        await post(self.session, [
            SandboxMail(session_key=target.key, kind=RECEIPT, payload={
                "chat": chat, "ids": list(message_ids), "status": status})
            for target in await self.linked_sessions(to_jid.split("@", 1)[0].split(":", 1)[0])])

    async def mail_for(self, keys: Sequence[str], limit: int = 100) -> Sequence[SandboxMail]:
        if not keys:
            return []
        statement = (
            select(SandboxMail)
            .where(SandboxMail.session_key.in_(keys))
            .order_by(SandboxMail.id)
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def ack_mail(self, mail_ids: Sequence[int]) -> None:
        await self.session.execute(delete(SandboxMail).where(SandboxMail.id.in_(mail_ids)))


class SandboxPhone:
    """The phone side: what a person does on their handset."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def scan(self, code: str, phone: str) -> str:
        """Scan a QR code shown by a session; returns the JID the device will have."""
        now = utc_now()
        ref = ref_of(code)
        target = (
            await self.session.scalar(
                select(SandboxSession).where(
                    SandboxSession.current_qr_ref == ref,
                    SandboxSession.qr_expires_at > now,
                    SandboxSession.jid.is_(None),
                )
            )
            if ref
            else None
        )
        if target is None:
            raise Conflict(Text("QR code tidak valid atau sudah kedaluwarsa",
                                "The QR code is not valid or has expired"), code="qr_invalid")
        return await self._link(target, phone)

    async def enter_code(self, key: str, code: str, phone: str) -> str:
        """Type a pairing code on the phone: it links the session that asked for it for
        this number."""
        target = await self.session.scalar(
            select(SandboxSession).where(
                SandboxSession.key == key,
                SandboxSession.pair_code == code.strip().upper(),
                SandboxSession.pair_phone == phone,
                SandboxSession.jid.is_(None),
            )
        )
        if target is None:
            raise Conflict(Text("Kode pairing tidak valid untuk nomor ini",
                                "The pairing code is not valid for this number"),
                           code="pairing_code_invalid")
        return await self._link(target, phone)

    async def _link(self, target: SandboxSession, phone: str) -> str:
        await self._claim(target.key, phone)
        jid = f"{phone}:{await self._next_device_number(phone)}@{PHONE_SERVER}"
        await post(self.session, [
            SandboxMail(session_key=target.key, kind=PAIR_SUCCESS, payload={"jid": jid})])
        return jid

    async def _claim(self, key: str, phone: str) -> None:
        """The number is this session's from now on, unless another device (of any account)
        has it: otherwise that one could receive this number's messages. Released when the
        session is unlinked, logged out or deleted."""
        try:
            await self.session.execute(
                update(SandboxSession).where(SandboxSession.key == key).values(phone=phone))
        except IntegrityError:
            # Linked to another session, or being linked by one (committed first, or holding
            # the number's index entry until it commits: then this waits for it).
            raise Conflict(NUMBER_IN_USE, code="number_in_use") from None

    async def _next_device_number(self, phone: str) -> int:
        """Companion devices of one phone are numbered 1, 2, … like WhatsApp's."""
        jids = await self.session.scalars(
            select(SandboxSession.jid).where(SandboxSession.jid.like(f"{phone}:%"))
        )
        numbers = [int(jid.split(":", 1)[1].split("@", 1)[0]) for jid in jids if jid]
        return max(numbers, default=0) + 1

    async def remove_linked_device(self, key: str) -> None:
        """Perangkat Tertaut → Keluar: the network revokes the device and tells it so."""
        result = await self.session.execute(
            update(SandboxSession)
            .where(
                SandboxSession.key == key,
                SandboxSession.jid.is_not(None),
                SandboxSession.revoked_at.is_(None),
            )
            .values(revoked_at=utc_now(), phone=None)
        )
        if rows_changed(result) == 0:
            raise Conflict(NOT_LINKED, code="device_not_linked")
        await post(self.session, [
            SandboxMail(session_key=key, kind=LOGGED_OUT, payload={"reason": REMOVED_FROM_PHONE})])
