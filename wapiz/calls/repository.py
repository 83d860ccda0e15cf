"""Which calls rang a device: its call.received events."""

import json
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.webhooks.events import CALL_RECEIVED
from wapiz.webhooks.models import WebhookEvent

# A call rings for about a minute: the latest calls are enough to find the one to decline.
RECENT_CALLS = 100


async def caller_of(session: AsyncSession, device_id: uuid.UUID, call_id: str) -> str | None:
    """The id (jid) a call came from, as its event told it; None if no recent call has
    that id. `device_id` is the caller's own device (checked before)."""
    bodies = await session.scalars(
        select(WebhookEvent.body)
        .where(WebhookEvent.device_id == device_id, WebhookEvent.type == CALL_RECEIVED)
        .order_by(WebhookEvent.seq.desc()).limit(RECENT_CALLS))
    for body in bodies:
        data = json.loads(body)["data"]
        if data.get("callId") == call_id:
            return str(data["fromJid"])
    return None
