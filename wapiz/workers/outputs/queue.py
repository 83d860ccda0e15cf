"""An output's side of the events' rows: taking the output (one process at a time publishes
it, a lease on its event_outputs row), the events not yet published, and moving each
device's cursor once the broker confirmed.

The cursors are written in the transaction that renews the lease, and only while this
process holds it: a publisher that lost the output (it stalled past its lease) writes
nothing, and the one that took over republishes from the cursors, with the same ids.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.db.results import rows_changed
from wapiz.db.upsert import insert_for
from wapiz.devices.models import Device
from wapiz.outputs.models import EventOutput, OutputCursor
from wapiz.webhooks.models import WebhookEvent


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    event_id: str
    device_id: uuid.UUID
    user_id: uuid.UUID
    device_public_id: uuid.UUID
    event_type: str
    body: str


class OutputRows:
    def __init__(self, session: AsyncSession, output: str, publisher: str) -> None:
        self.session = session
        self.output = output
        self.publisher = publisher

    def _mine(self) -> ColumnElement[bool]:
        return and_(EventOutput.name == self.output, EventOutput.publisher == self.publisher)

    async def take(self, now: datetime, lease_s: float) -> bool:
        """Take (or keep) the output for `lease_s`; False if another process has it."""
        await self.session.execute(
            insert_for(self.session, EventOutput)
            .values(name=self.output, published=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"]))
        result = await self.session.execute(
            update(EventOutput)
            .where(EventOutput.name == self.output,
                   or_(EventOutput.publisher.is_(None),
                       EventOutput.publisher == self.publisher,
                       EventOutput.lease_expires_at < now))
            .values(publisher=self.publisher,
                    lease_expires_at=now + timedelta(seconds=lease_s)))
        return rows_changed(result) == 1

    async def let_go(self) -> None:
        await self.session.execute(
            update(EventOutput).where(self._mine())
            .values(publisher=None, lease_expires_at=None, connected=False))

    async def pending(self, devices: int, limit: int) -> list[PendingEvent]:
        """About `limit` events not yet published (an equal share of each device's), of up
        to `devices` devices, in `seq` order (so each device's in its order)."""
        cursor = func.coalesce(OutputCursor.last_seq, 0)
        backlog = (await self.session.execute(
            select(Device.id, Device.user_id, Device.public_id, cursor)
            .outerjoin(OutputCursor, and_(OutputCursor.output == self.output,
                                          OutputCursor.device_id == Device.id))
            .where(exists().where(WebhookEvent.device_id == Device.id,
                                  WebhookEvent.seq > cursor))
            .limit(devices))).all()
        if not backlog:
            return []
        # Each device's next events, a range of ix_webhook_events_device_seq: what is read is
        # what is published, however many events before the cursors are still kept. Each
        # device gets its share of the group (a device alone, all of it).
        share = -(-limit // len(backlog))
        columns = (WebhookEvent.seq, WebhookEvent.id, WebhookEvent.device_id,
                   WebhookEvent.type, WebhookEvent.body)
        ranges = [select(*columns)
                  .where(WebhookEvent.device_id == device_id, WebhookEvent.seq > last)
                  .order_by(WebhookEvent.seq).limit(share).subquery()
                  for device_id, _, _, last in backlog]
        rows = (await self.session.execute(
            union_all(*(select(*part.c) for part in ranges)))).all()
        owners = {device_id: (user_id, public_id) for device_id, user_id, public_id, _ in backlog}
        rows = sorted(rows, key=lambda row: row[0])
        return [PendingEvent(seq, event_id, device_id, *owners[device_id], event_type, body)
                for seq, event_id, device_id, event_type, body in rows]

    async def advance(self, cursors: Mapping[uuid.UUID, int], published: int,
                      now: datetime, lease_s: float) -> bool:
        """Move the devices' cursors (never back), count what was published and renew the
        lease; False (and nothing written) if the output is no longer this process's."""
        result = await self.session.execute(
            update(EventOutput).where(self._mine())
            .values(published=EventOutput.published + published, connected=True,
                    lease_expires_at=now + timedelta(seconds=lease_s), updated_at=now))
        if rows_changed(result) != 1:
            return False
        if cursors:
            statement = insert_for(self.session, OutputCursor)
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["output", "device_id"],
                    set_={"last_seq": statement.excluded.last_seq},
                    where=OutputCursor.last_seq < statement.excluded.last_seq),
                [{"output": self.output, "device_id": device_id, "last_seq": seq}
                 for device_id, seq in cursors.items()])
        return True

    async def report(self, connected: bool, error: str | None, now: datetime) -> None:
        """How the broker is (an error: the latest, kept after it recovers)."""
        values: dict[str, object] = {"connected": connected, "updated_at": now}
        if error is not None:
            values.update(last_error=error[:500], last_error_at=now)
        await self.session.execute(
            update(EventOutput).where(self._mine())
            .values(values))
