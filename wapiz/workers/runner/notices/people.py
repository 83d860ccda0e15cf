"""What a session's calls, presences and contact changes write: their events, and for a call
the device's rejectCalls setting carried out durably (a reject request for the session and
the answer to the caller queued like any send, in the same transaction as the event)."""

import uuid
from datetime import timedelta

from sqlalchemy import insert, select

from wapiz.db import wakeups
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.devices.requests import REJECT_CALL, DeviceRequests
from wapiz.engines.events import CallOffered, ContactChanged, PresenceChanged
from wapiz.kit.jids import phone_jid
from wapiz.messages.accept import outbound_row
from wapiz.messages.body import MessageBody
from wapiz.messages.models import Message
from wapiz.webhooks.events import (
    CALL_RECEIVED,
    CONTACT_UPDATED,
    PRESENCE_UPDATED,
    CallData,
    ContactData,
    PresenceData,
)
from wapiz.workers.runner.notices.base import NoticeRows, NoticeWriter

# A call rings for about a minute: a reject not carried out by then has nothing to decline.
REJECT_WITHIN = timedelta(seconds=60)


async def call_offered(rows: NoticeRows, call: CallOffered) -> None:
    settings = (await rows.session.execute(
        select(Device.user_id, Device.reject_calls, Device.reject_calls_message)
        .where(Device.id == rows.device_id))).one()
    await rows.record(CALL_RECEIVED, CallData(
        rows.device_public_id, call.call_id, call.caller.phone, call.caller.jid, call.is_video,
        call.is_group, call.at, rejected=settings.reject_calls))
    if not settings.reject_calls:
        return
    # Carried out by this runner's request loop like an API's request, so a runner that dies
    # now leaves it to the next one instead of losing it.
    await DeviceRequests(rows.session).add(
        rows.device_id, REJECT_CALL, {"callId": call.call_id, "caller": call.caller.jid},
        utc_now() + REJECT_WITHIN)
    if settings.reject_calls_message and call.caller.phone:
        now = utc_now()
        await rows.session.execute(insert(Message).values(outbound_row(
            id=uuid.uuid4(), user_id=settings.user_id, device_id=rows.device_id,
            chat=phone_jid(call.caller.phone), peer=call.caller.phone, type="text",
            body=MessageBody().to_json(), text=settings.reject_calls_message,
            created_at=now, send_at=now)))
        await wakeups.announce(rows.session, wakeups.DUE_MESSAGES)


async def presence_changed(rows: NoticeRows, presence: PresenceChanged) -> None:
    await rows.record(PRESENCE_UPDATED, PresenceData(
        rows.device_public_id, presence.who.phone, presence.who.jid, presence.chat,
        presence.presence, presence.last_seen))


async def contact_changed(rows: NoticeRows, contact: ContactChanged) -> None:
    await rows.record(CONTACT_UPDATED, ContactData(
        rows.device_public_id, contact.who.phone, contact.who.jid, contact.who.lid,
        contact.name, contact.push_name))


NOTICES: dict[type, NoticeWriter] = {
    CallOffered: call_offered,
    PresenceChanged: presence_changed,
    ContactChanged: contact_changed,
}
