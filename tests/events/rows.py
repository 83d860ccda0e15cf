"""Events written straight into a deployment's table and announced, as the outbox writes
them: many, or large, at little cost."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from wapiz.db import wakeups
from wapiz.webhooks.models import WebhookEvent


def received_body(device_public_id: str, text: str) -> str:
    now = datetime.now(UTC)
    return json.dumps({"type": "message.received", "timestamp": now.isoformat(),
                       "data": {"id": str(uuid.uuid4()), "deviceId": device_public_id,
                                "direction": "inbound", "text": text}})


def write_events(database_url: str, device: dict, texts: list[str], per_commit: int = 100
                 ) -> list[str]:
    """Store a message.received event per text for the device, `per_commit` to a transaction,
    each announced; their ids."""

    async def write() -> list[str]:
        engine = create_async_engine(database_url)
        ids: list[str] = []
        try:
            for start in range(0, len(texts), per_commit):
                async with AsyncSession(engine) as session, session.begin():
                    rows = [{"id": "msg_" + uuid.uuid4().hex, "device_id": uuid.UUID(device["id"]),
                             "type": "message.received",
                             "body": received_body(device["deviceId"], text),
                             "created_at": datetime.now(UTC)}
                            for text in texts[start:start + per_commit]]
                    await session.execute(insert(WebhookEvent.__table__), rows)
                    await wakeups.announce(session, wakeups.WEBHOOKS)
                ids += [row["id"] for row in rows]
        finally:
            await engine.dispose()
        return ids

    return asyncio.run(write())
