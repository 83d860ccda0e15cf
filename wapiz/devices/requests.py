"""Asking a device's live session for something (a pairing code, a number check, a read
receipt, an inbound file).

API processes hold no connections (the database is the bus): the API writes a request row,
the runner holding the device carries it out and writes the answer, and the API, which has
been polling the row with short reads, returns it. A request nobody answers in time is a 503
with Retry-After, and its row expires so a late runner does not act on it. This is the API's
side (asking, polling); the runner's is `wapiz.workers.runner.device_requests`.
"""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DeviceRequest, DeviceSession, RequestStatus
from wapiz.kit.errors import ServiceUnavailable
from wapiz.kit.text import Text

# What can be asked.
PAIR_PHONE = "pair_phone"
CHECK_NUMBERS = "check_numbers"
MARK_READ = "mark_read"
DOWNLOAD_MEDIA = "download_media"
# Groups (workers/runner/calls/groups.py).
LIST_GROUPS = "list_groups"
GET_GROUP = "get_group"
CREATE_GROUP = "create_group"
CHANGE_GROUP = "change_group"
SET_GROUP_PICTURE = "set_group_picture"
CHANGE_PARTICIPANTS = "change_participants"
GROUP_INVITE_LINK = "group_invite_link"
JOIN_GROUP = "join_group"
LEAVE_GROUP = "leave_group"
GROUP_JOIN_REQUESTS = "group_join_requests"
ANSWER_JOIN_REQUESTS = "answer_join_requests"
LIST_LABELS = "list_labels"
SET_CHAT_LABELS = "set_chat_labels"
# The session itself, its profile, contacts, presence and calls (workers/runner/calls/people.py;
# logout and restart are the worker's own, workers/runner/worker.py).
LOGOUT = "logout"
RESTART = "restart"
PROFILE = "profile"
SET_PROFILE = "set_profile"
SET_PICTURE = "set_picture"
CONTACTS = "contacts"
PERSON = "person"
BLOCK = "block"
LID_LOOKUP = "lid_lookup"
SET_PRESENCE = "set_presence"
CHAT_PRESENCE = "chat_presence"
SUBSCRIBE_PRESENCE = "subscribe_presence"
REJECT_CALL = "reject_call"
# Chats (workers/runner/calls/chats.py).
MARK_CHAT_READ = "mark_chat_read"
CHANGE_CHAT = "change_chat"
DELETE_CHAT = "delete_chat"
POLL_INTERVAL_S = 0.1
RETRY_AFTER_S = 5
HOLDER_CHECK_S = 1.0  # how often a waiting request looks whether a runner holds the device
# How long a waiting request lets the device go without a holder before its 503: a lapsed
# lease (a runner dead or cut off) is claimed by another runner within its poll (1 s).
HOLDER_GRACE_S = 3.0
NO_RUNNER = Text("Tidak ada runner yang memegang device ini sekarang, coba lagi",
                 "No runner holds this device right now; try again")


def no_runner() -> ServiceUnavailable:
    """The 503 for a device no runner holds (none running, or its holder dead or cut off)."""
    return ServiceUnavailable(NO_RUNNER, retry_after=RETRY_AFTER_S, code="runner_unavailable")


class RequestFailed(Exception):
    """The session could not do it; `reason` is the engine's word for why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


class DeviceRequests:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, device_id: uuid.UUID, kind: str, payload: dict[str, Any],
                  expires_at: datetime) -> uuid.UUID:
        request = DeviceRequest(device_id=device_id, kind=kind, payload=payload,
                                expires_at=expires_at)
        self.session.add(request)
        await self.session.flush()
        await wakeups.announce(self.session, wakeups.DEVICE_REQUESTS)
        return request.id

    async def take_answer(self, request_id: uuid.UUID) -> DeviceRequest | None:
        """The answered request (removed, as it has been read), or None while pending."""
        request = await self.session.get(DeviceRequest, request_id, populate_existing=True)
        if request is None or request.status == RequestStatus.PENDING:
            return None
        await self.session.delete(request)
        return request

    async def held(self, device_id: uuid.UUID, now: datetime) -> bool:
        """Whether a runner's lease on the device is alive (by this process's clock)."""
        expires_at = await self.session.scalar(
            select(DeviceSession.lease_expires_at)
            .where(DeviceSession.device_id == device_id, DeviceSession.runner.is_not(None)))
        return expires_at is not None and expires_at > now

    async def forget(self, request_id: uuid.UUID) -> None:
        await self.session.execute(delete(DeviceRequest).where(DeviceRequest.id == request_id))


async def ask_session(database: Database, device_id: uuid.UUID, kind: str,
                      payload: dict[str, Any], within: float) -> dict[str, Any]:
    """Have the device's runner do `kind`; its result, or RequestFailed, or 503: at once
    when no runner holds the device, `HOLDER_GRACE_S` after its holder's lease lapsed with
    nobody taking it over (a holder that dies or is cut off mid-request is replaced by
    another runner, which answers: the request is the device's, not the runner's), or after
    `within` without an answer."""
    async with database.session_scope() as db:
        requests = DeviceRequests(db)
        if not await requests.held(device_id, utc_now()):
            raise no_runner()
        request_id = await requests.add(
            device_id, kind, payload, utc_now() + timedelta(seconds=within))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    checked_at = held_at = loop.time()
    while loop.time() < deadline:
        await asyncio.sleep(POLL_INTERVAL_S)
        abandoned = False
        async with database.session_scope() as db:
            requests = DeviceRequests(db)
            answered = await requests.take_answer(request_id)
            if answered is None and loop.time() - checked_at >= HOLDER_CHECK_S:
                checked_at = loop.time()
                if await requests.held(device_id, utc_now()):
                    held_at = checked_at
                elif checked_at - held_at >= HOLDER_GRACE_S:
                    await requests.forget(request_id)
                    abandoned = True
        if abandoned:
            raise no_runner()
        if answered is not None:
            if answered.status == RequestStatus.FAILED:
                raise RequestFailed(answered.error or "failed",
                                    (answered.result or {}).get("detail", ""))
            return answered.result or {}
    async with database.session_scope() as db:
        await DeviceRequests(db).forget(request_id)
    raise ServiceUnavailable(Text("Device tidak merespons, coba lagi",
                                  "The device did not answer; try again"),
                             retry_after=RETRY_AFTER_S, code="device_not_answering")
