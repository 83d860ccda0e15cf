"""The sandbox network's mail reaches a session as soon as it is posted: the engine hears of
it at commit (db/wakeups.py) instead of finding it at its next poll."""

import asyncio
from collections.abc import Sequence

import pytest

from tests.rows import opened
from tests.support import Deployment
from wapiz.config import Settings
from wapiz.engines.base import new_message_id
from wapiz.engines.sandbox import engine as sandbox
from wapiz.engines.sandbox.models import SandboxMail, SandboxSession
from wapiz.engines.sandbox.network import SandboxStore

pytestmark = pytest.mark.asyncio(loop_scope="function")

BOB = "628111222333"


class LiveSession:
    """Stands in for a running session: keeps what the network hands it."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.received: list[str] = []
        self.got_mail = asyncio.Event()

    async def deliver_messages(self, mails: Sequence[SandboxMail]) -> None:
        self.received += [mail.payload["text"] for mail in mails]
        self.got_mail.set()


async def test_a_message_is_handed_over_without_waiting_for_a_poll(
        migrated: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    # Polls far apart: only an announcement can bring the message in time.
    monkeypatch.setattr(sandbox, "MAIL_POLL_S", 60.0)
    monkeypatch.setattr(sandbox, "MAIL_SAFETY_POLL_S", 60.0)
    async with opened(migrated) as database:
        async with database.session_scope() as db:
            db.add(SandboxSession(key="bob-phone", identity_key="i", noise_key="n",
                                  adv_secret="a", jid=f"{BOB}:1@s.whatsapp.net"))
        engine = sandbox.SandboxEngine(Settings(database_url=migrated.database_url,
                                                data_dir=migrated.data_dir), database)
        bob = LiveSession("bob-phone")
        await engine.open()
        try:
            engine.attach(bob)  # type: ignore[arg-type]
            await asyncio.sleep(0.5)  # the polls at start and at attach find nothing
            async with database.session_scope() as db:
                await SandboxStore(db).carry(new_message_id(), "628999:0@s.whatsapp.net",
                                             f"{BOB}@s.whatsapp.net", {"text": "Halo Bob"})
            await asyncio.wait_for(bob.got_mail.wait(), 5)
            assert bob.received == ["Halo Bob"]
        finally:
            await engine.close()
