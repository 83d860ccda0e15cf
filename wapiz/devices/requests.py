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

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.db.database import Database
from wapiz.devices.models import DeviceRequest, RequestStatus
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

    async def forget(self, request_id: uuid.UUID) -> None:
        await self.session.execute(delete(DeviceRequest).where(DeviceRequest.id == request_id))


async def ask_session(database: Database, device_id: uuid.UUID, kind: str,
                      payload: dict[str, Any], within: float) -> dict[str, Any]:
    """Have the device's runner do `kind`; its result, or RequestFailed, or 503."""
    async with database.session_scope() as db:
        request_id = await DeviceRequests(db).add(
            device_id, kind, payload, utc_now() + timedelta(seconds=within))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        await asyncio.sleep(POLL_INTERVAL_S)
        async with database.session_scope() as db:
            answered = await DeviceRequests(db).take_answer(request_id)
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
