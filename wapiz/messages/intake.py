"""The API process's one writer of accepted sends.

A send is accepted once its row is committed: only then does the caller get its 202. Rather
than a transaction per request, each API process hands its accepted sends to one group
commit (db/groups.py): the sends that arrive while a group is being written go together in
the next, in one transaction of a few statements. Under load a request waits for at most
one other group; alone, for nobody. Each row is still judged on its own: inserted only if its
device is still live and its idempotency key is new (repository.insert_accepted).
"""

from dataclasses import dataclass
from typing import Any

from wapiz.chats.rows import sent_touches, touch
from wapiz.db import wakeups
from wapiz.db.database import Database
from wapiz.db.groups import GroupCommit
from wapiz.devices.reader import DEVICE_NOT_FOUND
from wapiz.kit.errors import NotFound
from wapiz.messages.models import InsertedRow, Message
from wapiz.messages.repository import earlier_sends, insert_accepted

MAX_GROUP = 500


@dataclass(frozen=True)
class Send:
    """An accepted send as it is to be stored: the message's columns, and its file's."""

    row: dict[str, Any]
    file: dict[str, Any] | None = None


# What became of a send: its row as inserted, or the send accepted before under the same
# idempotency key (as stored).
Accepted = InsertedRow | Message


class Intake:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._commits: GroupCommit[Send, Accepted] = GroupCommit(
            self._write, MAX_GROUP, "accepted-sends")

    async def accept(self, send: Send) -> Accepted:
        """Store the send; returns once committed. NotFound if its device is gone."""
        return await self._commits.submit(send)

    async def _write(self, sends: list[Send]) -> list[Accepted | Exception]:
        rows = [send.row for send in sends]
        async with self.database.session_scope() as session:
            inserted = await insert_accepted(
                session, rows, [send.file for send in sends if send.file is not None])
            if inserted:
                await touch(session, sent_touches(
                    [row for row in rows if row["id"] in inserted]))
                await wakeups.announce(session, wakeups.DUE_MESSAGES)
            earlier = await earlier_sends(session, [
                (row["user_id"], row["idempotency_key"]) for row in rows
                if row["id"] not in inserted and row["idempotency_key"] is not None])
        results: list[Accepted | Exception] = []
        for row in rows:
            if row["id"] in inserted:
                results.append(InsertedRow(**row))
            elif (found := earlier.get((row["user_id"], row["idempotency_key"]))) is not None:
                results.append(found)
            else:  # deleted since the request looked it up
                results.append(NotFound(DEVICE_NOT_FOUND, code="device_not_found"))
        return results
