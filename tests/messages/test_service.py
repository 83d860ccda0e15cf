"""The message rules, called as the routes call them but without HTTP: a real, migrated
database (both kinds) and the service over one of its sessions."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.rows import days_ago, opened, user_with_device
from tests.support import Deployment
from wapiz.accounts.principal import Principal
from wapiz.config import Settings
from wapiz.db.base import utc_now
from wapiz.devices.models import Device
from wapiz.kit.errors import Conflict
from wapiz.messages.models import Message, MessageStatus
from wapiz.messages.schemas import EditIn
from wapiz.messages.service import EDIT_WINDOW, MessageService

pytestmark = pytest.mark.asyncio(loop_scope="function")


def service(db: AsyncSession, device: Device) -> MessageService:
    user = Principal(id=device.user_id, token_expires_at=utc_now() + timedelta(hours=1))
    return MessageService(db, Settings(), user)


async def sent_text(db: AsyncSession, device: Device, sent_ago: timedelta) -> Message:
    sent_at = utc_now() - sent_ago
    message = Message(id=uuid.uuid4(), user_id=device.user_id, device_id=device.id,
                      direction="outbound", chat="6281234567890@s.whatsapp.net",
                      peer="6281234567890", type="text", text="Halo", body={},
                      status=MessageStatus.SENT, wa_message_id=uuid.uuid4().hex[:20].upper(),
                      attempts=1, created_at=sent_at, send_at=sent_at, sent_at=sent_at)
    db.add(message)
    await db.flush()
    return message


async def test_an_edit_within_the_window_is_queued_and_one_after_it_refused(
        migrated: Deployment) -> None:
    assert timedelta(minutes=15) == EDIT_WINDOW  # WhatsApp's
    async with opened(migrated) as database, database.session_scope() as db:
        device = await user_with_device(db, days_ago(1))
        messages = service(db, device)
        fresh = await sent_text(db, device, EDIT_WINDOW - timedelta(minutes=1))
        stale = await sent_text(db, device, EDIT_WINDOW + timedelta(seconds=30))

        edit = await messages.edit(str(fresh.id), EditIn(text="Halo lagi"))
        assert (edit.type, edit.status, edit.text) == ("edit", "queued", "Halo lagi")
        with pytest.raises(Conflict) as refused:
            await messages.edit(str(stale.id), EditIn(text="Terlambat"))
        assert refused.value.code == "edit_window_passed"

        queued = (await db.scalars(select(Message).where(Message.type == "edit"))).all()
        assert [(m.body["targetId"], m.status) for m in queued] == [
            (str(fresh.id), MessageStatus.QUEUED)]
