"""whatsmeow sessions end to end, with neonize's Go library faked (tests/engines/whatsmeow/
fakego.py): a real runner with the real engine and real neonize clients, a real database,
and a real API process answering the user's questions."""

import asyncio
import contextlib
import hashlib
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from neonize.proto import Neonize_pb2 as neonize
from neonize.proto.waCommon import WACommon_pb2 as common
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as wa

from tests.engines.whatsmeow.fakego import FakeGo, jid, reachable_whatsapp
from tests.engines.whatsmeow.test_processes import LoopbackProxy
from tests.support import Api, Deployment, db_rows, decode_qr
from wapiz.config import Settings
from wapiz.db.database import Database
from wapiz.engines import whatsapp_engine_for
from wapiz.engines.base import OutboundMessage, SessionConfig
from wapiz.engines.content import Location, MessageRef, PollVote, Text
from wapiz.engines.events import EngineEvent, InboundMessage, LoggedIn, QrCode
from wapiz.engines.whatsmeow import outbound, route
from wapiz.engines.whatsmeow.engine import WhatsmeowEngine
from wapiz.workers.runner.runner import Runner

FIRST_QR = "2@first,noise,identity,adv"
NEXT_QR = "2@again,noise,identity,adv"


@pytest.fixture
def fake_go(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGo]:
    import neonize.client

    fake = FakeGo(script=lambda connection: connection.qr(FIRST_QR))
    monkeypatch.setattr(neonize.client, "gocode", fake)
    with reachable_whatsapp() as address:
        monkeypatch.setattr(route, "WHATSAPP_ADDRESS", address)
        yield fake
    assert fake.overlaps == [], "a Go call that writes the client maps overlapped another"


@pytest.fixture
def site(deployment: Deployment) -> Iterator[tuple[Deployment, Api, str]]:
    deployment.migrate()
    server = deployment.api(plan_limits='{"free": 12}')
    api = Api(server.url)
    token, _ = api.register()
    yield deployment, api, token
    api.close()


def runner_settings(deployment: Deployment, **settings: Any) -> Settings:
    # Proxies here are on loopback (the fake Go library dials nothing).
    settings = {"proxy_allow_private": True, "lease_ttl_seconds": 3,
                "runner_poll_seconds": 0.2, **settings}
    return Settings(database_url=deployment.database_url, data_dir=deployment.data_dir,
                    engine="whatsmeow", **settings)


@contextlib.asynccontextmanager
async def running(deployment: Deployment, **settings: Any) -> AsyncIterator[Runner]:
    config = runner_settings(deployment, **settings)
    database = Database(config, "test-runner")
    runner = Runner(config, database, whatsapp_engine_for(config, database))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await task
        await database.dispose()


async def until(predicate, within: float = 10.0):  # type: ignore[no-untyped-def]
    """Poll a (blocking) predicate off the event loop until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"not true in {within}s"
        await asyncio.sleep(0.1)


def status_is(api: Api, token: str, device_id: str, **expected: Any):  # type: ignore[no-untyped-def]
    def check() -> dict | None:
        status = api.status(token, device_id)
        return status if all(status.get(k) == v for k, v in expected.items()) else None

    return check


async def qr_of(api: Api, token: str, device_id: str) -> str:
    response = await asyncio.to_thread(
        api.http.get, f"/api/devices/{device_id}/qr", headers=api.auth(token))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    return decode_qr(response.content)


async def test_linking_by_qr_and_staying_linked(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    device = api.create_device(token)
    async with running(deployment) as runner:
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        assert await qr_of(api, token, device["id"]) == FIRST_QR
        await until(status_is(api, token, device["id"], status="connected", loggedIn=False))

        connection.logged_in("6281234567890")  # the phone scanned
        status = await until(status_is(api, token, device["id"], status="logged_in"))
        assert status["phone"] == "6281234567890" and status["reason"] is None
        [worker] = runner.workers.values()
        assert worker.session.jid == "6281234567890:7@s.whatsapp.net"  # type: ignore[attr-defined]

    # A new runner (after a restart) resumes the same store: whatever session it holds, no
    # new pairing is asked for.
    async with running(deployment):
        [_, resumed] = await until(lambda: fake_go.connections_of(device["id"])[1:] and
                                   fake_go.connections_of(device["id"]))
        resumed.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
    assert resumed.store == connection.store and resumed.resumes_by == "store"

    # The device's keys live in a store of its own, never shared with another device.
    if deployment.backend == "sqlite":
        assert connection.store == str(deployment.data_dir / "whatsmeow" / f"{device['id']}.db")
    else:
        assert connection.store.startswith("postgres://")
        assert f"search_path=wa_{uuid.UUID(device['id']).hex}" in connection.store
    assert not connection.proxy


async def test_removed_on_the_phone_then_a_new_qr(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    device = api.create_device(token)
    async with running(deployment):
        [first] = await until(lambda: fake_go.connections_of(device["id"]))
        first.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))

        fake_go.script = lambda connection: connection.qr(NEXT_QR)
        first.event(neonize.LoggedOut(OnConnect=False,
                                      Reason=neonize.ConnectFailureReason.LOGGED_OUT))
        # The session starts over: a new connection shows a new code, and the status says
        # why the device must be linked again.
        await until(lambda: len(fake_go.connections_of(device["id"])) == 2, within=10)
        status = await until(status_is(api, token, device["id"], status="connected"))
        assert status["reason"] == "removed_from_phone" and not status["loggedIn"]
        assert await qr_of(api, token, device["id"]) == NEXT_QR


async def test_each_drop_reports_its_own_reason(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    replaced, unanswered, banned = (api.create_device(token)["id"] for _ in range(3))
    async with running(deployment):
        for device_id in (replaced, unanswered, banned):
            [connection] = await until(lambda d=device_id: fake_go.connections_of(d))
            connection.logged_in("6281234567890")
            await until(status_is(api, token, device_id, status="logged_in"))

        # Another client took the session over: report it, and do not fight it at once.
        fake_go.connections_of(replaced)[0].event(neonize.StreamReplaced())
        status = await until(status_is(api, token, replaced, reason="stream_replaced"))
        assert status["status"] == "disconnected"
        # Keep-alives unanswered: reported while it lasts; whatsmeow recovers by itself.
        keepalive = fake_go.connections_of(unanswered)[0]
        keepalive.event(neonize.KeepAliveTimeout(ErrorCount=2, LastSuccess=1764070000))
        status = await until(status_is(api, token, unanswered, reason="keepalive_timeout"))
        assert status["detail"].startswith("2 keep-alive(s) unanswered")
        keepalive.event(neonize.KeepAliveRestored())
        await until(status_is(api, token, unanswered, status="logged_in"))
        # A temporary ban: the reason and until when; no reconnect before it ends.
        fake_go.connections_of(banned)[0].event(neonize.TemporaryBan(
            Code=neonize.TemporaryBan.SEND_TO_TOO_MANY_PEOPLE, Expire=3600))
        status = await until(status_is(api, token, banned, reason="temporary_ban"))
        assert "banned for 3600 s" in status["detail"] and status["status"] == "disconnected"

        await asyncio.sleep(2)
        for device_id in (replaced, unanswered, banned):
            assert len(fake_go.connections_of(device_id)) == 1


async def test_a_silent_session_is_probed_and_reconnected(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    device = api.create_device(token)
    async with running(deployment, watchdog_seconds=0.5):
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        connection.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
        await asyncio.sleep(1.5)  # quiet, but it answers the probe: nothing happens
        assert len(fake_go.connections_of(device["id"])) == 1
        assert "IsOnWhatsApp" in fake_go.calls

        fake_go.connected = False  # the socket died without a word
        await until(lambda: len(fake_go.connections_of(device["id"])) == 2, within=10)
        status = await asyncio.to_thread(api.status, token, device["id"])
        assert status["lastDisconnect"]["reason"] == "watchdog_silent"
        assert status["lastDisconnect"]["detail"] == "the socket is closed"


async def test_pairing_code_over_http(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    device = api.create_device(token)

    def pair(phone: str = "+62 812-3456-7890") -> Any:
        return api.http.post(f"/api/devices/{device['id']}/pair", json={"phone": phone},
                             headers=api.auth(token))

    fake_go.script = lambda connection: None  # connecting, no QR yet
    async with running(deployment):
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        not_ready = await asyncio.to_thread(pair)
        assert not_ready.status_code == 503 and "retry-after" in not_ready.headers

        connection.qr(FIRST_QR)
        await until(status_is(api, token, device["id"], status="connected"))
        answer = await asyncio.to_thread(pair)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"code": "7890-WXYZ"}  # what WhatsApp (faked) answered
        assert (await asyncio.to_thread(pair, "12")).status_code == 422

        connection.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
        assert (await asyncio.to_thread(pair)).status_code == 409


async def test_many_devices_never_call_go_concurrently(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    deployment, api, token = site
    devices = [api.create_device(token)["id"] for _ in range(12)]
    fake_go.script = lambda connection: connection.qr(FIRST_QR)
    async with running(deployment) as runner:
        await until(lambda: all(fake_go.connections_of(d) for d in devices), within=20)
        for device_id in devices[:6]:
            fake_go.connections_of(device_id)[0].logged_in("62812345678" + device_id[:2])
        await until(lambda: sum(w._logged_in for w in runner.workers.values()) == 6)
        # Sends, number checks and pairing (reads and a write) all at once, with
        # sessions stopping meanwhile: the engine must keep writes apart from everything.
        workers = list(runner.workers.values())
        text = OutboundMessage(to="6281111111110@s.whatsapp.net", content=Text("Halo"))
        busy = [w.session.send(text) for w in workers if w._logged_in for _ in range(3)]
        busy += [w.session.check(["6281111111110"]) for w in workers if w._logged_in]
        busy += [w.session.pair_phone("6281234567890") for w in workers if not w._logged_in]
        busy += [w.session.stop() for w in workers[:2]]
        await asyncio.gather(*busy, return_exceptions=True)
    assert len(fake_go.sent) >= 12


@contextlib.asynccontextmanager
async def logged_in_device(fake_go: FakeGo, site):  # type: ignore[no-untyped-def]
    """A new device of the site's user, pacing off, logged in (through the faked library)
    on a running runner: (the device, its connection)."""
    deployment, api, token = site
    device = api.create_device(token)
    api.http.patch(f"/api/devices/{device['id']}/settings", headers=api.auth(token),
                   json={"minDelayMs": 0, "maxDelayMs": 0, "typing": False})
    async with running(deployment):
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        connection.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
        yield device, connection


async def test_a_rate_limited_send_pauses_the_queue_then_goes(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    _, api, token = site
    async with logged_in_device(fake_go, site) as (device, _):
        fake_go.send_errors.append("server returned error 429: rate-overlimit")
        accepted = await asyncio.to_thread(
            api.http.post, "/api/messages", headers=api.auth(token),
            json={"deviceId": device["deviceId"], "to": "081111111110", "text": "Halo"})
        assert accepted.status_code == 202

        def message() -> dict:
            return api.http.get(f"/api/messages/{accepted.json()['id']}",
                                headers=api.auth(token)).json()

        # WhatsApp said "slow down": the message waits in the queue, not failed.
        paused = await until(lambda: (m := message())["error"] and m)
        assert paused["status"] == "queued" and "429" in paused["error"]
        sent = await until(lambda: (m := message())["status"] == "sent" and m, within=15)
        assert sent["waMessageId"] == "3EB00000000000000001" and sent["error"] is None
        assert len(fake_go.sent) == 1


async def test_a_hand_over_lets_the_send_under_way_end(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    """A device handed to another runner (one that joins takes its share; a drain) while
    WhatsApp has not answered a send yet: the send ends and is `sent`, not cut short and
    failed as "may have been sent" (whatsmeow cannot tell); the next message waits for the
    next holder, and goes out once."""
    deployment, api, token = site
    device = api.create_device(token)
    api.http.patch(f"/api/devices/{device['id']}/settings", headers=api.auth(token),
                   json={"minDelayMs": 0, "maxDelayMs": 0, "typing": False})
    async with running(deployment) as runner:
        [connection] = await until(lambda: fake_go.connections_of(device["id"]))
        connection.logged_in("6281234567890")
        await until(status_is(api, token, device["id"], status="logged_in"))
        fake_go.send_gate = threading.Event()
        first, second = [await asyncio.to_thread(api.send_text, token, device["deviceId"],
                                                 "081111111110", text)
                         for text in ("Satu", "Dua")]
        await until(lambda: "SendMessage" in fake_go.calls)
        worker = runner.workers[uuid.UUID(device["id"])]
        handing = asyncio.create_task(runner._hand_over([worker.lease], "a test"))
        await asyncio.sleep(0.5)
        assert not handing.done(), "the hand-over did not wait for the send under way"
        fake_go.send_gate.set()
        await asyncio.wait_for(handing, 10)
        assert await asyncio.to_thread(api.message_status, token, first) == "sent"
        assert len(fake_go.sent) == 1
        assert connection.uuid in fake_go.stopped
        assert await asyncio.to_thread(api.message_status, token, second) == "queued"
        # The device comes back (the only runner takes it again): the second goes out once.
        [_, again] = await until(lambda: len(c := fake_go.connections_of(device["id"])) == 2
                                 and c)
        again.logged_in("6281234567890")
        await until(lambda: api.message_status(token, second) == "sent", within=15)
        assert len(fake_go.sent) == 2


async def test_files_go_out_and_come_in(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    """A document is uploaded and sent; an inbound photo is downloaded through the device's
    session the first time it is asked for, and kept."""
    _, api, token = site
    async with logged_in_device(fake_go, site) as (device, connection):

        def get(path: str):  # type: ignore[no-untyped-def]
            return api.http.get(path, headers=api.auth(token))

        accepted = await asyncio.to_thread(
            api.http.post, "/api/messages", headers=api.auth(token),
            json={"deviceId": device["deviceId"], "to": "081111111110", "type": "document",
                  "media": "JVBERi0xLjQgZmFrdHVy", "fileName": "faktur.pdf"})
        assert accepted.status_code == 202, accepted.text
        await until(lambda: get(f"/api/messages/{accepted.json()['id']}").json()["status"]
                    == "sent")
        assert fake_go.uploads == [b"%PDF-1.4 faktur"]
        document = wa.Message.FromString(fake_go.sent[-1][1]).documentMessage
        assert (document.fileName, document.mimetype) == ("faktur.pdf", "application/pdf")

        photo = b"\xff\xd8\xff\xe0 foto"
        digest = hashlib.sha256(photo).digest()
        fake_go.cdn[digest] = photo
        source = neonize.MessageSource(
            Chat=jid("6282222222220"), Sender=jid("6282222222220"), IsFromMe=False,
            IsGroup=False, SenderAlt=neonize.JID(), RecipientAlt=neonize.JID(),
            BroadcastListOwner=neonize.JID())
        for message_id, sha in (("3EB0FOTO", digest), ("3EB0HILANG", b"\0" * 32)):
            info = neonize.MessageInfo(MessageSource=source, ID=message_id,
                                       Timestamp=1764070000)
            connection.event(neonize.Message(Info=info, Message=wa.Message(
                imageMessage=wa.ImageMessage(mimetype="image/jpeg", fileSHA256=sha,
                                             fileLength=len(photo), caption="Foto"))))
        inbound = await until(lambda: len(m := get("/api/messages?direction=inbound")
                                          .json()["items"]) == 2 and m)
        found, lost = sorted(inbound, key=lambda m: m["waMessageId"])
        assert found["media"]["sha256"] == digest.hex() and found["text"] == "Foto"
        for _ in range(2):  # fetched from WhatsApp once, then kept
            answer = await asyncio.to_thread(get, found["media"]["url"])
            assert answer.status_code == 200 and answer.content == photo
            assert answer.headers["content-type"] == "image/jpeg"
        gone = await asyncio.to_thread(get, lost["media"]["url"])
        assert gone.status_code == 502 and "404" in gone.json()["error"]
        assert fake_go.calls.count("DownloadAny") == 2


@pytest.fixture
async def session(fake_go: FakeGo, deployment: Deployment):  # type: ignore[no-untyped-def]
    """One engine session by itself, logged in, with its events collected."""
    settings = runner_settings(deployment)
    database = Database(settings, "test-engine")
    engine = WhatsmeowEngine(settings, database)
    await engine.open()
    seen: list[EngineEvent] = []

    async def collect(event: EngineEvent) -> None:
        seen.append(event)

    key = str(uuid.uuid4())
    proxy = LoopbackProxy(tunnels=True)
    session = engine.session(key, SessionConfig(proxy=proxy.url), collect)
    await session.start()
    [connection] = fake_go.connections_of(key)
    connection.logged_in("6281234567890")
    await until(lambda: any(isinstance(event, LoggedIn) for event in seen))
    assert isinstance(seen[0], QrCode) and connection.proxy
    try:
        yield session, connection, seen
    finally:
        await session.stop()
        await engine.close()
        await database.dispose()
        proxy.close()


async def test_sends_checks_and_inbound_messages(session, fake_go: FakeGo) -> None:  # type: ignore[no-untyped-def]
    session_, connection, seen = session
    sent = await session_.send(OutboundMessage(to="6281111111110@s.whatsapp.net",
                                               content=Text("Halo")))
    to, body = fake_go.sent[-1]
    assert (to.User, to.Server) == ("6281111111110", "s.whatsapp.net")
    assert wa.Message.FromString(body).conversation == "Halo"
    assert sent.message_id == "3EB00000000000000001"

    await session_.send(OutboundMessage(to="6281111111110@s.whatsapp.net",
                                        content=Location(-6.2, 106.8, name="Monas")))
    place = wa.Message.FromString(fake_go.sent[-1][1]).locationMessage
    assert (place.degreesLatitude, place.name) == (-6.2, "Monas")

    assert await session_.check(["6281111111110", "6281111111111"]) == {
        "6281111111110": "6281111111110@s.whatsapp.net", "6281111111111": None}

    # An inbound message from a LID the session's store can resolve.
    fake_go.lids["99887766"] = "6283333333330"
    source = neonize.MessageSource(
        Chat=jid("99887766", "lid"), Sender=jid("99887766", "lid"), IsFromMe=False,
        IsGroup=False, SenderAlt=neonize.JID(), RecipientAlt=neonize.JID(),
        BroadcastListOwner=neonize.JID())
    info = neonize.MessageInfo(MessageSource=source, ID="3EB0IN", Timestamp=1764070000)
    connection.event(neonize.Message(Info=info, Message=wa.Message(conversation="Pesan")))
    inbound = await until(lambda: next((e for e in seen if isinstance(e, InboundMessage)), None))
    assert inbound.text == "Pesan" and inbound.sender.phone == "6283333333330"
    assert inbound.sender.lid == "99887766@lid"

    # A vote in someone's poll is built by whatsmeow (with the poll's key); a vote that comes
    # in is decrypted the same way.
    await session_.send(OutboundMessage(to="6281111111110@s.whatsapp.net", content=PollVote(
        MessageRef("3EB0POLL", sender="6281111111110@s.whatsapp.net"), ("Mie",))))
    assert fake_go.votes == {"3EB0POLL": ["Mie"]}
    assert wa.Message.FromString(fake_go.sent[-1][1]).pollUpdateMessage \
        .pollCreationMessageKey.ID == "3EB0POLL"
    vote = wa.Message(pollUpdateMessage=wa.PollUpdateMessage(
        pollCreationMessageKey=common.MessageKey(ID="3EB0POLL")))
    # As Go delivers it: every required field set (neonize sends it back to Go to decrypt).
    info = outbound.quoted_stub("6281111111110@s.whatsapp.net", "6281111111110@s.whatsapp.net",
                                "3EB0VOTE").Info
    connection.event(neonize.Message(
        Info=info, Message=vote, IsEphemeral=False, IsViewOnce=False, IsViewOnceV2=False,
        IsViewOnceV2Extension=False, IsDocumentWithCaption=False, IsLottieSticker=False,
        IsEdit=False, UnavailableRequestID="", RetryCount=0))
    voted = await until(lambda: next((e for e in seen if isinstance(e, InboundMessage)
                                      and e.type == "poll_vote"), None))
    assert voted.vote == (hashlib.sha256(b"Mie").hexdigest(),)


async def test_failing_neighbours_never_restart_a_logged_in_session(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    """Fifty devices whose proxy refuses every dial retry thousands of times beside a
    logged-in device: its session is never stopped or replaced (no recycling), and its
    sends keep going out."""
    deployment, api, token = site
    refused = socket.create_server(("127.0.0.1", 0))
    refused_url = f"socks5://127.0.0.1:{refused.getsockname()[1]}"
    refused.close()  # nothing listens there now: every dial is refused
    # Were a failing device's dial to reach Go, it would fail there too.
    fake_go.script = lambda connection: (b"dial tcp: connection refused" if connection.proxy
                                         else connection.qr(FIRST_QR))
    server = deployment.api(plan_limits='{"free": 60}')
    api = Api(server.url)
    healthy = api.create_device(token)
    api.http.patch(f"/api/devices/{healthy['id']}/settings", headers=api.auth(token),
                   json={"minDelayMs": 0, "maxDelayMs": 0, "typing": False})
    failing = [api.create_device(token)["id"] for _ in range(50)]
    for device_id in failing:
        api.http.patch(f"/api/devices/{device_id}/settings", headers=api.auth(token),
                       json={"proxy": refused_url})

    def attempts() -> int:
        return sum(row[0] for row in db_rows(deployment.database_url,
                                             "SELECT failures FROM device_sessions"))

    def send(number: int) -> str:
        return api.send_text(token, healthy["deviceId"], "081111111110", f"Halo {number}")

    def sent(message_id: str) -> bool:
        return api.message_status(token, message_id) == "sent"

    # The default lease TTL: fifty devices failing in a loop keep the event loop busy, and on
    # a loaded machine the file's 3 s TTL (renewal deadline 2 s) dropped every session.
    async with running(deployment, reconnect_max_seconds=0.01, lease_ttl_seconds=10,
                       whatsmeow_recycle_after=200) as runner:
        [connection] = await until(lambda: fake_go.connections_of(healthy["id"]))
        connection.logged_in("6281234567890")
        await until(status_is(api, token, healthy["id"], status="logged_in"))
        number = 0
        while (done := await asyncio.to_thread(attempts)) < 2000:
            number += 1
            message_id = await asyncio.to_thread(send, number)
            await until(lambda m=message_id: sent(m), within=15)  # type: ignore[misc]
            assert fake_go.connections_of(healthy["id"]) == [connection], "restarted"
            assert connection.uuid in fake_go.live
            assert connection.uuid not in fake_go.stopped
            assert not runner.whatsapp.needs_recycle, f"recycling after {done} attempts"
        assert number >= 3 and len(fake_go.sent) == number
        # The failing devices never reached Go: their attempts cost it nothing.
        assert all(not fake_go.connections_of(device_id) for device_id in failing)
        # Between attempts a failing device says why (a moment of "connecting" aside).
        status = await until(status_is(api, token, failing[0], reason="connect_failed"),
                             within=30)
        assert status["detail"] == "connection_refused"  # the kind; where, in the log
    api.close()


async def test_a_stop_during_a_hanging_dial_holds_back_no_send(fake_go: FakeGo, site) -> None:  # type: ignore[no-untyped-def]
    """Stopping a device whose dial hangs (Go's Stop would wait for the dial to time out)
    does not hold back another device's sends, and the client is still stopped once the
    dial is over."""
    deployment, api, token = site
    healthy, hanging = api.create_device(token), api.create_device(token)
    fake_go.script = lambda connection: (
        connection.hang(8) if connection.uuid.startswith(f"wapiz-{hanging['id']}".encode())
        else connection.qr(FIRST_QR))
    async with running(deployment) as runner:
        [connection] = await until(lambda: fake_go.connections_of(healthy["id"]))
        connection.logged_in("6281234567890")
        [dial] = await until(lambda: fake_go.connections_of(hanging["id"]))
        await until(lambda: dial.dialling.is_set()
                    and runner.workers[uuid.UUID(hanging["id"])].session._attempt is not None)
        await until(lambda: runner.workers[uuid.UUID(healthy["id"])]._logged_in)
        stopping = asyncio.create_task(runner.workers[uuid.UUID(hanging["id"])].session.stop())
        await asyncio.sleep(0.2)  # the stop has its turn now
        text = OutboundMessage(to="6281111111110@s.whatsapp.net", content=Text("Halo"))
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(runner.workers[uuid.UUID(healthy["id"])].session.send(text), 5)
        assert asyncio.get_running_loop().time() - started < 2
        await asyncio.wait_for(stopping, 5)
        assert dial.uuid not in fake_go.stopped  # not yet: the dial is still on
        await until(lambda: dial.uuid in fake_go.stopped, within=15)
