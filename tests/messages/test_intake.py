"""The intake judges each accepted send on its own, even in a group: a device deleted since
the request looked it up (in another API process, say) takes nothing; a used idempotency key
gives the earlier send back; keys are per user."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select, update

from tests.rows import opened, user_with_device
from tests.support import Deployment
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.kit.errors import NotFound
from wapiz.messages.accept import outbound_row
from wapiz.messages.intake import Intake, Send
from wapiz.messages.models import InsertedRow, Message

pytestmark = pytest.mark.asyncio(loop_scope="function")


def text_send(device: Device, text: str, key: str | None = None) -> Send:
    return Send(outbound_row(id=uuid.uuid4(), user_id=device.user_id, device_id=device.id,
                             chat="6281234567890@s.whatsapp.net", peer="6281234567890",
                             type="text", body={}, text=text, created_at=utc_now(),
                             send_at=utc_now(), idempotency_key=key, request_hash=key))


async def test_each_send_of_a_group_is_judged_on_its_own(migrated: Deployment) -> None:
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            alive = await user_with_device(db, utc_now())
            other_user = await user_with_device(db, utc_now())
            gone = await user_with_device(db, utc_now())
            await db.execute(update(Device).where(Device.id == gone.id)
                             .values(deleted_at=utc_now()))
        intake = Intake(database)
        first = await intake.accept(text_send(alive, "pertama", key="k-1"))
        assert isinstance(first, InsertedRow)

        # Sent together, they are written as one group.
        results = await asyncio.gather(
            intake.accept(text_send(alive, "lagi", key="k-1")),  # a retry
            intake.accept(text_send(other_user, "punyaku", key="k-1")),  # another user's key
            intake.accept(text_send(gone, "ke device terhapus")),
            intake.accept(text_send(alive, "kedua")),
            return_exceptions=True)

        retry, others, to_gone, second = results
        assert isinstance(retry, Message) and retry.id == first.id and retry.text == "pertama"
        assert isinstance(others, InsertedRow) and others.user_id == other_user.user_id
        assert isinstance(to_gone, NotFound)
        assert isinstance(second, InsertedRow)
        async with database.session_scope() as db:
            texts = sorted(await db.scalars(select(Message.text)))
            assert texts == ["kedua", "pertama", "punyaku"]
            assert await db.scalar(select(func.count()).select_from(Message).where(
                Message.device_id == gone.id)) == 0
